/**
 * `npm run bench:metrics`: what `alpha live --metrics` costs.
 *
 * 1. A scrape: ms per GET /metrics over loopback (the registry rebuilt from the run's objects, the
 *    process metrics, the HTTP round trip) with N nodes of 8 counters and 2 gauges each.
 * 2. A live run with and without it: examples/live-venue.yaml against colo_venue playing a 12-symbol
 *    day at 600× for 20 s, twice each way, scraped every 500 ms when on: the process's CPU seconds
 *    (user + system, from bash's `time`), and the feed lag p50/p99 and peak RSS of its summary.json.
 *    The run's length is fixed by --seconds, so "not slower" is its CPU and its lag.
 *
 * Flags: --pairs 2 (live runs without and with, alternating)  --seconds 20  --no-live (the scrape cost only)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveMetrics, type LiveRunState } from '../pipelines/runtime/live-metrics.ts';
import { serveMetrics } from '../pipelines/runtime/metrics-server.ts';
import { DeadLetterLog } from '../pipelines/runtime/dead-letter-log.ts';
import { FeedStats } from '../pipelines/runtime/feed-stats.ts';
import { NodeMetrics } from '../pipelines/runtime/node-context.ts';
import { liveVenueArgs, startVenueDay } from '../test/helpers/venue-process.ts';
import { benchFlags, decimal, wholeNumber } from './flags.ts';

const flags = benchFlags('metrics', {
  pairs: { type: 'string', default: '2' },
  seconds: { type: 'string', default: '20' },
  'no-live': { type: 'boolean', default: false },
});
const pairs = wholeNumber(flags, 'pairs', { max: 100 });
const seconds = decimal(flags, 'seconds', { min: 1, max: 3600 });

async function scrapeCost(nodes: number, scrapes = 300): Promise<{ http: number; registry: number }> {
  const contexts = new Map<string, { metrics: NodeMetrics }>();
  for (let n = 0; n < nodes; n++) {
    const m = new NodeMetrics();
    for (const c of ['in', 'out', 'errors', 'dead_letters', 'a', 'b', 'c', 'd']) m.counter(c).inc(n * 1000);
    m.gauge('g1').set(n);
    m.gauge('g2').set(-n);
    contexts.set(`node_${n}`, { metrics: m });
  }
  const run = {
    topology: 'bench',
    graph: { contexts },
    observed: { orders: 1, fills: 1, states: [] },
    deadLetters: new DeadLetterLog(),
    feed: new FeedStats(['quotes', 'trades']),
    clock: { wallNow: () => 2, now: () => 1 },
    speed: 1,
  } as unknown as LiveRunState;
  const live = new LiveMetrics();
  live.attach(run);
  const ep = await serveMetrics({ host: '127.0.0.1', port: 0 }, () => live.metrics(), live.registry.contentType);
  try {
    for (let i = 0; i < 30; i++) await (await fetch(ep.url)).text(); // warm
    const t0 = performance.now();
    for (let i = 0; i < scrapes; i++) await (await fetch(ep.url)).text();
    const http = (performance.now() - t0) / scrapes;
    const t1 = performance.now();
    for (let i = 0; i < scrapes; i++) await live.metrics();
    return { http, registry: (performance.now() - t1) / scrapes };
  } finally {
    await ep.close();
  }
}

interface LiveFigures {
  cpu: number;
  p50: number;
  p99: number;
  rss: number;
  events: number;
  scrapes: number;
}

async function liveRun(metrics: boolean): Promise<LiveFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-metrics-'));
  const { venue, date, data } = await startVenueDay(dir, { symbols: 12, seed: 3, users: ['alpha:alpha'], args: ['--speed', '600'] });
  try {
    const out = join(dir, 'live');
    const args = ['bin/alpha.mjs', ...liveVenueArgs({ venue, date, data }, 600, out, '--seconds', String(seconds), '--quiet')];
    if (metrics) args.push('--metrics', '127.0.0.1:0');
    const child = spawn('/usr/bin/env', ['bash', '-c', 'TIMEFORMAT="cpu %U %S"; time node "$@"', 'bash', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    let scrapes = 0;
    let done = false;
    void exited.then(() => (done = true));
    while (metrics && !done) {
      const url = /^metrics: (\S+)$/m.exec(stderr)?.[1];
      if (url)
        await fetch(url)
          .then((r) => r.text())
          .then(
            () => scrapes++,
            () => {},
          );
      await new Promise((r) => setTimeout(r, 500));
    }
    await exited;
    const cpu = /^cpu ([\d.]+) ([\d.]+)$/m.exec(stderr);
    if (!cpu) throw new Error(`no CPU figures: ${stderr}`);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      lag_ms: { p50: number; p99: number };
      peak_rss_mb: number;
      events: number;
    };
    return { cpu: Number(cpu[1]) + Number(cpu[2]), p50: s.lag_ms.p50, p99: s.lag_ms.p99, rss: s.peak_rss_mb, events: s.events, scrapes };
  } finally {
    await venue.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log('scrape of /metrics over loopback (8 counters + 2 gauges per node, with the process metrics):');
for (const n of [10, 100, 1000]) {
  const { http, registry } = await scrapeCost(n);
  console.log(
    `  ${String(n).padStart(5)} nodes: ${http.toFixed(2)} ms per GET /metrics (fetch), of which the exposition ${registry.toFixed(2)} ms`,
  );
}
if (!flags.values['no-live'])
  console.log(
    `alpha live examples/live-venue.yaml, 12 symbols at 600×, ${seconds} s (CPU s of the process; feed lag p50/p99 ms; peak RSS MB):`,
  );
for (const metrics of flags.values['no-live'] ? [] : Array.from({ length: pairs }, () => [false, true]).flat()) {
  const f = await liveRun(metrics);
  console.log(
    `  ${metrics ? 'with --metrics   ' : 'without --metrics'}  cpu ${f.cpu.toFixed(2)} s  lag p50 ${f.p50} p99 ${f.p99} ms  rss ${f.rss} MB  events ${f.events}${metrics ? `  scrapes ${f.scrapes}` : ''}`,
  );
}
