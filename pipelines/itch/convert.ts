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
import { symbolProblem } from '../ingest/columns.ts';
import { pastDayEndProblem, problemsOf, reportOf, scanPastDayEnd, type BookReport, type PastDayEnd } from './book.ts';
import { dateOfItchFileName, sessionDateProblem } from './exchange-time.ts';
import { newYorkMidnight, regularSession } from '../../lib/core/exchange-time.ts';
import { openItchFile } from './book.ts';
import { printable } from '../cli/report-error.ts';

export interface ConvertOptions {
  readonly out: string;
  /** Session date YYYY-MM-DD; taken from a NASDAQ file name (MMDDYYYY…) when absent. */
  readonly date?: string;
  readonly symbols?: readonly string[];
  readonly overwrite?: boolean;
  /**
   * Leave out (with a note) the symbols a dataset cannot name; `alpha data ingest`, which maps and
   * checks the symbols itself (--symbol-map), turns this off. Default on.
   */
  readonly checkSymbols?: boolean;
}

export interface ConvertResult {
  readonly date: string;
  readonly quotes: number;
  readonly trades: number;
  readonly symbols: number;
  /** Tops of book not written: one side empty, or bid above ask. */
  readonly skippedTops: number;
  /** Prints not written: no price or no shares (a trade of nothing, which a replay would refuse). */
  readonly skippedPrints: number;
  /** Symbols left out, and why: each a name `alpha data ingest` refuses (a space, a control byte, `#`, …). */
  readonly leftOut: readonly { locate: number; symbol: string; problem: string }[];
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
  const dateProblem = sessionDateProblem(date);
  if (dateProblem !== undefined) {
    throw new AlphaError(
      o.date !== undefined
        ? `--date is "${date}": ${dateProblem}`
        : `${file}: its name gives the session date ${date}: ${dateProblem}; give --date YYYY-MM-DD`,
    );
  }
  const midnight = newYorkMidnight(date);
  const itch = openItchFile(file, o.symbols);
  const q = { ts: new Column(), sym: new Column(), bid: new Column(), ask: new Column(), bidSize: new Column(), askSize: new Column() };
  const t = { ts: new Column(), sym: new Column(), price: new Column(), size: new Column(), aggressor: new Column() };
  let skippedTops = 0;
  let skippedPrints = 0;
  let late: PastDayEnd | null = null;
  for (;;) {
    const step = itch.next(ROWS_PER_STEP);
    // A row at 24 h or more would be a time of the next days, which a dataset of one date cannot hold.
    late = scanPastDayEnd(step.trades, scanPastDayEnd(step.quotes, late));
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
      if (!(st.price[i]! > 0 && st.shares[i]! > 0)) {
        skippedPrints++;
        continue;
      }
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
  const report = reportOf(file, summary, o.symbols, late);
  const named = summary.symbols.filter((s) => s.symbol !== '');
  // One line, before any other problem: a dataset of one date cannot hold the next days' times.
  const lateProblem = pastDayEndProblem(report);
  if (lateProblem !== undefined) throw new AlphaError(lateProblem);
  const problems = problemsOf(report);
  if (problems.errors.length > 0) throw new AlphaError(`${problems.errors.join('\nalpha: ')}\nalpha: nothing written to ${o.out}`);

  // Dense symbol codes in name order, so the dataset does not depend on the day's locate codes.
  const traded = [...new Set([...q.sym.values(), ...t.sym.values()])]
    .map((locate) => ({ locate, symbol: named.find((s) => s.locate === locate)?.symbol ?? `LOCATE${locate}` }))
    .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  refuseTwice(file, o, traded, named);
  const leftOut = o.checkSymbols === false ? [] : unnameable(file, traded);
  const bySymbol = leftOut.length === 0 ? traded : traded.filter((s) => !leftOut.some((l) => l.locate === s.locate));
  if (leftOut.length > 0) {
    const out = new Set(leftOut.map((l) => l.locate));
    keepRows(q, (i) => !out.has(q.sym.data[i]!));
    keepRows(t, (i) => !out.has(t.sym.data[i]!));
  }
  if (bySymbol.length === 0)
    throw new AlphaError(
      `${file}: no quotes or trades to write${o.symbols ? ` for --symbols ${o.symbols.join(',')}` : ''}${leftOut.length > 0 ? ` (${leftOut.length} symbol(s) left out: ${leftOut[0]!.problem})` : ''}`,
    );
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
  return { date, quotes: q.ts.length, trades: t.ts.length, symbols: dictionary.length, skippedTops, skippedPrints, leftOut, report };
}

/** Keeps the rows `keep` says (by index) in every column of `columns`, in order. */
function keepRows(columns: Record<string, Column>, keep: (i: number) => boolean): void {
  const all = Object.values(columns);
  const n = all[0]!.length;
  let w = 0;
  for (let i = 0; i < n; i++) {
    if (!keep(i)) continue;
    for (const c of all) c.data[w] = c.data[i]!;
    w++;
  }
  for (const c of all) c.length = w;
}

/** Refuses a symbol at two locates of the stock directory: a manifest names each symbol once. */
function refuseTwice(
  file: string,
  o: ConvertOptions,
  written: readonly { locate: number; symbol: string }[],
  directory: readonly { locate: number; symbol: string }[],
): void {
  const wanted = o.symbols ? new Set(o.symbols) : undefined;
  const locates = new Map<string, number[]>();
  for (const s of [...directory.filter((d) => !wanted || wanted.has(d.symbol)), ...written]) {
    const at = locates.get(s.symbol) ?? [];
    if (!at.includes(s.locate)) at.push(s.locate);
    locates.set(s.symbol, at);
  }
  const twice = [...locates].filter(([, at]) => at.length > 1);
  if (twice.length === 0) return;
  const [symbol, at] = twice[0]!;
  throw new AlphaError(
    `${file}: the stock directory names ${printable(JSON.stringify(symbol))} at locates ${at.sort((a, b) => a - b).join(' and ')}: expected each symbol at one locate${twice.length > 1 ? ` (and ${twice.length - 1} more symbol(s) named twice)` : ''}`,
  );
}

/**
 * The symbols a dataset cannot name, as `alpha data ingest` checks them (a control byte, a space, a
 * comma, bytes that are not UTF-8, a path, and marks such as `#` or `*` that NASDAQ's symbology puts on
 * when-issued or called issues): left out of the day with a note rather than refusing a whole
 * market's file over a few issues.
 */
function unnameable(
  file: string,
  written: readonly { locate: number; symbol: string }[],
): { locate: number; symbol: string; problem: string }[] {
  return written.flatMap((s) => {
    const problem = symbolProblem(s.symbol);
    if (problem === undefined) return [];
    const utf8 = s.symbol.includes('\ufffd') ? ' (bytes that are not UTF-8 shown as \ufffd)' : '';
    return [{ locate: s.locate, symbol: s.symbol, problem: `${file}: stock locate ${s.locate}: ${printable(problem)}${utf8}` }];
  });
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
