/**
 * A backtest and a sweep name themselves in the lock of their --out, as `alpha live` does, so the run
 * refused by one says what holds the folder ("in use by alpha backtest (process N, …)"); it said only
 * "in use by process N". Each holder is stopped (SIGSTOP) once its lock is there, so it holds it for
 * as long as the test needs, whatever the machine's speed.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runAlpha, startAlpha } from '../helpers/cli.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

let dir: string;
let data: string;
beforeAll(async () => {
  dir = tempDir('run-lock');
  data = await dataset({ symbols: 4, days: 2, seed: 4 });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `alpha ...args` on `out`, held stopped once its lock is there; `check` runs meanwhile; then it is killed. */
async function whileHolding(args: string[], lock: string, check: (pid: number) => Promise<void>): Promise<void> {
  const holder = startAlpha(args);
  const pid = holder.child.pid!;
  try {
    const until = Date.now() + 30_000;
    while (!existsSync(lock) && Date.now() < until && holder.child.exitCode === null) await new Promise((r) => setTimeout(r, 2));
    holder.child.kill('SIGSTOP');
    expect(existsSync(lock), holder.output.stderr).toBe(true);
    await check(pid);
  } finally {
    holder.child.kill('SIGKILL');
    await holder.exited;
  }
}

const backtest = (out: string): string[] => ['backtest', 'topology.yaml', '--data', data, '--out', out, '--overwrite', '--quiet'];
const sweep = (out: string): string[] => [
  'sweep',
  'topology.yaml',
  '--data',
  data,
  '--grid',
  'orders.min_notional=1000,2000',
  '--jobs',
  '1',
  '--out',
  out,
  '--overwrite',
  '--quiet',
];

function refusedLine(r: CliRun): string {
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0]!;
}

describe('the lock of a run names what holds it', () => {
  it('a backtest: another backtest and a sweep on its --out say "in use by alpha backtest"', async () => {
    const out = join(dir, 'bt');
    const lock = join(dir, '.bt.lock');
    await whileHolding(backtest(out), lock, async (pid) => {
      expect(readFileSync(lock, 'utf8')).toBe(`${pid} alpha backtest\n`);
      const inUse = `alpha: --out ${out}: in use by alpha backtest (process ${pid}, lock ${lock}), expected one run per folder: wait for it, or choose another --out`;
      const [b, s] = await Promise.all([runAlpha(backtest(out), 30_000), runAlpha(sweep(out), 30_000)]);
      expect(refusedLine(b)).toBe(inUse);
      expect(refusedLine(s)).toBe(inUse);
    });
  }, 90_000);

  it('a sweep: a backtest on its --out says "in use by alpha sweep"', async () => {
    const out = join(dir, 'sw');
    const lock = join(dir, '.sw.lock');
    await whileHolding(sweep(out), lock, async (pid) => {
      expect(readFileSync(lock, 'utf8')).toBe(`${pid} alpha sweep\n`);
      const b = await runAlpha(backtest(out), 30_000);
      expect(refusedLine(b)).toBe(
        `alpha: --out ${out}: in use by alpha sweep (process ${pid}, lock ${lock}), expected one run per folder: wait for it, or choose another --out`,
      );
    });
  }, 90_000);
});
