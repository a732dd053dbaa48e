/**
 * `npm run bench:sweep`: a sweep of 16 points of the default topology on the default sample (risk
 * aversion `sizing.gamma` of the MVO sizing, 16 values), as `alpha sweep --jobs 2` in its own process
 * (start-up, validation and writing the table included), against the reference measured in the same
 * run: the same 16 points run one after another in this process with `runBacktest` (warm: modules
 * loaded once, no process start-ups). Then the same sweep on worker threads (`--workers thread`).
 * Prints the wall times and the ratios, and checks that every point's figures equal the reference's.
 *
 * CPU seconds are this process's for the reference and the sweep process's with its workers for the
 * sweeps (from /proc/self/stat), so a loaded machine shows in wall time but not in CPU.
 *
 * Flags: --points 16 (the first N values)  --jobs 2  --rounds 1  --no-threads  --data data/sample
 */
import { childrenCpuSeconds } from './proc-cpu.ts';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { generateDataset } from '../pipelines/data/generate.ts';
import { runBacktest } from '../pipelines/runtime/backtest.ts';
import { benchFlags, refuse, wholeNumber } from './flags.ts';

const GAMMAS = [200, 300, 400, 500, 600, 700, 800, 1000, 1200, 1500, 2000, 2500, 3000, 4000, 5000, 6000];
const flags = benchFlags('sweep', {
  points: { type: 'string', default: '16' },
  jobs: { type: 'string', default: '2' },
  rounds: { type: 'string', default: '1' },
  'no-threads': { type: 'boolean' },
  data: { type: 'string', default: 'data/sample' },
});
const points = wholeNumber(flags, 'points', { max: GAMMAS.length });
/** `alpha sweep --jobs` takes 1 to 64. */
const jobs = String(wholeNumber(flags, 'jobs', { max: 64 }));
const rounds = wholeNumber(flags, 'rounds', { max: 100 });
const data = flags.values.data;
if (data === '') refuse('sweep', "--data '': expected a dataset directory (generated there if it has no manifest.json)");
const gammas = GAMMAS.slice(0, points);
const tmp = mkdtempSync(join(tmpdir(), 'alpha-bench-sweep-'));

if (!existsSync(join(data, 'manifest.json'))) {
  process.stderr.write(`no dataset at ${data}: generating the default sample…\n`);
  await generateDataset({ out: data });
}
process.stderr.write(
  `load average before: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')} on this machine\n`,
);

const ownCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function sweep(workers: 'process' | 'thread', round: number): Promise<{ wall: number; cpu: number }> {
  const out = join(tmp, `sweep-${workers}-${round}`);
  const t = process.hrtime.bigint();
  const c0 = childrenCpuSeconds();
  execFileSync(
    process.execPath,
    [
      'bin/alpha.mjs',
      'sweep',
      'topology.yaml',
      '--data',
      data,
      '--out',
      out,
      '--grid',
      `sizing.gamma=${gammas.join(',')}`,
      '--jobs',
      jobs,
      '--workers',
      workers,
      '--quiet',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const cpu = childrenCpuSeconds() - c0;
  const bytes = readFileSync(join(out, 'sweep.parquet'));
  const rows = (await parquetReadObjects({ file: Uint8Array.from(bytes).buffer })) as Record<string, unknown>[];
  for (const row of rows) {
    const want = reference.get(Number(row['sizing.gamma']));
    if (
      !want ||
      row['status'] !== 'ok' ||
      row['sharpe'] !== want.sharpe ||
      row['total_return'] !== want.total_return ||
      row['fills'] !== want.fills
    )
      throw new Error(
        `sweep (${workers}) point ${String(row['point'])} differs from the sequential run: ${JSON.stringify(row)} vs ${JSON.stringify(want)}`,
      );
  }
  return { wall: seconds, cpu };
}

const reference = new Map<number, { sharpe: number; total_return: number; fills: number }>();
const table: string[] = [];
const row = (what: string, wall: number, cpu: number, ref: number): string =>
  `${what.padEnd(46)} ${wall.toFixed(1).padStart(6)} s wall ${cpu.toFixed(1).padStart(6)} s cpu   ${(ref / wall).toFixed(2)}×`;
for (let round = 1; round <= rounds; round++) {
  // Reference: the points one after another in this process.
  const t = process.hrtime.bigint();
  const cpu0 = ownCpu();
  for (const gamma of gammas) {
    const s = await runBacktest({
      topologyFile: 'topology.yaml',
      dataDir: data,
      sets: [`sizing.gamma=${gamma}`],
      outDir: join(tmp, `seq-${round}-${gamma}`),
    });
    reference.set(gamma, { sharpe: s.sharpe, total_return: s.total_return, fills: s.fills });
  }
  const sequential = Number(process.hrtime.bigint() - t) / 1e9;
  const sequentialCpu = ownCpu() - cpu0;
  const processes = await sweep('process', round);
  const threads = flags.values['no-threads'] === true ? undefined : await sweep('thread', round);
  table.push(
    `round ${round} (load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')})`,
    row(`${gammas.length} sequential runs in this process (reference)`, sequential, sequentialCpu, sequential),
    row(`alpha sweep --jobs ${jobs} (worker processes)`, processes.wall, processes.cpu, sequential),
    ...(threads !== undefined ? [row(`alpha sweep --jobs ${jobs} --workers thread`, threads.wall, threads.cpu, sequential)] : []),
  );
  process.stderr.write(`${table.slice(-(threads ? 4 : 3)).join('\n')}\n`);
}
rmSync(tmp, { recursive: true, force: true });
process.stdout.write(
  `sweep of ${gammas.length} points (sizing.gamma) on ${data}; every point's figures equal the sequential run's\n${table.join('\n')}\n`,
);
