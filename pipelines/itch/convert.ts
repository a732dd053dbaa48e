/**
 * `alpha itch convert FILE --out DIR`: the quotes (top-of-book changes) and trades of an ITCH 5.0
 * file, replayed through colo's native order book, written as a one-day dataset that
 * `alpha backtest --data DIR` replays: manifest.json, quotes/DATE.parquet, trades/DATE.parquet.
 *
 * ts_event is the exchange timestamp (ns since New York midnight, truncated to µs). A file has no
 * receive clock, so ts_known = ts_event. Only two-sided, uncrossed tops become quotes (the replay
 * takes no other); the rest are counted.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AlphaError } from '../../lib/core/errors.ts';
import { tableFromColumns } from '../../lib/io/avro-arrow.ts';
import { writeParquetFile } from '../../lib/io/parquet.ts';
import type { DatasetManifest } from '../data/manifest.ts';
import { openOutput } from '../io/output-folder.ts';
import { problemsOf, reportOf, type BookReport } from './book.ts';
import { dateOfItchFileName } from './exchange-time.ts';
import { newYorkMidnight, regularSession } from '../../lib/core/exchange-time.ts';
import { openItchFile } from './book.ts';

export interface ConvertOptions {
  readonly out: string;
  /** Session date YYYY-MM-DD; taken from a NASDAQ file name (MMDDYYYY…) when absent. */
  readonly date?: string;
  readonly symbols?: readonly string[];
  readonly overwrite?: boolean;
}

export interface ConvertResult {
  readonly date: string;
  readonly quotes: number;
  readonly trades: number;
  readonly symbols: number;
  /** Tops of book not written: one side empty, or bid above ask. */
  readonly skippedTops: number;
  readonly report: BookReport;
}

/** Growable columns of doubles. */
class Column {
  data = new Float64Array(1024);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = x;
  }
  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

const ROWS_PER_STEP = 65_536;
const AGGRESSORS = ['BUY', 'SELL', 'UNKNOWN'];

export async function convertItch(file: string, o: ConvertOptions): Promise<ConvertResult> {
  const date = o.date ?? dateOfItchFileName(basename(file));
  if (date === undefined) {
    throw new AlphaError(
      `${file}: cannot tell the session date from the file name: give --date YYYY-MM-DD (NASDAQ's files start MMDDYYYY)`,
    );
  }
  const midnight = newYorkMidnight(date);
  const itch = openItchFile(file, o.symbols);
  const q = { ts: new Column(), sym: new Column(), bid: new Column(), ask: new Column(), bidSize: new Column(), askSize: new Column() };
  const t = { ts: new Column(), sym: new Column(), price: new Column(), size: new Column(), aggressor: new Column() };
  let skippedTops = 0;
  for (;;) {
    const step = itch.next(ROWS_PER_STEP);
    const sq = step.quotes;
    for (let i = 0; i < sq.locate.length; i++) {
      const bid = sq.bid[i]!;
      const ask = sq.ask[i]!;
      if (!(bid > 0 && ask > 0 && bid <= ask)) {
        skippedTops++;
        continue;
      }
      q.ts.push(midnight + Math.floor(sq.ts_ns[i]! / 1000));
      q.sym.push(sq.locate[i]!);
      q.bid.push(bid);
      q.ask.push(ask);
      q.bidSize.push(sq.bid_size[i]!);
      q.askSize.push(sq.ask_size[i]!);
    }
    const st = step.trades;
    for (let i = 0; i < st.locate.length; i++) {
      t.ts.push(midnight + Math.floor(st.ts_ns[i]! / 1000));
      t.sym.push(st.locate[i]!);
      t.price.push(st.price[i]!);
      t.size.push(st.shares[i]!);
      const a = st.aggressor[i]!;
      t.aggressor.push(a === 66 ? 0 : a === 83 ? 1 : 2);
    }
    if (step.done) break;
  }
  const summary = itch.summary();
  const report = reportOf(file, summary, o.symbols);
  const named = summary.symbols.filter((s) => s.symbol !== '');
  const problems = problemsOf(report);
  if (problems.errors.length > 0) throw new AlphaError(`${problems.errors.join('\nalpha: ')}\nalpha: nothing written to ${o.out}`);

  // Dense symbol codes in name order, so the dataset does not depend on the day's locate codes.
  const bySymbol = [...new Set([...q.sym.values(), ...t.sym.values()])]
    .map((locate) => ({ locate, symbol: named.find((s) => s.locate === locate)?.symbol ?? `LOCATE${locate}` }))
    .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  if (bySymbol.length === 0)
    throw new AlphaError(`${file}: no quotes or trades to write${o.symbols ? ` for --symbols ${o.symbols.join(',')}` : ''}`);
  const code = new Map(bySymbol.map((s, i) => [s.locate, i]));
  const dictionary = bySymbol.map((s) => s.symbol);

  const output = openOutput(o.out, { overwrite: o.overwrite ?? false, inputs: [{ what: 'the ITCH file', path: file }] });
  try {
    mkdirSync(join(output.dir, 'quotes'));
    mkdirSync(join(output.dir, 'trades'));
    const qFile = `quotes/${date}.parquet`;
    const tFile = `trades/${date}.parquet`;
    const qHash = writeDay(join(output.dir, qFile), 'Quote', q.ts.values(), q.sym.values(), code, dictionary, (order, n) => ({
      bid: pick(q.bid.values(), order),
      ask: pick(q.ask.values(), order),
      bid_size: pick(q.bidSize.values(), order),
      ask_size: pick(q.askSize.values(), order),
      id: seqs(n),
    }));
    const tHash = writeDay(join(output.dir, tFile), 'Trade', t.ts.values(), t.sym.values(), code, dictionary, (order, n) => ({
      id: seqs(n),
      price: pick(t.price.values(), order),
      size: pick(t.size.values(), order),
      aggressor: { indices: Int32Array.from(order, (i) => t.aggressor.data[i]!), dictionary: AGGRESSORS },
    }));
    const manifest: DatasetManifest = {
      format: 1,
      generator: `alpha itch convert ${basename(file)}`,
      dates: [date],
      sessions: [{ date, ...regularSession(date) }],
      universe: dictionary.map((symbol) => ({ symbol, sector: 'UNKNOWN' })),
      symbols: dictionary.length,
      start: date,
      datasets: {
        quotes: { schema: 'Quote', files: [qFile], sha256: [qHash], rows: q.ts.length, corrections: 0 },
        trades: { schema: 'Trade', files: [tFile], sha256: [tHash], rows: t.ts.length, corrections: 0 },
      },
    };
    writeFileSync(join(output.dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    output.commit();
  } catch (err) {
    throw output.abort(err);
  }
  return { date, quotes: q.ts.length, trades: t.ts.length, symbols: dictionary.length, skippedTops, report };
}

function pick(values: Float64Array, order: Uint32Array): Float64Array {
  return Float64Array.from(order, (i) => values[i]!);
}

function seqs(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, k) => k + 1);
}

/** Writes one day of rows in (ts_known, symbol) order with seq 1..n; returns the file's sha256. */
function writeDay(
  path: string,
  schema: 'Quote' | 'Trade',
  ts: Float64Array,
  locates: Float64Array,
  code: Map<number, number>,
  dictionary: string[],
  rest: (order: Uint32Array, n: number) => Record<string, Float64Array | { indices: Int32Array; dictionary: string[] }>,
): string {
  const n = ts.length;
  // Rows arrive in exchange-time order; a stable sort keeps a file with a clock step back replayable.
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => ts[a]! - ts[b]! || a - b);
  const when = pick(ts, order);
  const table = tableFromColumns(
    schema,
    {
      ts_event: when,
      ts_known: when,
      symbol: { indices: Int32Array.from(order, (i) => code.get(locates[i]!)!), dictionary },
      seq: seqs(n),
      version: new Int32Array(n).fill(1),
      ...rest(order, n),
    },
    n,
  );
  return createHash('sha256').update(writeParquetFile(path, table)).digest('hex');
}
