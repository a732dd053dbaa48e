/**
 * `npm run bench:sweep`: a sweep of 16 points of the default topology on the default sample (risk
 * aversion `sizing.gamma` of the MVO sizing, 16 values), as `alpha sweep --jobs 2` in its own process
 * (start-up, validation and writing the table included), against the reference measured in the same
 * run: the same 16 points run one after another in this process with `runBacktest` (warm: modules
 * loaded once, no process start-ups). Then the same sweep on worker threads (`--workers thread`).
 * Prints the wall times and the ratios, and checks that every point's figures equal the reference's.
 *
 * Flags: --points 16 (the first N values)  --jobs 2  --no-threads  --data data/sample
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { generateDataset } from '../pipelines/data/generate.ts';
import { runBacktest } from '../pipelines/runtime/backtest.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const GAMMAS = [200, 300, 400, 500, 600, 700, 800, 1000, 1200, 1500, 2000, 2500, 3000, 4000, 5000, 6000];
const points = Number(flag('points', '16'));
const jobs = flag('jobs', '2');
const data = flag('data', 'data/sample');
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

// Reference: the points one after another in this process.
const reference = new Map<number, { sharpe: number; total_return: number; fills: number }>();
let t = process.hrtime.bigint();
for (const gamma of gammas) {
  const s = await runBacktest({
    topologyFile: 'topology.yaml',
    dataDir: data,
    sets: [`sizing.gamma=${gamma}`],
    outDir: join(tmp, `seq-${gamma}`),
  });
  reference.set(gamma, { sharpe: s.sharpe, total_return: s.total_return, fills: s.fills });
  process.stderr.write(`  sequential gamma ${gamma}: ${s.wall_seconds.toFixed(1)}s drive\n`);
}
const sequential = Number(process.hrtime.bigint() - t) / 1e9;

async function sweep(workers: 'process' | 'thread'): Promise<number> {
  const out = join(tmp, `sweep-${workers}`);
  t = process.hrtime.bigint();
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
  return seconds;
}

const processes = await sweep('process');
const threads = args.includes('--no-threads') ? undefined : await sweep('thread');
rmSync(tmp, { recursive: true, force: true });

const line = (what: string, s: number): string => `${what.padEnd(44)} ${s.toFixed(1).padStart(6)} s   ${(sequential / s).toFixed(2)}×`;
process.stdout.write(
  `${[
    `sweep of ${gammas.length} points (sizing.gamma) on ${data}, figures equal to the sequential runs'`,
    `${'16 sequential runs in this process (reference)'.replace('16', String(gammas.length)).padEnd(44)} ${sequential.toFixed(1).padStart(6)} s   1.00×`,
    line(`alpha sweep --jobs ${jobs} (worker processes)`, processes),
    ...(threads !== undefined ? [line(`alpha sweep --jobs ${jobs} --workers thread`, threads)] : []),
    `load average after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  ].join('\n')}\n`,
);
