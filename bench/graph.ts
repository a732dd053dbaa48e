/**
 * Tick-rate benchmark of the operator graph (DESIGN.md §4, "Two rates"): how many quote events per
 * second the per-instrument stages sustain, each alone and chained, against a hand-written loop that
 * computes the same bars and features (checked equal), then end to end from Parquet, then the whole
 * default backtest. See bench/README.md.
 *
 * Every graph stage is a topology run by the harness (pipelines/harness: runGraph), so on the real
 * graph builder and event loop of a backtest: the in-memory stages are the topology's own nodes fed
 * by a harness.feed source (feedTopology). A graph stage's time therefore includes building the graph
 * (contexts, subscriptions) and, at every step, the event loop's source merge (SourceMerger: the next
 * slice cut at the next timer), its held-work check and any awaits, besides the
 * operators' work. A step's latency (p50/p99) runs from the end of the step before it to its own end
 * (timed by the loop's `done` hook), so it includes that merge; the first step, having no step
 * before it, is left out.
 *
 *   npm run bench -- [--quotes 1000000] [--runs 10] [--symbols 100] [--backtest-runs 1] [--no-backtest] [--only TEXT] [--fresh] [--topology topology.yaml]
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Calendar, Session } from '../operators/sdk/context.ts';
import { ColumnBatch } from '../lib/core/column-batch.ts';
import { MINUTE } from '../lib/core/time.ts';
import type { Batch } from '../operators/sdk/spec.ts';
import type { Bar, FeatureVector, Quote } from '../schemas/types.generated.ts';
import { generateDataset } from '../pipelines/data/generate.ts';
import { GENERATE_LIMITS } from '../pipelines/data/generate-options.ts';
import { readManifest, type DatasetManifest } from '../pipelines/data/manifest.ts';
import { feedTopology, runGraph, type GraphRun, type RunOptions } from '../pipelines/harness/harness.ts';
import { openDataset } from '../pipelines/io/dataset.ts';
import { resolveTopology } from '../pipelines/runtime/backtest.ts';
import type { ResolvedNode, Topology } from '../pipelines/topology/model.ts';
import { benchFlags, plainWhole, refuse, wholeNumber } from './flags.ts';

// ---------------------------------------------------------------------------------------------------
// Options and data

const flags = benchFlags('graph', {
  quotes: { type: 'string', default: '1000000' },
  runs: { type: 'string', default: '10' },
  symbols: { type: 'string', default: '100' },
  topology: { type: 'string', default: 'topology.yaml' },
  'backtest-runs': { type: 'string', default: '1' },
  'no-backtest': { type: 'boolean', default: false },
  fresh: { type: 'boolean', default: false },
  /** Only the stages whose name contains this text (for profiling). */
  only: { type: 'string' },
  /** Internal: run only the Parquet stages, expecting this many bars and at most this many steps, and print their rows as JSON (see parquetStages). */
  'parquet-child': { type: 'string' },
});
const args = flags.values;
const wantQuotes = wholeNumber(flags, 'quotes', { max: 20_000_000 });
const runs = wholeNumber(flags, 'runs', { max: 1000 });
const symbols = wholeNumber(flags, 'symbols', { max: GENERATE_LIMITS.symbols });
const backtestRuns = wholeNumber(flags, 'backtest-runs', { max: 100 });
const onlyText = args.only ?? '';
const parquetChild = args['parquet-child'] === undefined ? undefined : barsAndSteps(args['parquet-child']);
const { topology, nodes } = benchTopology(args.topology);
/** About how many quotes the generator makes per symbol-day (1,990 in the 40 × 20 sample): the first guess at the days needed. */
const QUOTES_PER_SYMBOL_DAY = 1900;
const firstGuessDays = withinGenerator(Math.max(1, Math.ceil(wantQuotes / (symbols * QUOTES_PER_SYMBOL_DAY))));

/** `days` of `symbols` instruments, or one line when the generator does not make that many. */
function withinGenerator(days: number): number {
  if (days > GENERATE_LIMITS.days || symbols * days > GENERATE_LIMITS.symbolDays)
    refuse(
      'graph',
      `--quotes ${wantQuotes} of --symbols ${symbols} takes about ${days.toLocaleString('en-US')} days, ${(symbols * days).toLocaleString('en-US')} symbol-days: ` +
        `the generator makes at most ${GENERATE_LIMITS.days.toLocaleString('en-US')} days and ${GENERATE_LIMITS.symbolDays.toLocaleString('en-US')} symbol-days (fewer quotes or more symbols)`,
    );
  return days;
}

/** `--parquet-child BARS:STEPS`, two whole numbers: what the parent passes its child (see childArgs); at 20M quotes both are far below 100M. */
function barsAndSteps(text: string): [number, number] {
  const max = 100_000_000;
  const parts = text.split(':');
  const numbers = parts.map(plainWhole);
  if (numbers.length !== 2 || numbers.some((n) => !Number.isSafeInteger(n) || n < 1 || n > max))
    refuse(
      'graph',
      `--parquet-child '${text}': expected BARS:STEPS, two whole numbers from 1 to ${max.toLocaleString('en-US')} (an internal flag the bench passes its own child)`,
    );
  return [numbers[0]!, numbers[1]!];
}

/** The topology whose nodes and params the stages run, or one line saying why it cannot be used. */
function benchTopology(file: string): { topology: Topology; nodes: Nodes } {
  try {
    const topology = resolveTopology(file);
    return { topology, nodes: nodesOf(topology) };
  } catch (err) {
    return refuse('graph', `--topology '${file}': ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Generated datasets are cached under the temp folder, keyed by the generator's own source. */
const generatorHash = (() => {
  const hash = createHash('sha256');
  for (const file of [
    'pipelines/data/generate.ts',
    'pipelines/data/market-model.ts',
    'pipelines/data/calendar.ts',
    'lib/core/rng.ts',
    'lib/io/avro-arrow.ts',
    'lib/io/parquet.ts',
  ]) {
    hash.update(readFileSync(new URL(`../${file}`, import.meta.url)));
  }
  return hash.digest('hex').slice(0, 10);
})();

async function dataset(nSymbols: number, days: number): Promise<{ dir: string; manifest: DatasetManifest }> {
  const dir = join(tmpdir(), 'alpha-factory-bench', `${nSymbols}x${days}-${generatorHash}`);
  if (args.fresh || !existsSync(join(dir, 'manifest.json'))) {
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`generating ${nSymbols} symbols × ${days} days into ${dir}…\n`);
    await generateDataset({ out: dir, symbols: nSymbols, days });
  }
  return { dir, manifest: readManifest(dir) };
}

/** Enough whole days of `symbols` instruments for at least `wantQuotes` quotes. */
async function quoteDataset(): Promise<{ dir: string; manifest: DatasetManifest }> {
  let days = firstGuessDays;
  for (;;) {
    const d = await dataset(symbols, days);
    const rows = d.manifest.datasets['quotes']?.rows ?? 0;
    if (rows >= wantQuotes) return d;
    days = withinGenerator(Math.ceil((days * wantQuotes) / Math.max(1, rows)) + (rows > 0 ? 0 : 1));
  }
}

/** What every graph stage runs with: the dataset's sessions and universe; `openDataset` only where a stage reads Parquet. */
function runOptions(dir: string, manifest: DatasetManifest): RunOptions & { openDataset: NonNullable<RunOptions['openDataset']> } {
  return {
    sessions: manifest.sessions.map(({ open, close }) => ({ open, close })),
    universe: manifest.universe,
    openDataset: (name, schema) => openDataset(dir, manifest, name, schema),
  };
}

// ---------------------------------------------------------------------------------------------------
// The graph under test: the topology's own nodes, run by the harness

interface Nodes {
  quotes: ResolvedNode;
  bars: ResolvedNode;
  returns: ResolvedNode;
  volatility: ResolvedNode;
  micro: ResolvedNode;
}

function nodesOf(topology: Topology): Nodes {
  const byType = (type: string): ResolvedNode => {
    const node = topology.nodes.find((n) => n.type === type);
    if (!node) throw new Error(`${topology.file}: no node of type ${type}`);
    return node;
  };
  const bars = byType('feature.bars');
  const quotes = byType('source.replay');
  if (bars.inputs['quotes']?.[0] !== quotes.name)
    throw new Error(`${topology.file}: ${bars.name} does not take its quotes from ${quotes.name}`);
  return {
    quotes,
    // In-memory stages take quotes only: the bars node's trades input is left unbound.
    bars: { ...bars, inputs: { quotes: [quotes.name] } },
    returns: byType('feature.lagged-returns'),
    volatility: byType('feature.volatility'),
    micro: byType('feature.microstructure'),
  };
}

/** The three feature nodes, in the order the Checker numbers them. */
const featuresOf = (n: Nodes): ResolvedNode[] => [n.returns, n.volatility, n.micro];

/** Harness options that time each step of the event loop into `lat` (µs); `steps()` says how many were timed. */
function stepTimer(lat: Float64Array): { hooks: NonNullable<RunOptions['hooks']>; steps: () => number } {
  let last = NaN;
  let steps = 0;
  const done = (): undefined => {
    const now = performance.now();
    if (!Number.isNaN(last)) {
      if (steps < lat.length) lat[steps] = (now - last) * 1000;
      steps++;
    }
    last = now;
    return undefined;
  };
  return { hooks: { done }, steps: () => steps };
}

/** Runs a stage's topology, observing no edge, its steps timed into `lat`; refuses a run with dead letters. */
async function runStage(topology: Topology, options: RunOptions, lat: Float64Array): Promise<{ run: GraphRun; steps: number }> {
  const timer = stepTimer(lat);
  const run = await runGraph(topology, { ...options, observe: [], hooks: timer.hooks });
  const letter = run.deadLetters[0];
  if (letter) throw new Error(`unexpected dead letter from ${letter.node}: ${letter.reason}`);
  return { run, steps: timer.steps() };
}

/**
 * The path from storage on the dataset's files, each stage best of `runs`: Parquet decoded into column
 * batches of the Quote schema alone (the decode limit: the replay's reader, native decoding on libuv's
 * thread pool, no graph), then the topology's replay source decoding the files into the chain. Run in
 * a child process by the main flow.
 */
async function parquetStages(expectBars: number, maxSteps: number): Promise<Row[]> {
  const nQuotes = manifest.datasets.quotes?.rows;
  if (nQuotes === undefined) throw new Error(`${dir}/manifest.json gives no row count for quotes`);
  const decode: Row = {
    stage: 'parquet → column batches (decode limit)',
    records: nQuotes,
    events: nQuotes,
    ...(await best(
      runs,
      async () => {
        const reader = openDataset(dir, manifest, 'quotes', 'Quote');
        let n = 0;
        for (let b = await reader.next(); b !== null; b = await reader.next()) n += b.length;
        await reader.close();
        if (n !== nQuotes) throw new Error(`decode limit: ${n} quotes, expected ${nQuotes}`);
        return 0;
      },
      maxSteps,
    )),
  };
  const fromParquet: Topology = { ...topology, taps: [], groups: [], nodes: [nodes.quotes, nodes.bars, ...featuresOf(nodes)] };
  const chainFromParquet = async (stage: string): Promise<Row> => ({
    stage,
    records: nQuotes,
    events: nQuotes,
    ...(await best(
      runs,
      async (lat) => {
        const { run, steps } = await runStage(fromParquet, options, lat);
        if (run.events !== nQuotes || vectors(run) !== 3 * expectBars)
          throw new Error(`end to end: ${run.events} quotes, ${vectors(run)} vectors, expected ${nQuotes} and ${3 * expectBars}`);
        return steps;
      },
      maxSteps,
    )),
  });
  return [decode, await chainFromParquet('parquet → replay → bars → 3 features')];
}

/** This run's own flags, for the child that measures the Parquet stages on the same dataset. */
function childArgs(): string[] {
  return ['--quotes', args.quotes, '--runs', args.runs, '--symbols', args.symbols, '--topology', args.topology, '--no-backtest'];
}

/** Records `node` emitted on its main output in `run`. */
const emitted = (run: GraphRun, node: ResolvedNode): number => run.metrics.get(node.name)?.['out'] ?? 0;

/** Feature vectors the three feature nodes emitted in `run`. */
function vectors(run: GraphRun): number {
  return featuresOf(nodes).reduce((n, f) => n + emitted(run, f), 0);
}

// ---------------------------------------------------------------------------------------------------
// The hand-written loop: same bars, same features, flat typed arrays, no RxJS

interface LoopParams {
  period: number;
  horizons: number[];
  intraday: boolean;
  scaled: boolean;
  scaleWindow: number;
  windows: number[];
  halflife: number;
  window: number;
  normWindow: number;
}

function loopParams(n: Nodes): LoopParams {
  const b = n.bars.params as { minutes: number };
  const r = n.returns.params as { horizons: number[]; intraday: boolean; scaled: boolean; scale_window: number };
  const v = n.volatility.params as { windows: number[]; long_run_halflife: number };
  const m = n.micro.params as { window: number; norm_window: number };
  return {
    period: b.minutes * MINUTE,
    horizons: r.horizons,
    intraday: r.intraday,
    scaled: r.scaled,
    scaleWindow: r.scale_window,
    windows: v.windows,
    halflife: v.long_run_halflife,
    window: m.window,
    normWindow: m.norm_window,
  };
}

/** Bar closing times: every `period` after each session's open, up to and including its close. */
function closeTimes(sessions: readonly Session[], period: number): Float64Array {
  const out: number[] = [];
  for (const s of sessions) for (let t = s.open + period; t <= s.close; t += period) out.push(t);
  return Float64Array.from(out);
}

interface LoopOutput {
  bars: number;
  /** Symbols in first-seen order (the index `sym` refers to). */
  names: string[];
  /** Per bar: symbol index (first-seen order) and ts, OHLC, spread, imbalance, quotes. */
  sym: Int32Array;
  ts: Float64Array;
  bar: Float64Array;
  returns: Float64Array;
  vol: Float64Array;
  micro: Float64Array;
}
const BAR_WIDTH = 7;

/** Ring buffers of one capacity for every symbol, with the running sums of RollingWindow (same operation order). */
class Rings {
  readonly buf: Float64Array;
  readonly start: Int32Array;
  readonly count: Int32Array;
  readonly sum: Float64Array;
  readonly sumSq: Float64Array;
  constructor(
    readonly cap: number,
    nSymbols: number,
  ) {
    this.buf = new Float64Array(cap * nSymbols);
    this.start = new Int32Array(nSymbols);
    this.count = new Int32Array(nSymbols);
    this.sum = new Float64Array(nSymbols);
    this.sumSq = new Float64Array(nSymbols);
  }
  push(s: number, x: number): void {
    const cap = this.cap;
    const base = s * cap;
    const c = this.count[s]!;
    if (c === cap) {
      const st = this.start[s]!;
      const old = this.buf[base + st]!;
      this.sum[s] = this.sum[s]! - old;
      this.sumSq[s] = this.sumSq[s]! - old * old;
      this.buf[base + st] = x;
      this.start[s] = st + 1 === cap ? 0 : st + 1;
    } else {
      let at = this.start[s]! + c;
      if (at >= cap) at -= cap;
      this.buf[base + at] = x;
      this.count[s] = c + 1;
    }
    this.sum[s] = this.sum[s]! + x;
    this.sumSq[s] = this.sumSq[s]! + x * x;
  }
  back(s: number, lag: number): number {
    const c = this.count[s]!;
    if (lag >= c) return NaN;
    let at = this.start[s]! + c - 1 - lag;
    if (at >= this.cap) at -= this.cap;
    return this.buf[s * this.cap + at]!;
  }
  mean(s: number): number {
    const c = this.count[s]!;
    return c === 0 ? NaN : this.sum[s]! / c;
  }
  std(s: number): number {
    const c = this.count[s]!;
    if (c < 2) return NaN;
    const m = this.sum[s]! / c;
    return Math.sqrt(Math.max(0, (this.sumSq[s]! - c * m * m) / (c - 1)));
  }
}

/** Everything the hand loop keeps: flat per-symbol arrays indexed by symbol number (first-seen order). */
class LoopState {
  readonly out: LoopOutput;
  readonly ids = new Map<string, number>();
  seen = 0;
  sessionCursor = 0;
  // Bars being built.
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly nq: Int32Array;
  readonly spreadSum: Float64Array;
  readonly imbSum: Float64Array;
  // Feature state.
  readonly logCloses: Rings;
  readonly oneBar: Rings;
  readonly retSession: Int32Array;
  readonly retWidth: number;
  readonly volWindows: Rings[];
  readonly recent: Rings;
  readonly decay: number;
  readonly last: Float64Array;
  readonly volSession: Int32Array;
  readonly longVar: Float64Array;
  readonly spreadW: Rings;
  readonly imbW: Rings;
  readonly volumeW: Rings;
  readonly normW: Rings;
  readonly horizons: Int32Array;
  constructor(
    readonly p: LoopParams,
    readonly sessions: readonly Session[],
    S: number,
    capBars: number,
  ) {
    const nH = p.horizons.length;
    const nW = p.windows.length;
    this.retWidth = p.scaled ? 2 * nH : nH;
    this.out = {
      bars: 0,
      names: [],
      sym: new Int32Array(capBars),
      ts: new Float64Array(capBars),
      bar: new Float64Array(capBars * BAR_WIDTH),
      returns: new Float64Array(capBars * this.retWidth),
      vol: new Float64Array(capBars * (nW + 1)),
      micro: new Float64Array(capBars * 3),
    };
    this.open = new Float64Array(S);
    this.high = new Float64Array(S);
    this.low = new Float64Array(S);
    this.close = new Float64Array(S);
    this.nq = new Int32Array(S);
    this.spreadSum = new Float64Array(S);
    this.imbSum = new Float64Array(S);
    this.logCloses = new Rings(Math.max(...p.horizons) + 1, S);
    this.oneBar = new Rings(p.scaleWindow, S);
    this.retSession = new Int32Array(S).fill(-2);
    this.volWindows = p.windows.map((w) => new Rings(w, S));
    this.recent = this.volWindows[p.windows.indexOf(Math.min(...p.windows))]!;
    this.decay = 0.5 ** (1 / p.halflife);
    this.last = new Float64Array(S).fill(NaN);
    this.volSession = new Int32Array(S).fill(-1);
    this.longVar = new Float64Array(S).fill(NaN);
    this.spreadW = new Rings(p.window, S);
    this.imbW = new Rings(p.window, S);
    this.volumeW = new Rings(p.window, S);
    this.normW = new Rings(p.normWindow, S);
    this.horizons = Int32Array.from(p.horizons);
  }
}

/** Closes every symbol's bar at `at` and computes its features, as feature.bars and the three feature operators do. */
function closeBars(st: LoopState, at: number): void {
  const sessions = st.sessions;
  while (st.sessionCursor < sessions.length && at > sessions[st.sessionCursor]!.close) st.sessionCursor++;
  const sc = sessions[st.sessionCursor];
  const session = sc && at > sc.open && at <= sc.close ? st.sessionCursor : -1;
  const retSess = st.p.intraday ? session : 0;
  const out = st.out;
  const horizons = st.horizons;
  const nH = horizons.length;
  const volWindows = st.volWindows;
  const nW = volWindows.length;
  const {
    open,
    high,
    low,
    close,
    nq,
    spreadSum,
    imbSum,
    logCloses,
    oneBar,
    retSession,
    retWidth,
    last,
    volSession,
    longVar,
    recent,
    decay,
  } = st;
  const scaled = st.p.scaled;
  for (let s = 0; s < st.seen; s++) {
    const k = out.bars++;
    const c = close[s]!;
    const q = nq[s]!;
    const spread = q > 0 ? spreadSum[s]! / q : NaN;
    const imbalance = q > 0 ? imbSum[s]! / q : NaN;
    out.sym[k] = s;
    out.ts[k] = at;
    const b = k * BAR_WIDTH;
    out.bar[b] = open[s]!;
    out.bar[b + 1] = high[s]!;
    out.bar[b + 2] = low[s]!;
    out.bar[b + 3] = c;
    out.bar[b + 4] = spread;
    out.bar[b + 5] = imbalance;
    out.bar[b + 6] = q;
    open[s] = high[s] = low[s] = c;
    nq[s] = 0;
    spreadSum[s] = imbSum[s] = 0;
    // Lagged returns, and with `scaled` each over σ₁·√h (σ₁: RMS of the one-bar returns, from 5 of them).
    const logClose = Math.log(c);
    if (retSession[s] !== retSess) {
      retSession[s] = retSess;
      logCloses.count[s] = 0;
      logCloses.start[s] = 0;
      oneBar.count[s] = 0;
      oneBar.start[s] = 0;
      oneBar.sum[s] = 0;
      oneBar.sumSq[s] = 0;
    }
    if (scaled && logCloses.count[s]! > 0) oneBar.push(s, logClose - logCloses.back(s, 0));
    logCloses.push(s, logClose);
    const r0 = k * retWidth;
    for (let h = 0; h < nH; h++) out.returns[r0 + h] = logClose - logCloses.back(s, horizons[h]!);
    if (scaled) {
      const n1 = oneBar.count[s]!;
      const sigma = n1 >= 5 ? Math.sqrt(oneBar.sumSq[s]! / n1) : NaN;
      for (let h = 0; h < nH; h++) out.returns[r0 + nH + h] = sigma > 0 ? out.returns[r0 + h]! / (sigma * Math.sqrt(horizons[h]!)) : NaN;
    }
    // Volatility (the first bar of a session would measure the overnight gap: skipped).
    if (session === volSession[s] && Number.isFinite(last[s])) {
      const r = logClose - last[s]!;
      for (let w = 0; w < nW; w++) volWindows[w]!.push(s, r);
      const lv = longVar[s]!;
      longVar[s] = Number.isNaN(lv) ? r * r : decay * lv + (1 - decay) * r * r;
    }
    last[s] = logClose;
    volSession[s] = session;
    const v0 = k * (nW + 1);
    for (let w = 0; w < nW; w++) {
      const win = volWindows[w]!;
      out.vol[v0 + w] = win.count[s] === win.cap ? win.std(s) : NaN;
    }
    const lv = longVar[s]!;
    out.vol[v0 + nW] = recent.count[s] === recent.cap && lv > 0 ? recent.std(s) / Math.sqrt(lv) : NaN;
    // Microstructure (no trades on this edge: volume 0).
    if (Number.isFinite(spread)) st.spreadW.push(s, spread);
    if (Number.isFinite(imbalance)) st.imbW.push(s, imbalance);
    st.volumeW.push(s, 0);
    st.normW.push(s, 0);
    const norm = st.normW.mean(s);
    const m0 = k * 3;
    out.micro[m0] = st.spreadW.mean(s);
    out.micro[m0 + 1] = st.imbW.mean(s);
    out.micro[m0 + 2] = norm > 0 ? st.volumeW.mean(s) / norm : NaN;
  }
}

/** The same bars and features as the graph's, reading the same column batches, in one hand-written loop. */
function handLoop(batches: readonly ColumnBatch<Quote>[], calendar: Calendar, maxSymbols: number, p: LoopParams): LoopOutput {
  const closes = closeTimes(calendar.sessions, p.period);
  const st = new LoopState(p, calendar.sessions, maxSymbols, closes.length * maxSymbols);
  const { ids, open, high, low, close, nq, spreadSum, imbSum } = st;
  let ti = 0;
  let next = closes.length > 0 ? closes[0]! : Infinity;
  for (const batch of batches) {
    const { ts_known: known, bid, ask, bid_size: bidSize, ask_size: askSize, symbol } = batch.columns;
    // Each dictionary code's slot, looked up at its first row in the batch (slots go to symbols in the
    // order they first quote, as the graph's bars list them).
    const slots = new Int32Array(symbol.dictionary.length).fill(-1);
    for (let i = batch.start; i < batch.end; i++) {
      while (known[i]! >= next) {
        closeBars(st, next);
        next = ++ti < closes.length ? closes[ti]! : Infinity;
      }
      const code = symbol.codes[i]!;
      let s = slots[code]!;
      if (s < 0) {
        const name = symbol.dictionary[code]!;
        let id = ids.get(name);
        if (id === undefined) {
          ids.set(name, (id = st.seen++));
          st.out.names.push(name);
        }
        slots[code] = s = id;
      }
      const b = bid[i]!;
      const a = ask[i]!;
      const mid = (b + a) / 2;
      if (nq[s] === 0) open[s] = high[s] = low[s] = mid;
      else if (mid > high[s]!) high[s] = mid;
      else if (mid < low[s]!) low[s] = mid;
      close[s] = mid;
      nq[s]!++;
      spreadSum[s] = spreadSum[s]! + ((a - b) / mid) * 1e4;
      const bs = bidSize[i]!;
      const as = askSize[i]!;
      const depth = bs + as;
      imbSum[s] = imbSum[s]! + (depth > 0 ? (bs - as) / depth : 0);
    }
  }
  while (ti < closes.length) closeBars(st, closes[ti++]!);
  return st.out;
}

/**
 * Compares the graph's bars and features with the loop's as they are emitted, value for value (NaN
 * equals NaN), keeping none of them: a run that kept every output would teach V8 that these
 * allocations live long, and the timed runs after it would pay for that in garbage collection.
 */
class Checker {
  private bars = 0;
  private readonly rows = [0, 0, 0];
  private readonly widths: number[];
  private readonly arrays: Float64Array[];
  /** The first difference: kept for done() to report, as an error thrown inside a subscriber would not stop the run. */
  private failure: string | undefined;
  constructor(
    private readonly loop: LoopOutput,
    returnsWidth: number,
    windows: number,
  ) {
    this.widths = [returnsWidth, windows + 1, 3];
    this.arrays = [loop.returns, loop.vol, loop.micro];
  }
  private fail(what: string): void {
    this.failure ??= what;
  }
  onBars(batch: Batch<Bar>): void {
    if (this.failure) return;
    const loop = this.loop;
    for (const b of batch) {
      const k = this.bars++;
      if (k >= loop.bars) this.fail(`the graph emits more than the loop's ${loop.bars} bars`);
      if (b.symbol !== loop.names[loop.sym[k]!] || b.ts_known !== loop.ts[k]) this.fail(`bar ${k}: ${b.symbol}@${b.ts_known}`);
      const expected = [b.open, b.high, b.low, b.close, b.spread_bps, b.imbalance, b.quotes];
      const o = k * BAR_WIDTH;
      for (let j = 0; j < BAR_WIDTH; j++)
        if (!Object.is(expected[j], loop.bar[o + j])) this.fail(`bar ${k} field ${j}: ${expected[j]} vs ${loop.bar[o + j]}`);
    }
  }
  onFeatures(f: number, batch: Batch<FeatureVector>): void {
    if (this.failure) return;
    const w = this.widths[f]!;
    const values = this.arrays[f]!;
    for (const v of batch) {
      const k = this.rows[f]!++;
      if (k >= this.loop.bars) this.fail(`feature set ${f}: more rows than bars`);
      if (v.symbol !== this.loop.names[this.loop.sym[k]!] || v.ts_known !== this.loop.ts[k])
        this.fail(`feature set ${f}, row ${k}: misaligned`);
      if (v.values.length !== w) this.fail(`feature set ${f}, row ${k}: ${v.values.length} values, loop has ${w}`);
      for (let j = 0; j < w; j++)
        if (!Object.is(v.values[j], values[k * w + j]))
          this.fail(`feature set ${f}, row ${k}, value ${j}: ${v.values[j]} vs ${values[k * w + j]}`);
    }
  }
  /** Number of bars checked; throws at the first difference, or unless every stream had exactly the loop's rows. */
  done(): number {
    if (this.failure) throw new Error(`hand loop and graph differ: ${this.failure}`);
    if (this.bars !== this.loop.bars || this.rows.some((r) => r !== this.loop.bars)) {
      throw new Error(
        `hand loop and graph differ: ${this.bars} bars and ${this.rows.join('/')} feature rows from the graph, ${this.loop.bars} from the loop`,
      );
    }
    return this.bars;
  }
}

// ---------------------------------------------------------------------------------------------------
// Measuring

interface Row {
  stage: string;
  records: number;
  events: number;
  seconds: number;
  cpu?: number;
  gc?: number;
  p50?: number;
  p99?: number;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Garbage collections (start and duration, ms), to charge each timed run with the pauses inside it. */
const gcPauses: { start: number; duration: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauses.push({ start: e.startTime, duration: e.duration });
}).observe({ entryTypes: ['gc'] });
/** A full collection before each stage, so no stage pays for the garbage of the one before. */
setFlagsFromString('--expose-gc');
const fullGc = runInNewContext('gc') as () => void;
/** GC entries are delivered asynchronously: let them arrive before reading them. */
const settle = (): Promise<void> => new Promise((done) => setTimeout(done, 5));
function gcBetween(t0: number, t1: number): number {
  let ms = 0;
  for (const g of gcPauses) if (g.start >= t0 && g.start < t1) ms += g.duration;
  return ms / 1000;
}

/**
 * On-CPU time of this (the main) thread, in seconds, from Linux's schedstat (NaN elsewhere): unlike
 * wall time it leaves out the time spent waiting for a CPU, so it stays meaningful on a busy machine.
 */
function threadCpu(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e9;
  } catch {
    return NaN;
  }
}

interface Measured {
  seconds: number;
  cpu: number;
  gc: number;
  p50?: number;
  p99?: number;
}

/** Best of `n` runs; latencies (µs per step) and GC time are those of the best run. */
async function best(n: number, run: (lat: Float64Array) => number | Promise<number>, maxSteps: number): Promise<Measured> {
  let result: Measured = { seconds: Infinity, cpu: NaN, gc: NaN };
  // One full collection per stage, not per run: V8 drops optimized code that a full collection
  // invalidates, so a collection before every run would time the JIT warming up again each run.
  fullGc();
  for (let i = 0; i < n; i++) {
    const lat = new Float64Array(maxSteps);
    await settle();
    const c0 = threadCpu();
    const t0 = performance.now();
    const steps = await run(lat);
    const t1 = performance.now();
    const cpu = threadCpu() - c0;
    await settle();
    const seconds = (t1 - t0) / 1000;
    if (seconds < result.seconds) {
      result = { seconds, cpu, gc: gcBetween(t0, t1) };
      if (steps > 0) {
        const sorted = lat.subarray(0, Math.min(steps, maxSteps)).sort();
        result.p50 = percentile(sorted, 0.5);
        result.p99 = percentile(sorted, 0.99);
      }
    }
  }
  return result;
}

function printTable(rows: Row[]): void {
  const fmt = (n: number, d = 0): string =>
    Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '-';
  const head = ['stage', 'records in', 'events', 'seconds', 'events/s', 'cpu s', 'gc s', 'p50 µs', 'p99 µs'];
  const body = rows.map((r) => [
    r.stage,
    fmt(r.records),
    fmt(r.events),
    fmt(r.seconds, 3),
    fmt(r.events / r.seconds),
    fmt(r.cpu ?? NaN, 3),
    fmt(r.gc ?? NaN, 3),
    fmt(r.p50 ?? NaN, 1),
    fmt(r.p99 ?? NaN, 1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
}

// ---------------------------------------------------------------------------------------------------
// Main

const params = loopParams(nodes);
const { dir, manifest } = await quoteDataset();
const options = runOptions(dir, manifest);
const calendar: Calendar = { sessions: options.sessions ?? [] };
const selected = (stage: string): boolean => stage.includes(onlyText);
/** The feed and the nodes of a stage, as a topology with the seed of the one under test. */
const staged = (nodeList: ResolvedNode[], feeds: Parameters<typeof feedTopology>[1]): Topology =>
  feedTopology(nodeList, feeds, { name: `bench of ${topology.name}`, seed: topology.seed });

if (parquetChild !== undefined) {
  const rows = await parquetStages(...parquetChild);
  process.stdout.write(`${JSON.stringify(rows)}\n`);
  process.exit(0);
}

// Decode every quote up front (untimed), in the replay's own batches: the source alone, run by the
// harness (with no timer scheduled, each slice is one whole batch of the reader).
let quoteBatches: Quote[][];
{
  const decode = await runGraph({ ...topology, taps: [], groups: [], nodes: [nodes.quotes] }, { ...options, observe: [nodes.quotes.name] });
  quoteBatches = decode.edges.get(nodes.quotes.name)!.map((b) => b.records as Quote[]);
}
const nQuotes = quoteBatches.reduce((n, b) => n + b.length, 0);
const maxSteps = 4 * closeTimes(calendar.sessions, params.period).length + quoteBatches.length + 16;
console.log(
  `${nQuotes.toLocaleString('en-US')} quotes in memory: ${manifest.symbols} symbols × ${manifest.dates.length} days (${dir}); best of ${runs} runs; node ${process.version}`,
);
console.log('in-memory stages take quotes only (the bars trades port is unbound); the backtest replays quotes and trades.');
console.log('graph stages run on the harness: the real graph builder and event loop (source merge included).\n');

// Every in-memory stage takes the quotes as the replay hands them on, column batches (made up front, untimed),
// the hand loop included.
const quoteColumns = quoteBatches.map((b) => ColumnBatch.fromRecords(b));
const quoteFeed = { [nodes.quotes.name]: { schema: 'Quote' as const, batches: quoteColumns } };
const chain = staged([nodes.bars, ...featuresOf(nodes)], quoteFeed);

// Verification run of the chain against the hand loop, checked as it runs. The bar batches are
// copied (by this file's code, not the operator's) to feed the feature stages alone.
const barBatches: Bar[][] = [];
let nBars = 0;
{
  const checker = new Checker(
    handLoop(quoteColumns, calendar, manifest.universe.length, params),
    params.horizons.length * (params.scaled ? 2 : 1),
    params.windows.length,
  );
  const featureIndex = new Map(featuresOf(nodes).map((f, i) => [f.name, i]));
  const run = await runGraph(chain, {
    ...options,
    observe: [nodes.bars.name, ...featureIndex.keys()],
    onBatch: (edge, { records }) => {
      if (edge === nodes.bars.name) {
        checker.onBars(records as Batch<Bar>);
        barBatches.push((records as Batch<Bar>).map((r) => ({ ...r })));
      } else {
        checker.onFeatures(featureIndex.get(edge)!, records as Batch<FeatureVector>);
      }
    },
  });
  if (run.deadLetters[0]) throw new Error(`unexpected dead letter from ${run.deadLetters[0].node}: ${run.deadLetters[0].reason}`);
  nBars = checker.done();
}

const rows: Row[] = [];
let chainRow: Row | undefined;
let loopRow: Row | undefined;

// 1. Each stage alone, then the chain.
if (selected(nodes.bars.type)) {
  const barsAlone = staged([nodes.bars], quoteFeed);
  const r = await best(
    runs,
    async (lat) => {
      const { run, steps } = await runStage(barsAlone, options, lat);
      if (emitted(run, nodes.bars) !== nBars) throw new Error(`bars: ${emitted(run, nodes.bars)} bars, expected ${nBars}`);
      return steps;
    },
    maxSteps,
  );
  rows.push({ stage: nodes.bars.type, records: nQuotes, events: nQuotes, ...r });
}
for (const f of featuresOf(nodes)) {
  const stage = `${f.type} (on bars)`;
  if (!selected(stage)) continue;
  const alone = staged([f], { [nodes.bars.name]: { schema: 'Bar', batches: barBatches } });
  const r = await best(
    runs,
    async (lat) => {
      const { run, steps } = await runStage(alone, options, lat);
      if (emitted(run, f) !== nBars) throw new Error(`${f.type}: ${emitted(run, f)} vectors, expected ${nBars}`);
      return steps;
    },
    maxSteps,
  );
  rows.push({ stage, records: nBars, events: nQuotes, ...r });
}
if (selected('quotes → bars → 3 features (graph)')) {
  chainRow = {
    stage: 'quotes → bars → 3 features (graph)',
    records: nQuotes,
    events: nQuotes,
    ...(await best(
      runs,
      async (lat) => {
        const { run, steps } = await runStage(chain, options, lat);
        if (vectors(run) !== 3 * nBars) throw new Error(`chain: ${vectors(run)} vectors, expected ${3 * nBars}`);
        return steps;
      },
      maxSteps,
    )),
  };
  rows.push(chainRow);
}

// 2. The hand-written loop on the same quotes.
if (selected('quotes → bars → 3 features (hand loop)')) {
  loopRow = {
    stage: 'quotes → bars → 3 features (hand loop)',
    records: nQuotes,
    events: nQuotes,
    ...(await best(
      runs,
      () => {
        const out = handLoop(quoteColumns, calendar, manifest.universe.length, params);
        if (out.bars !== nBars) throw new Error(`loop: ${out.bars} bars, expected ${nBars}`);
        return 0;
      },
      0,
    )),
  };
  rows.push(loopRow);
}

// 3 and 4. The path from storage, in a process of its own (parquetStages), as a backtest runs: this
// one holds every quote as a record and as columns for the stages above, and in that heap the Parquet
// path's allocations cost it about half its rate (2.7M against 5.7M rows/s for the decode alone).
let decodeRow: Row | undefined;
let parquetRow: Row | undefined;
if (selected('parquet')) {
  const child = execFileSync(
    process.execPath,
    [...process.execArgv, process.argv[1]!, ...childArgs(), '--parquet-child', `${nBars}:${maxSteps}`],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 },
  );
  const measured = JSON.parse(child.trim().split('\n').pop()!) as Row[];
  [decodeRow, parquetRow] = measured;
  rows.push(...measured);
}

// 5. The whole default backtest over the default dataset (40 symbols × 20 days, quotes and trades), as
// a user runs it: `alpha backtest` in its own process, timed from the spawn to its exit (start-up,
// validation, model loading and writing the outputs included); the drive loop's time and the peak
// RSS come from its summary.json.
const backtestStage = `backtest ${topology.name} (40 × 20 days, whole process)`;
let backtestRun: { events: number; wall: number; drive: number; rssMb: number } | undefined;
if (!args['no-backtest'] && selected(backtestStage)) {
  const d = await dataset(40, 20);
  for (let i = 0; i < backtestRuns; i++) {
    const out = mkdtempSync(join(tmpdir(), 'alpha-bench-backtest-'));
    const t0 = performance.now();
    execFileSync(
      process.execPath,
      ['bin/alpha.mjs', 'backtest', resolve(args.topology), '--data', d.dir, '--out', out, '--overwrite', '--quiet'],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    const wall = (performance.now() - t0) / 1000;
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      events: number;
      wall_seconds: number;
      peak_rss_mb: number;
    };
    rmSync(out, { recursive: true, force: true });
    if (!backtestRun || wall < backtestRun.wall)
      backtestRun = { events: summary.events, wall, drive: summary.wall_seconds, rssMb: summary.peak_rss_mb };
  }
  rows.push({ stage: backtestStage, records: backtestRun!.events, events: backtestRun!.events, seconds: backtestRun!.wall });
}

printTable(rows);
console.log(`\n${nBars.toLocaleString('en-US')} bars; the hand loop's bars and features equal the graph's, value for value.`);
if (parquetRow && decodeRow) {
  const inMemory = chainRow
    ? `, ${((chainRow.seconds / parquetRow.seconds) * 100).toFixed(0)}% of the in-memory chain's rate (target ≥ 50%)`
    : '';
  console.log(
    `parquet → features: ${(nQuotes / parquetRow.seconds / 1e6).toFixed(2)}M quote events/s (target ≥ 3M), ${((decodeRow.seconds / parquetRow.seconds) * 100).toFixed(0)}% of the decode limit${inMemory}`,
  );
}
if (backtestRun) {
  const { events, wall, drive, rssMb } = backtestRun;
  console.log(
    `whole backtest: ${(events / wall / 1e6).toFixed(2)}M events/s over the whole process (${wall.toFixed(2)} s; target ≥ 1M: ${((events / wall / 1e6) * 100).toFixed(0)}% of it), ` +
      `${(events / drive / 1e6).toFixed(2)}M events/s over the drive loop (${drive.toFixed(2)} s); peak RSS ${rssMb} MB (target ≤ 490)`,
  );
}
if (chainRow && loopRow) {
  const ratio = chainRow.seconds / loopRow.seconds;
  const cpuRatio = (chainRow.cpu ?? NaN) / (loopRow.cpu ?? NaN);
  console.log(
    `graph / hand loop: ${ratio.toFixed(2)}× wall, ${cpuRatio.toFixed(2)}× cpu (target ≤ 3×); graph chain ${(nQuotes / chainRow.seconds / 1e6).toFixed(2)}M quote events/s (target ≥ 5M)`,
  );
}
