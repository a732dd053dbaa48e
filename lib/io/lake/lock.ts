/**
 * One writer per table at a time: a lock file holding the writer's pid (lib/io/pid-lock.ts). A lock
 * whose process is gone (killed mid-append, say) is taken over; one held by a live process is refused.
 * Its holder removes what writers no longer running left beside it (`DATASET.lock.PID`).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { AlphaError } from '../../core/errors.ts';
import { PidLockError, removeDeadLeftovers, takePidLock } from '../pid-lock.ts';
import { systemErrorText } from '../../core/system-errors.ts';

/** Runs `fn` holding the lock at `path`; `what` names the table in the refusal. */
export async function withLock<T>(path: string, what: string, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  let holder: number | undefined;
  try {
    holder = takePidLock(path);
  } catch (err) {
    throw lockError(err instanceof PidLockError ? err.cause : err, path);
  }
  if (holder !== undefined)
    throw new AlphaError(`${what} is being written by process ${holder} (lock ${path}): try again when it has finished`);
  try {
    removeDeadLeftovers(path);
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}

function lockError(err: unknown, path: string): AlphaError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'EEXIST'
      ? 'another writer took it first'
      : (systemErrorText(code) ??
        `${code ?? String(err)}${code === 'EISDIR' ? ': a folder stands at that name' : ''}: expected a lock file of alpha's, or nothing, at that name`);
  return new AlphaError(`cannot take the lock ${path}: ${why}`);
}
