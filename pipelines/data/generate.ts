/**
 * `alpha data generate`: writes a synthetic market (quotes and trades, one Parquet file per trading
 * day and dataset, sorted by ts_known) plus manifest.json. Same options, byte-identical files. With
 * `depth` ≥ 2, also the book's levels 2…depth beside each quote (book-depth-model.ts), drawn from
 * a generator of their own so the quotes and trades are the same files as without.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { writeOwnFile } from '../../lib/io/own-file.ts';
import { join } from 'node:path';
import { AlphaError } from '../../lib/core/errors.ts';
import { Rng } from '../../lib/core/rng.ts';
import { MINUTE } from '../../lib/core/time.ts';
import { tableFromColumns } from '../../lib/io/avro-arrow.ts';
import { writeParquetFile } from '../../lib/io/parquet.ts';
import { openOutput } from '../io/output-folder.ts';
import { sessionDateProblem } from '../itch/exchange-time.ts';
import { sessionOf, tradingDays } from './calendar.ts';
import { depthLevels, type DepthRows, newDepthRows, writeDepth } from './book-depth-model.ts';
import { depthProblem, GENERATE_DEFAULTS, GENERATE_LIMITS, TRADE_PRICE_RULES, type TradePriceRule } from './generate-options.ts';
import type { DatasetManifest } from './manifest.ts';
import {
  drawUniverse,
  MAX_IC,
  marketFactor,
  overnightMarket,
  PLANTED_ALPHA_DESCRIPTION,
  sectorFactor,
  seasonality,
  SECTORS,
  strengthForIC,
  SymbolPath,
} from './market-model.ts';

export interface GenerateOptions {
  out: string;
  symbols?: number;
  days?: number;
  start?: string;
  seed?: number;
  alpha?: number;
  /** The planted alpha's target information coefficient (market-model.ts), instead of `alpha`; default DEFAULT_IC. */
  ic?: number;
  /** Where a trade prints (generate-options.ts); default `quote-in-force`. */
  tradePrices?: TradePriceRule;
  /** Fraction of trades later corrected (a new version with a later ts_known). */
  correctionRate?: number;
  /** Levels of the book in all, the top included: 0 (the default) writes no depth dataset, N ≥ 2 levels 2…N. */
  depth?: number;
  /** Replace an existing non-empty `out` whole (default: refuse it). */
  overwrite?: boolean;
  /** What named `out`, for messages (default "--out"; `alpha backtest --generate-if-missing` writes to its --data). */
  outFlag?: string;
  /** What is generating, written in the lock of `out` (default "alpha data generate"). */
  holder?: string;
}

export { GENERATE_DEFAULTS, GENERATE_LIMITS };

const TICK = 0.01;

class Columns {
  readonly data: Record<string, number[] | string[]> = {};
  constructor(names: string[]) {
    for (const n of names) this.data[n] = [];
  }
  get length(): number {
    return (Object.values(this.data)[0] ?? []).length;
  }
}

type Resolved = Required<Omit<GenerateOptions, 'overwrite' | 'ic' | 'outFlag' | 'holder'>> & { ic: number | undefined };

export async function generateDataset(options: GenerateOptions): Promise<DatasetManifest> {
  const given = stripUndefined(options);
  if (given.ic !== undefined && given.alpha !== undefined)
    throw new AlphaError('--ic and --alpha both set the planted alpha: expected one of them');
  // The planted alpha is set by its IC unless a strength is given.
  const ic = given.alpha === undefined ? (given.ic ?? GENERATE_DEFAULTS.ic) : undefined;
  const o: Resolved = { ...GENERATE_DEFAULTS, alpha: 0, ...given, ic, out: options.out };
  const { symbols: maxSymbols, days: maxDays, symbolDays } = GENERATE_LIMITS;
  if (!Number.isInteger(o.symbols) || o.symbols < 1 || o.symbols > maxSymbols) {
    throw new AlphaError(`--symbols is ${o.symbols}: expected an integer from 1 to ${maxSymbols.toLocaleString('en-US')}`);
  }
  if (!Number.isInteger(o.days) || o.days < 1 || o.days > maxDays) {
    throw new AlphaError(`--days is ${o.days}: expected an integer from 1 to ${maxDays.toLocaleString('en-US')}`);
  }
  if (o.symbols * o.days > symbolDays) {
    throw new AlphaError(
      `--symbols ${o.symbols} × --days ${o.days} is ${(o.symbols * o.days).toLocaleString('en-US')} symbol-days: ` +
        `expected at most ${symbolDays.toLocaleString('en-US')} (about 1,900 quotes each)`,
    );
  }
  if (!Number.isFinite(o.alpha) || o.alpha < 0) throw new AlphaError(`--alpha is ${o.alpha}: expected a number >= 0`);
  if (o.ic !== undefined) {
    if (!Number.isFinite(o.ic) || o.ic < 0 || o.ic > MAX_IC) throw new AlphaError(`--ic is ${o.ic}: expected a number from 0 to ${MAX_IC}`);
    o.alpha = strengthForIC(o.ic);
  }
  if (!TRADE_PRICE_RULES.includes(o.tradePrices)) {
    throw new AlphaError(`--trade-prices is "${o.tradePrices}": expected one of ${TRADE_PRICE_RULES.join(', ')}`);
  }
  if (!Number.isSafeInteger(o.seed)) throw new AlphaError(`--seed is ${o.seed}: expected an integer`);
  const depth = depthProblem(o.depth, o.symbols * o.days);
  if (depth) throw new AlphaError(depth);
  // Every day, not only the first, must be one a dataset can hold (--start 2255-06-04 --days 3 ran past it).
  const last = tradingDays(o.start, o.days).at(-1)!;
  const late = sessionDateProblem(last);
  if (late) throw new AlphaError(`--start ${o.start} with --days ${o.days} ends on ${last}: ${late}`);
  // Written into a staging folder moved into place when complete (pipelines/io/output-folder.ts).
  const output = openOutput(options.out, {
    overwrite: options.overwrite ?? false,
    holder: options.holder ?? 'alpha data generate',
    ...(options.outFlag !== undefined ? { flag: options.outFlag } : {}),
  });
  try {
    const manifest = await writeMarket({ ...o, out: output.dir });
    output.commit();
    return manifest;
  } catch (err) {
    throw output.abort(err);
  }
}

async function writeMarket(o: Resolved): Promise<DatasetManifest> {
  const dates = tradingDays(o.start, o.days);
  const root = new Rng(o.seed);
  const universe = drawUniverse(root.fork('universe'), o.symbols);
  const paths = universe.map((p) => new SymbolPath(p, root.fork(`path:${p.symbol}`)));
  const rng = root.fork('market');
  // Its own generator: the market's draws, and so the quotes and trades, are those of a run without depth.
  const depthRng = o.depth >= 2 ? root.fork('depth') : null;
  mkdirSync(o.out, { recursive: true });
  let depthSeq = 0;
  let depthRows = 0;
  const depthFiles: string[] = [];
  const depthHashes: string[] = [];

  let quoteSeq = 0;
  let tradeSeq = 0;
  let tradeId = 0;
  const files = { quotes: [] as string[], trades: [] as string[] };
  /** sha256 of each file, so a replay refuses a file changed or corrupted since (Parquet pages carry no checksum here). */
  const hashes = { quotes: [] as string[], trades: [] as string[] };
  let quoteRows = 0;
  let tradeRows = 0;
  let corrections = 0;
  const inForce = o.tradePrices === 'quote-in-force';
  // The minute's quotes of the current symbol, for trades printed at the quote in force.
  const minuteTimes: number[] = [];
  const minuteBids: number[] = [];
  const minuteAsks: number[] = [];

  for (const [dayIndex, date] of dates.entries()) {
    const session = sessionOf(date);
    if (dayIndex > 0) {
      const gap = overnightMarket(rng);
      for (const path of paths) path.overnight(rng, gap);
    }
    const quotes = new Columns(['ts_event', 'ts_known', 'sym', 'bid', 'ask', 'bid_size', 'ask_size']);
    const trades = new Columns(['ts_event', 'ts_known', 'sym', 'id', 'version', 'price', 'size', 'aggressor']);
    const q = quotes.data as Record<string, number[]>;
    const t = trades.data as Record<string, number[]>;
    const lastBid = new Float64Array(paths.length);
    const lastAsk = new Float64Array(paths.length);
    const levels: DepthRows | null = depthRng ? newDepthRows() : null;

    for (let m = 0; m < 390; m++) {
      const minuteStart = session.open + m * MINUTE;
      const market = marketFactor(rng, m);
      const sectors = SECTORS.map(() => sectorFactor(rng, m));
      const season = seasonality(m);
      for (let s = 0; s < paths.length; s++) {
        const path = paths[s]!;
        const params = path.params;
        const startLog = path.logPrice;
        const r = path.step(rng, o.alpha, m, market, sectors[params.sector]!);
        const vol = path.volMultiplier();
        // Quotes: Poisson arrivals, mid interpolated along the minute's move with a little noise.
        const nQuotes = poisson(rng, params.quotesPerMinute * season);
        const times = sortedOffsets(rng, nQuotes);
        const prevBid = lastBid[s]!;
        const prevAsk = lastAsk[s]!;
        minuteTimes.length = minuteBids.length = minuteAsks.length = 0;
        for (let k = 0; k < nQuotes; k++) {
          const u = times[k]! / MINUTE;
          const mid = Math.exp(startLog + r * u + 0.25 * params.sigma * vol * rng.normal());
          const half = Math.max(TICK / 2, mid * params.halfSpreadBps * 1e-4 * (0.6 + 0.4 * vol) * Math.sqrt(season));
          const bid = Math.floor((mid - half) / TICK) * TICK;
          let ask = Math.ceil((mid + half) / TICK) * TICK;
          if (ask - bid < TICK / 2) ask = bid + TICK;
          const ts = minuteStart + times[k]!;
          q['ts_event']!.push(ts);
          q['ts_known']!.push(ts + 50 + rng.int(200));
          q['sym']!.push(s);
          q['bid']!.push(round2(bid));
          q['ask']!.push(round2(ask));
          q['bid_size']!.push(100 * (1 + rng.int(20)));
          q['ask_size']!.push(100 * (1 + rng.int(20)));
          if (levels && depthRng) depthLevels(levels, depthRng, o.depth, round2(bid), round2(ask));
          lastBid[s] = bid;
          lastAsk[s] = ask;
          if (inForce) {
            minuteTimes.push(times[k]!);
            minuteBids.push(bid);
            minuteAsks.push(ask);
          }
        }
        // Trades at the touch: the minute's last quote, or the quote in force when they print.
        const nTrades = poisson(rng, params.tradesPerMinute * season);
        const tradeTimes = sortedOffsets(rng, nTrades);
        let inForceAt = -1;
        for (let k = 0; k < nTrades; k++) {
          if (lastAsk[s] === 0) continue;
          const buy = rng.next() < 0.5;
          const ts = minuteStart + tradeTimes[k]!;
          let price = round2(buy ? lastAsk[s]! : lastBid[s]!);
          if (inForce) {
            while (inForceAt + 1 < minuteTimes.length && minuteTimes[inForceAt + 1]! <= tradeTimes[k]!) inForceAt++;
            // Before the dataset's first quote of this symbol no quote is in force: the trade is drawn
            // (the same random draws as by default, so the quotes stay the same) but not printed.
            price =
              inForceAt >= 0
                ? round2(buy ? minuteAsks[inForceAt]! : minuteBids[inForceAt]!)
                : prevAsk === 0
                  ? Number.NaN
                  : round2(buy ? prevAsk : prevBid);
          }
          const size = 100 * (1 + rng.int(10));
          const id = ++tradeId;
          const known = ts + 100 + rng.int(400);
          const printed = !Number.isNaN(price);
          if (printed) pushTrade(t, ts, known, s, id, 1, price, size, buy ? 0 : 1);
          if (rng.next() < o.correctionRate) {
            // A late correction: same id, next version, known minutes later.
            const correctionKnown = ts + MINUTE + rng.int(44 * MINUTE);
            const corrected = Math.max(100, size - 100 * (1 + rng.int(3)));
            if (printed) {
              pushTrade(t, ts, correctionKnown, s, id, 2, price, corrected, buy ? 0 : 1);
              corrections++;
            }
          }
        }
      }
    }
    const file = (name: string): string => `${name}/${date}.parquet`;
    const symbols = universe.map((u) => u.symbol);
    const wroteQuotes = writeQuotes(join(o.out, file('quotes')), quotes, symbols, quoteSeq);
    const wroteTrades = writeTrades(join(o.out, file('trades')), trades, symbols, tradeSeq);
    quoteSeq = wroteQuotes.seq;
    tradeSeq = wroteTrades.seq;
    files.quotes.push(file('quotes'));
    files.trades.push(file('trades'));
    hashes.quotes.push(wroteQuotes.sha256);
    hashes.trades.push(wroteTrades.sha256);
    quoteRows += quotes.length;
    tradeRows += trades.length;
    if (levels) {
      const wrote = writeDepth(join(o.out, file('depth')), levels, knownOrder(q), q, symbols, depthSeq);
      depthSeq = wrote.seq;
      depthRows += wrote.rows;
      depthFiles.push(file('depth'));
      depthHashes.push(wrote.sha256);
    }
  }

  const manifest: DatasetManifest = {
    format: 1,
    generator: 'alpha-factory synthetic market v1',
    seed: o.seed,
    alpha: o.alpha,
    ...(o.ic === undefined ? {} : { ic: o.ic }),
    trade_prices: o.tradePrices,
    ...(depthRng ? { depth: o.depth } : {}),
    symbols: o.symbols,
    start: o.start,
    dates,
    sessions: dates.map((date) => ({ date, ...sessionOf(date) })),
    universe: universe.map((u) => ({ symbol: u.symbol, sector: SECTORS[u.sector]! })),
    datasets: {
      quotes: { schema: 'Quote', files: files.quotes, sha256: hashes.quotes, rows: quoteRows, corrections: 0 },
      trades: { schema: 'Trade', files: files.trades, sha256: hashes.trades, rows: tradeRows, corrections },
      ...(depthRng ? { depth: { schema: 'BookDepth', files: depthFiles, sha256: depthHashes, rows: depthRows, corrections: 0 } } : {}),
    },
    planted_alpha: PLANTED_ALPHA_DESCRIPTION,
  };
  writeOwnFile(join(o.out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

function pushTrade(
  t: Record<string, number[]>,
  ev: number,
  known: number,
  s: number,
  id: number,
  version: number,
  price: number,
  size: number,
  aggressor: number,
): void {
  t['ts_event']!.push(ev);
  t['ts_known']!.push(known);
  t['sym']!.push(s);
  t['id']!.push(id);
  t['version']!.push(version);
  t['price']!.push(price);
  t['size']!.push(size);
  t['aggressor']!.push(aggressor);
}

/** Row order by (ts_known, symbol, ts_event): the order a replay delivers. */
function knownOrder(c: Record<string, number[]>): Uint32Array {
  const order = Uint32Array.from({ length: c['ts_known']!.length }, (_, i) => i);
  const known = c['ts_known']!;
  const sym = c['sym']!;
  const ev = c['ts_event']!;
  order.sort((a, b) => known[a]! - known[b]! || sym[a]! - sym[b]! || ev[a]! - ev[b]!);
  return order;
}

/** Writes a day's quotes; returns the next seq and the file's sha256. */
function writeQuotes(path: string, quotes: Columns, symbols: string[], seq0: number): { seq: number; sha256: string } {
  const c = quotes.data as Record<string, number[]>;
  const order = knownOrder(c);
  const pick = (name: string): Float64Array => Float64Array.from(order, (i) => c[name]![i]!);
  const seq = Float64Array.from(order, (_, k) => seq0 + k + 1);
  const table = tableFromColumns(
    'Quote',
    {
      ts_event: pick('ts_event'),
      ts_known: pick('ts_known'),
      symbol: { indices: Int32Array.from(order, (i) => c['sym']![i]!), dictionary: symbols },
      seq,
      id: seq,
      version: new Int32Array(order.length).fill(1),
      bid: pick('bid'),
      ask: pick('ask'),
      bid_size: pick('bid_size'),
      ask_size: pick('ask_size'),
    },
    order.length,
  );
  return { seq: seq0 + order.length, sha256: sha256Of(writeParquetFile(path, table)) };
}

/** Writes a day's trades; returns the next seq and the file's sha256. */
function writeTrades(path: string, trades: Columns, symbols: string[], seq0: number): { seq: number; sha256: string } {
  const c = trades.data as Record<string, number[]>;
  const order = knownOrder(c);
  const pick = (name: string): Float64Array => Float64Array.from(order, (i) => c[name]![i]!);
  const aggressors = ['BUY', 'SELL', 'UNKNOWN'];
  const table = tableFromColumns(
    'Trade',
    {
      ts_event: pick('ts_event'),
      ts_known: pick('ts_known'),
      symbol: { indices: Int32Array.from(order, (i) => c['sym']![i]!), dictionary: symbols },
      seq: Float64Array.from(order, (_, k) => seq0 + k + 1),
      id: pick('id'),
      version: Int32Array.from(order, (i) => c['version']![i]!),
      price: pick('price'),
      size: pick('size'),
      aggressor: { indices: Int32Array.from(order, (i) => c['aggressor']![i]!), dictionary: aggressors },
    },
    order.length,
  );
  return { seq: seq0 + order.length, sha256: sha256Of(writeParquetFile(path, table)) };
}

function poisson(rng: Rng, mean: number): number {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

/** n sorted distinct integer µs offsets within a minute. */
function sortedOffsets(rng: Rng, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(rng.int(MINUTE));
  return out.sort((a, b) => a - b);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
