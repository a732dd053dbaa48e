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
 * - tick-to-trade (bench/live-t2t.ts): venue ITCH send → OUCH Enter Order read, from the venue's audit
 *   trail, through a small live graph (quotes → every Nth quote → an IOC order → OUCH) run as one
 *   process and split in two processes joined by Kafka, at --t2t-speed; p50 / p99 / p99.9 as ratios to
 * - the reference: colo_pingpong's loopback round trip (UDP out, TCP back), back to back, run
 *   before and after the tick-to-trade runs (the lower p50 of the two; bench:venue also runs it paced).
 *
 * - split: examples/hybrid.yaml as its two `alpha live --group` processes joined by Kafka
 *   (bench/live-split.ts), by the same keep-up rule (the cloud process's lag too). Its processes
 *   join the feed a second or two after the venue starts, so a day shorter than --seconds would
 *   measure their start-up. The split's feed rate is therefore raised by the universe, not the
 *   speed: one day of --split-symbols instruments each, at --split-speed (default: the fastest of
 *   --speeds whose day lasts --seconds).
 *
 * Flags: --speeds 600,2400,9600,38400,153600 --seconds 8 --symbols 40 --split-symbols 40,160,640
 * --split-speed S --keep-up-ms 50 --t2t-speed 1200 --every 20 --skip-seconds 5 --rounds 20000
 * --t2t-only (no feed-rate sweep) --no-split. One JSON line at the end.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { benchFlags, decimal, decimals, wholeNumber, wholeNumbers } from './flags.ts';
import { type GroupRun, splitRun } from './live-split.ts';
import { type T2tResult, tickToTrade } from './live-t2t.ts';
import { type Dist, pingpongRun as runPingpong } from './venue-audit.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string): string => join(root, 'native/colo/build', name);
const flags = benchFlags('live', {
  speeds: { type: 'string', default: '600,2400,9600,38400,153600' },
  seconds: { type: 'string', default: '8' },
  symbols: { type: 'string', default: '40' },
  'split-symbols': { type: 'string', default: '40,160,640' },
  'split-speed': { type: 'string' },
  'keep-up-ms': { type: 'string', default: '50' },
  't2t-speed': { type: 'string', default: '1200' },
  every: { type: 'string', default: '20' },
  'skip-seconds': { type: 'string', default: '5' },
  rounds: { type: 'string', default: '20000' },
  't2t-only': { type: 'boolean' },
  'no-split': { type: 'boolean' },
});
const speeds = decimals(flags, 'speeds', { min: 0.01, max: 1_000_000 });
const seconds = decimal(flags, 'seconds', { min: 0.1, max: 3600 });
const symbols = wholeNumber(flags, 'symbols', { max: 5000 });
const splitSymbols = wholeNumbers(flags, 'split-symbols', { max: 5000 });
const keepUpMs = decimal(flags, 'keep-up-ms', { min: 0.001, max: 60_000 });
const t2tSpeed = decimal(flags, 't2t-speed', { min: 0.01, max: 1_000_000 });
const every = wholeNumber(flags, 'every', { max: 1_000_000 });
const skipSeconds = decimal(flags, 'skip-seconds', { min: 0, max: 3600 });
// colo_pingpong's own limit.
const rounds = wholeNumber(flags, 'rounds', { max: 60_000 });
const t2tOnly = flags.values['t2t-only'] === true;
const noSplit = flags.values['no-split'] === true;
const givenSplitSpeed =
  flags.values['split-speed'] === undefined ? undefined : decimal(flags, 'split-speed', { min: 0.01, max: 1_000_000 });

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

/** One generated day of `n` instruments and the venue's background flow made from it. */
async function day(n: number): Promise<{ data: string; date: string; flow: string }> {
  const data = join(dir, `data-${n}`);
  await generateDataset({ out: data, symbols: n, days: 1, seed: 11 });
  const date = readManifest(data).dates[0]!;
  const flow = join(dir, `flow-${n}.itch`);
  await writeBackgroundFlow({ data, date, out: flow });
  return { data, date, flow };
}
const { data, date, flow } = await day(symbols);

/** Starts colo_venue on a flow (default: the --symbols day's) at `speed`; resolves with its ports once it printed its ready line. */
async function venue(speed: number, flowFile = flow): Promise<{ child: ChildProcess; ouch: number; rerequest: number }> {
  const child = spawn(bin('colo_venue'), ['--flow', flowFile, '--speed', String(speed), '--users', 'alpha:alpha'], {
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
  /** The instruments of the day the venue played. */
  symbols: number;
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
  /** The split: the cloud group's lag (its Kafka input's batches, receipt → step). */
  cloud_lag_ms?: { p50: number; p99: number; max: number };
  kept_up: boolean;
}

/** A row from a live run's summary (the colo group's, for the split, with the cloud group's). */
function rowOf(speed: number, universe: number, s: GroupRun, cloud?: GroupRun): Row {
  // Each feed joins late and re-requests the session from its start: that first gap is the join.
  const gaps = ['quotes', 'trades'].reduce((n, f) => n + Math.max(0, (s.nodes[f]?.['gaps'] ?? 0) - 1), 0);
  const span = Math.max(s.feed_seconds, 1e-3);
  return {
    speed,
    symbols: universe,
    events: s.events,
    events_per_sec: Math.round(s.events / span),
    offered_per_sec: Math.round(s.events / Math.min(seconds, playSeconds(speed))),
    feed_seconds: s.feed_seconds,
    gaps,
    lag_ms: s.lag_ms,
    orders: s.orders,
    ...(cloud ? { cloud_lag_ms: cloud.lag_ms } : {}),
    // Kept up: no loss beyond the join, the batch lag bounded (in each process), and the day delivered
    // within 10% (and 50 ms) of the time the venue took to play it: a backlog in the socket would stretch that.
    kept_up:
      gaps === 0 &&
      s.lag_ms.p99 <= keepUpMs &&
      (cloud === undefined || cloud.lag_ms.p99 <= keepUpMs) &&
      (playSeconds(speed) > seconds || span <= playSeconds(speed) * 1.1 + 0.05),
  };
}
const rows: Row[] = [];
const splitRows: Row[] = [];
let lastCapture = '';
const load = loadavg()[0]!;
for (const speed of t2tOnly ? [] : speeds) {
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
    rows.push(rowOf(speed, symbols, s));
    lastCapture = s.capture;
  } finally {
    v.child.kill('SIGTERM');
  }
}
// The split's processes join the venue's feed a second or two after it starts playing (each is an
// `alpha live` process starting up) and re-request what they missed: on a day shorter than the run
// that catch-up burst is most of the day, and the row would measure the start-up, not keeping up. So
// its feed rate grows with the universe, at a speed whose day lasts the whole run.
const splitSpeed = givenSplitSpeed ?? Math.max(...speeds.filter((s) => playSeconds(s) >= seconds), Math.min(...speeds));
for (const n of t2tOnly || noSplit ? [] : splitSymbols) {
  const at = n === symbols ? { data, date, flow } : await day(n);
  const split = await splitRun({
    dir,
    data: at.data,
    date: at.date,
    speed: splitSpeed,
    seconds: Math.min(seconds, playSeconds(splitSpeed) + 2),
    headStartSeconds: 5,
    venue: (speed) => venue(speed, at.flow),
    tag: String(n),
  });
  splitRows.push(rowOf(splitSpeed, n, split.colo, split.cloud));
}
const replay = t2tOnly
  ? { events_per_sec: Number.NaN, orders: Number.NaN }
  : await replayCaptureRun({
      topologyFile: join(root, 'examples/live-venue.yaml'),
      capture: lastCapture,
      outDir: join(dir, 'replay'),
    });

const pingpongRun = (): Dist => runPingpong(bin('colo_pingpong'), rounds);
const loadT2t = loadavg();
const pingpongRuns = [pingpongRun()];
const t2t: T2tResult[] = [];
for (const mode of ['one process', 'split'] as const)
  t2t.push(await tickToTrade({ mode, dir, flow, data, date, speed: t2tSpeed, every, skipSeconds }));
pingpongRuns.push(pingpongRun());
const pp = pingpongRuns.reduce((a, b) => (b.p50 < a.p50 ? b : a));

const bestOf = (rs: Row[]): Row | undefined =>
  rs.filter((r) => r.kept_up).reduce<Row | undefined>((a, r) => (!a || r.offered_per_sec > a.offered_per_sec ? r : a), undefined);
const best = bestOf(rows);
const bestSplit = bestOf(splitRows);
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const us = (ns: number | undefined): string => (ns !== undefined && Number.isFinite(ns) ? (ns / 1000).toFixed(1) : '-');
const x = (a: number | undefined, b: number | undefined): string => (a !== undefined && b ? `${(a / b).toFixed(1)}×` : '-');
const t2tLines = [
  `tick-to-trade: venue ITCH send → OUCH Enter Order read (the venue's audit), quotes → every ${every}th → IOC order → OUCH, venue at ${t2tSpeed}×, packets of the first ${skipSeconds} s not timed (load average ${loadT2t.map((l) => l.toFixed(2)).join(' ')})`,
  '',
  '| path | feed (venue messages/s) | p50 µs | p99 µs | p99.9 µs | p50 / p99 / p99.9 vs ping-pong | orders timed |',
  '|---|---|---|---|---|---|---|',
  `| reference: colo_pingpong (UDP out, TCP back) | – | ${us(pp.p50)} | ${us(pp.p99)} | ${us(pp.p999)} | 1× / 1× / 1× | ${fmt(pp.n)} round trips |`,
  ...t2t.map(
    (r) =>
      `| ${r.mode === 'split' ? 'split: colo → Kafka → cloud → Kafka → colo' : 'one process'} | ${fmt(r.feed_messages_per_sec)} | ${us(r.total.p50)} | ${us(r.total.p99)} | ${us(r.total.p999)} | ${x(r.total.p50, pp.p50)} / ${x(r.total.p99, pp.p99)} / ${x(r.total.p999, pp.p999)} | ${fmt(r.timed)} of ${fmt(r.orders)} (${r.skipped} in the first ${skipSeconds} s, ${r.missing} not found once) |`,
  ),
  `  (ping-pong before / after: p50 ${pingpongRuns.map((d) => us(d.p50)).join(' / ')} µs; the lower p50 is the reference)`,
];
const lag = (l: { p50: number; p99: number; max: number }): string => `${l.p50.toFixed(2)} / ${l.p99.toFixed(2)} / ${l.max.toFixed(2)}`;
const rowLine = (run: string, r: Row): string =>
  `| ${run} | ${r.speed}× | ${r.symbols} | ${fmt(r.offered_per_sec)} | ${fmt(r.events_per_sec)} (${r.feed_seconds.toFixed(2)} s) | ${lag(r.lag_ms)}${r.cloud_lag_ms ? ` (cloud: ${lag(r.cloud_lag_ms)})` : ''} | ${r.gaps} | ${fmt(r.orders)} | ${r.kept_up ? 'yes' : 'no'} |`;
const lines = [
  `bench:live — examples/live-venue.yaml (one process) and examples/hybrid.yaml (split) against colo_venue, ${seconds} s per run (load average ${load.toFixed(2)})`,
  '',
  `| run | venue speed | symbols | offered records/s | taken records/s (span) | lag p50 / p99 / max (ms) | gaps after the join | orders | keeps up |`,
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => rowLine('one process', r)),
  ...splitRows.map((r) => rowLine('split (hybrid.yaml, colo)', r)),
  `| reference: the last one-process capture replayed offline | – | ${symbols} | – | ${fmt(replay.events_per_sec)} | – | – | ${fmt(replay.orders)} | – |`,
  '',
  best
    ? `largest feed rate kept up with, one process: ${fmt(best.offered_per_sec)} records/s (${best.speed}×) = ${(best.offered_per_sec / replay.events_per_sec).toFixed(3)}× the offline replay's rate`
    : 'one process kept up with none of the speeds',
  ...(noSplit
    ? []
    : [
        `split: at ${splitSpeed}× (a day of ${playSeconds(splitSpeed).toFixed(1)} s, the run ${seconds} s), the feed rate raised by the universe: ${splitSymbols.join(', ')} symbols`,
        bestSplit
          ? `largest feed rate kept up with, split: ${fmt(bestSplit.offered_per_sec)} records/s (${bestSplit.symbols} symbols at ${bestSplit.speed}×) = ${(bestSplit.offered_per_sec / replay.events_per_sec).toFixed(3)}× the offline replay's rate`
          : 'the split kept up with none of the speeds',
      ]),
  '',
  ...t2tLines,
];
process.stdout.write(`${(t2tOnly ? t2tLines : lines).join('\n')}\n`);
process.stdout.write(
  `${JSON.stringify({ bench: 'live', load, rows, split_rows: splitRows, replay_events_per_sec: replay.events_per_sec, pingpong_ns: pp, pingpong_runs_ns: pingpongRuns, load_t2t: loadT2t, tick_to_trade_ns: t2t, kept_up: best ?? null, split_kept_up: bestSplit ?? null })}\n`,
);
rmSync(dir, { recursive: true, force: true });
