/**
 * takeOverStale (lib/io/pid-lock.ts): a stale lock is moved out of the way for one process only,
 * and a lock another process linked after the stale one was read stays in place. Removing the stale
 * file by name let a second process remove the first one's fresh lock: three processes on a lock of a
 * dead pid held it twice in 6 of 15 trials (`alpha data lake` appends), none since.
 */
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withLock } from '../../../lib/io/lake/lock.ts';
import { takeOverStale } from '../../../lib/io/pid-lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-stale-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A lock file at `name` holding `pid`, linked from a private file as the writers make it. */
function lockOf(name: string, pid: number): string {
  const path = join(dir, name);
  writeFileSync(`${path}.${pid}`, `${pid}\n`);
  linkSync(`${path}.${pid}`, path);
  rmSync(`${path}.${pid}`);
  return path;
}

describe('takeOverStale', () => {
  it('moves the stale lock it read out of the way, leaving nothing beside it', () => {
    const path = lockOf('a.lock', 999_999);
    expect(takeOverStale(path, '999999\n')).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('a.lock'))).toEqual([]);
  });

  it('leaves a lock another process linked after the stale one was read, and says it did not take it over', () => {
    const path = lockOf('b.lock', 999_999);
    const read = readFileSync(path, 'utf8'); // this process reads the stale lock…
    expect(takeOverStale(path, read)).toBe(true); // …another takes it over first…
    lockOf('b.lock', 4242); // …and links its own
    expect(takeOverStale(path, read)).toBe(false); // what this one would have removed by name
    expect(readFileSync(path, 'utf8')).toBe('4242\n');
    expect(readdirSync(dir).filter((f) => f.startsWith('b.lock'))).toEqual(['b.lock']);
  });

  it('says false for a lock that is gone', () => {
    expect(takeOverStale(join(dir, 'none.lock'), '999999\n')).toBe(false);
  });

  it("a lake's lock with a folder at its name is refused in one line, and the folder left as it was", async () => {
    const path = join(dir, 'locks', 'quotes.lock');
    mkdirSync(path, { recursive: true });
    let ran = false;
    await expect(withLock(path, 'dataset "quotes"', async () => void (ran = true))).rejects.toThrow(
      `cannot take the lock ${path}: EISDIR: a folder stands at that name: expected a lock file of alpha's, or nothing, at that name`,
    );
    expect(ran).toBe(false);
    expect(readdirSync(join(dir, 'locks'))).toEqual(['quotes.lock']);
    expect(readdirSync(path)).toEqual([]);
  });
});
