/**
 * A lock file holding its holder's pid (the `--out` folder's, a lake table's): written to a private
 * file and linked into place, so it never exists empty (a full disk left an empty one, which another
 * writer took for a stale one); a lock whose process is gone is taken over.
 *
 * Taking over: two processes doing it at once must not both end up holding the lock. Removing the
 * stale file by name was not enough: the second process's remove took away the lock the first had
 * just linked into place (three processes on a lock of a dead pid held it twice in 3 of 20 trials).
 * The stale file is renamed aside instead, which only one process can do to a given file; if what was
 * moved is not the stale lock any more (another process took it over and linked its own meanwhile),
 * it is put back.
 */
import { linkSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { processAlive } from '../core/process-alive.ts';

/** Taking a lock failed at `step`: writing this process's file beside it, or linking it into place. */
export class PidLockError extends Error {
  override readonly name = 'PidLockError';
  constructor(
    readonly step: 'write' | 'link',
    override readonly cause: unknown,
  ) {
    super(`${step}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/**
 * Takes the lock file `path` for this process: undefined once it holds it, or the pid of the live
 * process that does. A stale lock (its process gone, or no pid in it) is taken over, and `onTakeOver`
 * told its text. `label` (what holds it, e.g. "alpha live") is written after the pid, for messages.
 * Fails with a PidLockError naming the step, `link` with EEXIST when other processes kept taking it
 * meanwhile.
 * @example
 * const holder = takePidLock('lake/.locks/quotes.lock'); // undefined: this process holds it
 */
export function takePidLock(path: string, onTakeOver?: (stale: string) => void, label?: string): number | undefined {
  const mine = `${path}.${process.pid}`;
  try {
    try {
      writeFileSync(mine, `${process.pid}${label ? ` ${label}` : ''}\n`);
    } catch (err) {
      throw new PidLockError('write', err);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, path);
        return undefined;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new PidLockError('link', err);
      }
      const text = lockText(path);
      if (text === undefined) continue; // released meanwhile: link again
      const holder = Number.parseInt(text, 10);
      if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) return holder;
      if (takeOverStale(path, text)) onTakeOver?.(text);
    }
    throw new PidLockError('link', Object.assign(new Error(`${path}: taken by other processes meanwhile`), { code: 'EEXIST' }));
  } finally {
    rmSync(mine, { force: true }); // written, then a failure (a full disk): not left behind either
  }
}

/** The lock's text, or undefined when it is gone (released between the link that failed and this read). */
function lockText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PidLockError('link', err);
  }
}

/**
 * Moves the lock at `path`, read as held by the gone process `stale` (its text), out of the way. Then
 * the caller links its own lock into place again. False when another process moved it first, or
 * holds it now: the caller's link then says who has it.
 * @example
 * const tookOver = takeOverStale('lake/.locks/quotes.lock', '4242\n'); // then link this process's lock again
 */
export function takeOverStale(path: string, stale: string): boolean {
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return false; // gone already: another process moved it first
  }
  let moved: string | undefined;
  try {
    moved = readFileSync(aside, 'utf8');
  } catch {
    moved = undefined;
  }
  if (moved !== stale) {
    // Not the stale lock: a live one linked meanwhile. Back in place (unless yet another took the name).
    try {
      linkSync(aside, path);
    } catch {
      // The name is taken again: that holder's lock stands.
    }
    rmSync(aside, { force: true });
    return false;
  }
  rmSync(aside, { force: true });
  return true;
}

/**
 * Removes what takers of the lock `path` that are no longer running left beside it: a private file
 * (`NAME.PID`; a taker killed between writing it and removing it) and a stale lock it had moved aside
 * (`NAME.stale.PID`). The holder of the lock calls it; returns what was removed (one it may not remove
 * stays).
 * @example
 * for (const left of removeDeadLeftovers('lake/.locks/quotes.lock')) console.log(`removed ${left.path}`);
 */
export function removeDeadLeftovers(path: string): { path: string; pid: number }[] {
  const dir = dirname(path);
  const name = basename(path);
  const removed: { path: string; pid: number }[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (!entry.startsWith(`${name}.`)) continue;
    const m = /^(?:stale\.)?(\d+)$/.exec(entry.slice(name.length + 1));
    const pid = m ? Number(m[1]) : 0;
    if (!m || processAlive(pid)) continue;
    try {
      rmSync(join(dir, entry), { force: true });
    } catch {
      continue; // not this user's to remove: it stays, harmless beside the lock
    }
    removed.push({ path: join(dir, entry), pid });
  }
  return removed;
}
