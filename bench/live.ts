/**
 * `npm run bench:live`: how fast a feed the live graph keeps up with (issue 16), beside what the same
 * graph does offline in the same run.
 *
 * - live: `alpha live examples/live-venue.yaml` (two ITCH feeds into bars, returns, a cross-section,
 *   a model, sizing, orders, pre-trade risk, OUCH order entry and accounting, every arrival captured)
 *   against colo_venue playing a generated day at each --speeds factor for --seconds of wall time. Per
 *   speed: the feed's records/s while the day plays, the lag of each source batch (its first record's
 *   receipt → its step, p50 / p99 / max), the packets the feed found missing, orders. The graph keeps
 *   up while the lag's p99 stays under --keep-up-ms and no packet went missing (a graph that reads too
 *   late lets the kernel drop datagrams: the lag of what it did read would not show that).
 * - reference: the replay of the fastest run's capture (`alpha backtest --capture`), the same
 *   operators over the same records with no feed to wait for: the rate the graph can reach.
 * - floor: colo_pingpong's loopback round trip (UDP out, TCP back), as in bench:venue, whose JS-graph
 *   row is the tick-to-trade through this driver.
 *
 * Flags: --speeds 600,2400,9600,38400,153600 --seconds 8 --symbols 40 --keep-up-ms 50. One JSON line at the end.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string): string => join(root, 'native/colo/build', name);
const argv = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? fallback : (argv[i + 1] ?? '');
};
const num = (name: string, fallback: number): number => {
  const v = Number(arg(name, String(fallback)));
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`alpha bench:live: --${name} '${arg(name, '')}' is not a number > 0\n`);
    process.exit(2);
  }
  return v;
};
const speeds = arg('speeds', '600,2400,9600,38400,153600').split(',').map(Number);
if (speeds.some((s) => !Number.isFinite(s) || s <= 0)) {
  process.stderr.write(`alpha bench:live: --speeds '${arg('speeds', '')}': expected speeds > 0, comma-separated\n`);
  process.exit(2);
}
const seconds = num('seconds', 8);
const symbols = num('symbols', 40);
const keepUpMs = num('keep-up-ms', 50);

for (const b of ['colo_venue', 'colo_pingpong']) {
  if (!existsSync(bin(b))) {
    execFileSync('bash', [join(root, 'native/colo/build.sh')], { stdio: 'inherit' });
    break;
  }
}

const [{ generateDataset }, { readManifest }, { writeBackgroundFlow }, { runLiveSession, replayCaptureRun }] = await Promise.all([
  import('../pipelines/data/generate.ts'),
  import('../pipelines/data/manifest.ts'),
  import('../pipelines/venue/flow.ts'),
  import('../pipelines/runtime/live.ts'),
]);

const dir = mkdtempSync(join(tmpdir(), 'alpha-bench-live-'));
const data = join(dir, 'data');
await generateDataset({ out: data, symbols, days: 1, seed: 11 });
const date = readManifest(data).dates[0]!;
const flow = join(dir, 'flow.itch');
await writeBackgroundFlow({ data, date, out: flow });

/** Starts colo_venue on the flow at `speed`; resolves with its ports once it printed its ready line. */
async function venue(speed: number): Promise<{ child: ChildProcess; ouch: number; rerequest: number }> {
  const child = spawn(bin('colo_venue'), ['--flow', flow, '--speed', String(speed), '--users', 'alpha:alpha'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise<{ ouch_port: number; rerequest_port: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('colo_venue printed no ready line in 10 s')), 10_000);
    createInterface({ input: child.stdout! }).on('line', (l) => {
      if (!l.includes('"ready"')) return;
      clearTimeout(timer);
      resolve(JSON.parse(l) as { ouch_port: number; rerequest_port: number });
    });
  });
  return { child, ouch: ready.ouch_port, rerequest: ready.rerequest_port };
}

/** Wall seconds the venue takes to play the day at `speed` (its regular session, 6.5 hours of flow). */
const playSeconds = (speed: number): number => 23_400 / speed;

interface Row {
  speed: number;
  events: number;
  /** Records over the span from the first batch read to the last: the rate the graph took them at. */
  events_per_sec: number;
  /** Records over the time the venue was playing the day: the rate it offered. */
  offered_per_sec: number;
  feed_seconds: number;
  /** Packets the feed found missing (each re-requested): the kernel dropped what the graph did not read in time. */
  gaps: number;
  lag_ms: { p50: number; p99: number; max: number };
  orders: number;
  kept_up: boolean;
}
const rows: Row[] = [];
let lastCapture = '';
const load = loadavg()[0]!;
for (const speed of speeds) {
  const v = await venue(speed);
  try {
    const out = join(dir, `live-${speed}`);
    const s = await runLiveSession({
      topologyFile: join(root, 'examples/live-venue.yaml'),
      sets: [`quotes.rerequest_port=${v.rerequest}`, `trades.rerequest_port=${v.rerequest}`, `broker.port=${v.ouch}`],
      dataDir: data,
      outDir: out,
      date,
      speed,
      // Long enough for the day to play, and 2 s more for the graph to catch up.
      seconds: Math.min(seconds, playSeconds(speed) + 2),
      statusSeconds: 0,
    });
    // Each feed joins late and re-requests the session from its start: that first gap is the join.
    const gaps = ['quotes', 'trades'].reduce((n, f) => n + Math.max(0, (s.nodes[f]?.['gaps'] ?? 0) - 1), 0);
    const span = Math.max(s.feed_seconds, 1e-3);
    rows.push({
      speed,
      events: s.events,
      events_per_sec: Math.round(s.events / span),
      offered_per_sec: Math.round(s.events / Math.min(seconds, playSeconds(speed))),
      feed_seconds: s.feed_seconds,
      gaps,
      lag_ms: s.lag_ms,
      orders: s.orders,
      // Kept up: no loss beyond the join, the batch lag bounded, and the day delivered within 10% (and
      // 50 ms) of the time the venue took to play it: a backlog in the socket would stretch that.
      kept_up: gaps === 0 && s.lag_ms.p99 <= keepUpMs && (playSeconds(speed) > seconds || span <= playSeconds(speed) * 1.1 + 0.05),
    });
    lastCapture = s.capture;
  } finally {
    v.child.kill('SIGTERM');
  }
}
const replay = await replayCaptureRun({
  topologyFile: join(root, 'examples/live-venue.yaml'),
  capture: lastCapture,
  outDir: join(dir, 'replay'),
});
const pp = JSON.parse(execFileSync(bin('colo_pingpong'), ['--rounds', '20000'], { encoding: 'utf8' })) as {
  p50_ns: number;
  p99_ns: number;
};

const best = rows
  .filter((r) => r.kept_up)
  .reduce<Row | undefined>((a, r) => (!a || r.offered_per_sec > a.offered_per_sec ? r : a), undefined);
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const lines = [
  `bench:live — examples/live-venue.yaml against colo_venue, ${symbols} symbols, ${seconds} s per speed (load average ${load.toFixed(2)})`,
  '',
  `| venue speed | offered records/s | taken records/s (span) | lag p50 / p99 / max (ms) | gaps after the join | orders | keeps up |`,
  '|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.speed}× | ${fmt(r.offered_per_sec)} | ${fmt(r.events_per_sec)} (${r.feed_seconds.toFixed(2)} s) | ${r.lag_ms.p50.toFixed(2)} / ${r.lag_ms.p99.toFixed(2)} / ${r.lag_ms.max.toFixed(2)} | ${r.gaps} | ${fmt(r.orders)} | ${r.kept_up ? 'yes' : 'no'} |`,
  ),
  `| reference: the last capture replayed offline | – | ${fmt(replay.events_per_sec)} | – | – | ${fmt(replay.orders)} | – |`,
  '',
  best
    ? `largest feed rate kept up with: ${fmt(best.offered_per_sec)} records/s (${best.speed}×) = ${(best.offered_per_sec / replay.events_per_sec).toFixed(3)}× the offline replay's rate`
    : 'kept up with none of the speeds',
  `loopback floor (colo_pingpong): p50 ${(pp.p50_ns / 1000).toFixed(1)} µs, p99 ${(pp.p99_ns / 1000).toFixed(1)} µs; tick-to-trade through this driver: npm run bench:venue (JS graph row)`,
];
process.stdout.write(`${lines.join('\n')}\n`);
process.stdout.write(
  `${JSON.stringify({ bench: 'live', load, rows, replay_events_per_sec: replay.events_per_sec, pingpong: pp, kept_up: best ?? null })}\n`,
);
rmSync(dir, { recursive: true, force: true });
