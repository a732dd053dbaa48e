/**
 * One writer per table at a time: an exclusive lock file holding the writer's pid. A lock whose
 * process is gone (killed mid-append, say) is taken over; one held by a live process is refused.
 */
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AlphaError } from '../../core/errors.ts';
import { takeOverStale } from '../stale-lock.ts';
import { systemErrorText } from '../../core/system-errors.ts';

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
  // The pid goes into a private file first, linked into place, so a lock never exists empty (a
  // full disk left an empty one, and another writer could take an empty one for a stale one).
  const mine = `${path}.${process.pid}`;
  try {
    writeFileSync(mine, `${process.pid}\n`);
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(mine, path);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err;
        const text = readText(path);
        if (text === undefined) continue; // released meanwhile: link again
        const holder = Number.parseInt(text, 10);
        if (Number.isInteger(holder) && holder > 0 && alive(holder))
          throw new AlphaError(`${what} is being written by process ${holder} (lock ${path}): try again when it has finished`);
        takeOverStale(path, text);
      }
    }
  } catch (err) {
    throw err instanceof AlphaError ? err : lockError(err, path);
  } finally {
    rmSync(mine, { force: true });
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}

function lockError(err: unknown, path: string): AlphaError {
  const code = (err as NodeJS.ErrnoException).code;
  return new AlphaError(
    `cannot take the lock ${path}: ${code === 'EEXIST' ? 'another writer took it first' : (systemErrorText(code) ?? code ?? String(err))}`,
  );
}

/** The lock's text, or undefined when it is gone (released between the link that failed and this read). */
function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
