/**
 * The cost of a realistic broker (issue 14): the default backtest with execution.sim-broker
 * (examples/sim-broker.yaml: the same graph, the broker swapped) and with execution.book-broker
 * (topology.yaml), each `alpha backtest` in its own process, alternating on the same data in the same
 * run, so both see the same machine load. Prints each run's events/s over the drive loop and over the
 * whole process, its CPU time (user + system, all threads, from bash's `times`: unlike wall time it
 * does not grow while the process waits for a core on a busy machine), the fills, and the ratios of the
 * book broker's CPU and drive time to the simple one's (paired runs and medians; target ≤ 1.3×).
 * With `--algos` (`npm run bench:algos`) a third graph runs in the rotation, examples/execution-algos.yaml
 * (the book-broker graph with execution.vwap before the broker), and its CPU is compared with the
 * book-broker graph's: the cost of working every order as a parent in IOC children.
 *
 *   npm run bench:broker -- [--runs 3] [--data data/sample] [--algos]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchFlags, refuse, wholeNumber } from './flags.ts';
import { median } from './median.ts';

const flags = benchFlags('broker', {
  runs: { type: 'string', default: '3' },
  data: { type: 'string', default: 'data/sample' },
  algos: { type: 'boolean', default: false },
});
const args = flags.values;
const runs = wholeNumber(flags, 'runs', { max: 10_000 });
if (args.data === '') refuse('broker', "--data '': expected a dataset directory (generated there on the first run if missing)");

const variants = [
  { name: 'execution.sim-broker', topology: 'examples/sim-broker.yaml' },
  { name: 'execution.book-broker', topology: 'topology.yaml' },
  ...(args.algos ? [{ name: 'execution.vwap + book', topology: 'examples/execution-algos.yaml' }] : []),
];

interface Run {
  events: number;
  drive: number;
  wall: number;
  cpu: number;
  fills: number;
  totalReturn: number;
}

/** Seconds of a `times` figure such as 1m2.345s. */
const seconds = (text: string): number => {
  const m = /^(\d+)m([\d.]+)s$/.exec(text);
  if (!m) throw new Error(`unexpected output of bash times: "${text}"`);
  return Number(m[1]) * 60 + Number(m[2]);
};

function backtest(topology: string, first: boolean): Run {
  const out = mkdtempSync(join(tmpdir(), 'alpha-bench-broker-'));
  const t0 = performance.now();
  const argv = ['bin/alpha.mjs', 'backtest', topology, '--data', args.data, '--out', out, '--overwrite', '--quiet'];
  if (first) argv.push('--generate-if-missing');
  // bash runs the backtest, then `times` prints its children's user and system time (second line).
  const times = execFileSync('bash', ['-c', '"$@" > /dev/null; times', 'bash', process.execPath, ...argv], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  const [user, system] = times.trim().split('\n')[1]!.trim().split(/\s+/).map(seconds) as [number, number];
  const wall = (performance.now() - t0) / 1000;
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
    events: number;
    wall_seconds: number;
    fills: number;
    total_return: number;
  };
  rmSync(out, { recursive: true, force: true });
  return { events: s.events, drive: s.wall_seconds, wall, cpu: user + system, fills: s.fills, totalReturn: s.total_return };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

const results: Run[][] = variants.map(() => []);
for (let i = 0; i < runs; i++) {
  // Rotate which goes first, so none always runs on a warmer machine.
  const order = variants.map((_, k) => (k + i) % variants.length);
  for (const v of order) {
    const r = backtest(variants[v]!.topology, i === 0 && v === order[0]);
    results[v]!.push(r);
    console.log(
      `run ${i + 1} ${variants[v]!.name.padEnd(22)} ${fmt(r.events / r.drive)} events/s drive (${r.drive.toFixed(2)} s), ` +
        `${fmt(r.events / r.wall)} events/s whole process (${r.wall.toFixed(2)} s, CPU ${r.cpu.toFixed(2)} s), ${fmt(r.fills)} fills, total return ${(r.totalReturn * 100).toFixed(2)}%`,
    );
  }
}
const paired = results[0]!.map((a, i) => results[1]![i]!.drive / a.drive);
const pairedCpu = results[0]!.map((a, i) => results[1]![i]!.cpu / a.cpu);
const [simpleCpu, bookCpu] = [median(results[0]!.map((r) => r.cpu)), median(results[1]!.map((r) => r.cpu))];
const [simple, book] = [median(results[0]!.map((r) => r.drive)), median(results[1]!.map((r) => r.drive))];
const [simpleWall, bookWall] = [median(results[0]!.map((r) => r.wall)), median(results[1]!.map((r) => r.wall))];
console.log(
  `\nbook-broker / sim-broker CPU time: median ${(bookCpu / simpleCpu).toFixed(2)}× (${bookCpu.toFixed(2)} / ${simpleCpu.toFixed(2)} s; paired runs ${pairedCpu.map((x) => x.toFixed(2)).join(', ')}; target ≤ 1.3×)`,
);
console.log(
  `book-broker / sim-broker drive time: median ${(book / simple).toFixed(2)}× (paired runs ${paired.map((x) => x.toFixed(2)).join(', ')}; target ≤ 1.3×); ` +
    `whole process ${(bookWall / simpleWall).toFixed(2)}×`,
);
if (args.algos) {
  const algos = results[2]!;
  const cpu = median(algos.map((r) => r.cpu));
  const pairedAlgos = results[1]!.map((b, i) => algos[i]!.cpu / b.cpu);
  console.log(
    `execution-algos / book-broker CPU time: median ${(cpu / bookCpu).toFixed(2)}× (${cpu.toFixed(2)} / ${bookCpu.toFixed(2)} s; paired runs ${pairedAlgos.map((x) => x.toFixed(2)).join(', ')}); ` +
      `drive ${fmt(median(algos.map((r) => r.events / r.drive)))} vs ${fmt(median(results[1]!.map((r) => r.events / r.drive)))} events/s`,
  );
}
