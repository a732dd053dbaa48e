/**
 * Taking over a lock file whose holder is gone, so that two processes doing it at once do not both
 * end up holding the lock. Removing the stale file by name was not enough: the second process's
 * remove took away the lock the first had just linked into place (three processes on a lock of a
 * dead pid held it twice in 3 of 20 trials). The stale file is renamed aside instead, which only one
 * process can do to a given file; if what was moved is not the stale lock any more (another process
 * took it over and linked its own meanwhile), it is put back.
 */
import { linkSync, readFileSync, renameSync, rmSync } from 'node:fs';

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
