/**
 * One writer per table at a time: an exclusive lock file holding the writer's pid. A lock whose
 * process is gone (killed mid-append, say) is taken over; one held by a live process is refused.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { AlphaError } from '../../core/errors.ts';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Runs `fn` holding the lock at `path`; `what` names the table in the refusal. */
export async function withLock<T>(path: string, what: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockError(err, path);
      const holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(holder) && holder > 0 && alive(holder))
        throw new AlphaError(`${what} is being written by process ${holder} (lock ${path}): try again when it has finished`);
      rmSync(path, { force: true });
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}

function lockError(err: unknown, path: string): AlphaError {
  const code = (err as NodeJS.ErrnoException).code;
  return new AlphaError(`cannot take the lock ${path}: ${code === 'EEXIST' ? 'another writer took it first' : (code ?? String(err))}`);
}
