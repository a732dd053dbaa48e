/**
 * The dataset's lock (`LAKE/.locks/DATASET.lock`) keeps every writer of a table apart, `alpha data
 * lake create` too. Before create took it, two `alpha data lake create` started together went wrong
 * in 5 of 30 trials: in 2 both said "created" and left a table of two CREATE commits (version 1), in
 * 3 the loser was told "a damaged _delta_log?"; none of 30 since.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTable } from '../../../../lib/io/lake/create.ts';
import { lockPath, tablePath } from '../../../../lib/io/lake/layout.ts';
import { runAlpha } from '../../../helpers/cli.ts';
import { deltaRs, tempLake } from '../../../helpers/lake.ts';

const lake = tempLake('lake-lock');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  lake.remove();
});

/** A live process other than this one (a `sleep`), killed after the tests. */
function liveProcess(): number {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  return child.pid!;
}

/** The dataset's lock, held by `pid`, made as the writers make it (a private file linked into place). */
function holdLock(dir: string, dataset: string, pid: number): string {
  const path = lockPath(tablePath(dir, dataset, false));
  mkdirSync(join(dir, '.locks'), { recursive: true });
  writeFileSync(`${path}.${pid}`, `${pid}\n`);
  linkSync(`${path}.${pid}`, path);
  return path;
}

describe("the dataset's lock", () => {
  it('is taken by create: a create while a live process holds it is refused in one line, and makes no table', async () => {
    const dir = join(lake.dir, 'held');
    const pid = liveProcess();
    const lock = holdLock(dir, 'trades', pid);
    const r = await runAlpha(['data', 'lake', 'create', 'trades', '--schema', 'Trade', '--lake', dir], 60_000);
    expect(r.stderr).toBe(`alpha: dataset "trades" is being written by process ${pid} (lock ${lock}): try again when it has finished\n`);
    expect(r.code).not.toBe(0);
    expect(existsSync(join(dir, 'trades'))).toBe(false);
  });

  it('is cleared by its next taker of what writers no longer running left beside it, and of nothing else', async () => {
    const dir = join(lake.dir, 'leftovers');
    const locks = join(dir, '.locks');
    mkdirSync(locks, { recursive: true });
    const dead = spawnSync('true').pid!; // a process that has ended
    const live = liveProcess();
    // A writer killed with SIGKILL while it took the lock leaves its private file (and, killed mid
    // take-over, the stale lock it had moved aside); a live writer's private file is its own, and
    // another lock's (the flush's) is that lock's business.
    writeFileSync(join(locks, `trades.lock.${dead}`), `${dead}\n`);
    writeFileSync(join(locks, `trades.lock.stale.${dead}`), '1\n');
    writeFileSync(join(locks, `trades.lock.${live}`), `${live}\n`);
    writeFileSync(join(locks, `trades.flush.lock.${dead}`), `${dead}\n`);
    const r = await runAlpha(['data', 'lake', 'create', 'trades', '--schema', 'Trade', '--lake', dir], 60_000);
    expect(r.stderr).toMatch(/^created "trades"/);
    expect(readdirSync(locks).sort()).toEqual([`trades.flush.lock.${dead}`, `trades.lock.${live}`]);
  });

  it('keeps two creates started together apart: one creates the table, the other is refused', async () => {
    // Six lakes at once, two creates on each (each create runs delta-rs in its own process).
    const trials = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const dir = join(lake.dir, `race-${i}`);
        return { dir, results: await Promise.allSettled([createTable(dir, 'trades', 'Trade'), createTable(dir, 'trades', 'Trade')]) };
      }),
    );
    for (const { dir, results } of trials) {
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message)] : []));
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatch(
        /^(dataset "trades" is being written by process \d+ \(lock .*\): try again when it has finished|.*: a Delta table exists there already)$/,
      );
      const info = deltaRs<{ version: number; history: { operation: string }[] }>('info', ['--table', join(dir, 'trades')]);
      expect(info.version).toBe(0);
      expect(info.history.map((h) => h.operation)).toEqual(['CREATE TABLE']);
      expect(existsSync(lockPath(tablePath(dir, 'trades', true)))).toBe(false);
    }
  }, 30_000);
});
