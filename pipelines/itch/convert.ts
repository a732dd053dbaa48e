/**
 * `alpha itch convert FILE --out DIR`: the quotes (top-of-book changes) and trades of an ITCH 5.0
 * file, replayed through colo's native order book, written as a one-day dataset that
 * `alpha backtest --data DIR` replays: manifest.json, quotes/DATE.parquet, trades/DATE.parquet.
 *
 * ts_event is the exchange timestamp (ns since New York midnight, truncated to µs). A file has no
 * receive clock, so ts_known = ts_event. Only two-sided, uncrossed tops that are not stubs (an ask
 * more than 10× the bid: lib/core/prices.ts) become quotes (the replay takes no other); the rest are
 * counted.
 *
 * The day is never held whole: its rows go to the Parquet files a batch at a time as the book makes
 * them, so memory stays that of the book and a row group whatever the file's size (a NASDAQ day is
 * 8–12 GB; figures in docs/benchmarks.md, "Converting an ITCH day").
 */
import { mkdirSync } from 'node:fs';
import { writeOwnFile } from '../../lib/io/own-file.ts';
import { basename, join } from 'node:path';
import type * as arrow from 'apache-arrow';
import { AlphaError } from '../../lib/core/errors.ts';
import { newYorkMidnight, regularSession } from '../../lib/core/exchange-time.ts';
import { tableFromColumns } from '../../lib/io/avro-arrow.ts';
import { ExternalSort } from '../../lib/io/external-sort.ts';
import { openParquetFileWriter, PARQUET_STREAM_BATCH_ROWS, type ParquetFileWriter } from '../../lib/io/parquet-file-writer.ts';
import type { ItchFile, ItchSummary } from '../../native/colo/index.ts';
import { isStubQuote } from '../../lib/core/prices.ts';
import { printable } from '../../lib/core/printable.ts';
import type { DatasetManifest } from '../data/manifest.ts';
import { symbolProblem } from '../ingest/columns.ts';
import { openOutput } from '../io/output-folder.ts';
import { openItchFile, pastDayEndProblem, problemsOf, reportOf, scanPastDayEnd, type BookReport, type PastDayEnd } from './book.ts';
import { dateOfItchFileName, sessionDateProblem } from './exchange-time.ts';

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

const ROWS_PER_STEP = 65_536;
/** Rows per batch to the Parquet writer: whole batches fill its row groups as writing the day at once did (the same bytes). */
const BATCH_ROWS = PARQUET_STREAM_BATCH_ROWS;
const AGGRESSORS = ['BUY', 'SELL', 'UNKNOWN'];
/** Columns of the rows kept (as doubles): quotes ts, symbol, bid, ask, bid_size, ask_size; trades ts, symbol, price, size, aggressor. */
const QUOTE_COLUMNS = 6;
const TRADE_COLUMNS = 5;

/** What the first pass over the file found: enough to refuse the day, or to name and order its rows. */
interface FirstPass {
  readonly quotes: number;
  readonly trades: number;
  readonly skippedTops: number;
  readonly skippedPrints: number;
  /** Whether the rows kept are in time order already (as a day's file is unless its clock steps back). */
  readonly quotesInOrder: boolean;
  readonly tradesInOrder: boolean;
  /** Locates with a row kept, in the order first seen among the quotes, then the trades. */
  readonly traded: readonly number[];
  readonly late: PastDayEnd | null;
  readonly summary: ItchSummary;
}

/**
 * Converts in two passes over the file, each through the book, holding a batch of rows at a time
 * (the book is the only state that grows with the day): the first finds what decides the day (its
 * symbols, whether it can be written, whether its rows are in time order), the second writes the rows
 * as they come, a row group at a time, into the dataset's folder. Rows out of time order go through an
 * external sort (runs spilled beside the files, removed before the folder is committed).
 */
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
  const first = await firstPass(file, o, midnight);
  const { summary, skippedTops, skippedPrints } = first;
  const report = reportOf(file, summary, o.symbols, first.late);
  const named = summary.symbols.filter((s) => s.symbol !== '');
  // One line, before any other problem: a dataset of one date cannot hold the next days' times.
  const lateProblem = pastDayEndProblem(report);
  if (lateProblem !== undefined) throw new AlphaError(lateProblem);
  const problems = problemsOf(report);
  if (problems.errors.length > 0) throw new AlphaError(`${problems.errors.join('\nalpha: ')}\nalpha: nothing written to ${o.out}`);

  // Dense symbol codes in name order, so the dataset does not depend on the day's locate codes.
  const traded = first.traded
    .map((locate) => ({ locate, symbol: named.find((s) => s.locate === locate)?.symbol ?? `LOCATE${locate}` }))
    .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  refuseTwice(file, o, traded, named);
  const leftOut = o.checkSymbols === false ? [] : unnameable(file, traded);
  const bySymbol = leftOut.length === 0 ? traded : traded.filter((s) => !leftOut.some((l) => l.locate === s.locate));
  if (bySymbol.length === 0)
    throw new AlphaError(
      `${file}: no quotes or trades to write${o.symbols ? ` for --symbols ${o.symbols.join(',')}` : ''}${leftOut.length > 0 ? ` (${leftOut.length} symbol(s) left out: ${leftOut[0]!.problem})` : ''}`,
    );
  // A locate's code in the dataset's dictionary; −1: its rows are left out.
  const code = new Int32Array(LOCATES).fill(-1);
  bySymbol.forEach((s, i) => {
    code[s.locate] = i;
  });
  const dictionary = bySymbol.map((s) => s.symbol);

  const output = openOutput(o.out, {
    overwrite: o.overwrite ?? false,
    holder: 'alpha itch convert',
    inputs: [{ what: 'the ITCH file', path: file }],
  });
  const sinks: DaySink[] = [];
  let rows: { quotes: number; trades: number };
  try {
    mkdirSync(join(output.dir, 'quotes'));
    mkdirSync(join(output.dir, 'trades'));
    const qFile = `quotes/${date}.parquet`;
    const tFile = `trades/${date}.parquet`;
    const quotes = new DaySink(file, join(output.dir, qFile), QUOTE_COLUMNS, first.quotesInOrder, (cols, n, seq) =>
      tableFromColumns(
        'Quote',
        {
          ts_event: cols[0]!,
          ts_known: cols[0]!,
          symbol: { indices: Int32Array.from(cols[1]!), dictionary },
          seq,
          version: new Int32Array(n).fill(1),
          bid: cols[2]!,
          ask: cols[3]!,
          bid_size: cols[4]!,
          ask_size: cols[5]!,
          id: seq,
        },
        n,
      ),
    );
    sinks.push(quotes);
    const trades = new DaySink(file, join(output.dir, tFile), TRADE_COLUMNS, first.tradesInOrder, (cols, n, seq) =>
      tableFromColumns(
        'Trade',
        {
          ts_event: cols[0]!,
          ts_known: cols[0]!,
          symbol: { indices: Int32Array.from(cols[1]!), dictionary },
          seq,
          version: new Int32Array(n).fill(1),
          id: seq,
          price: cols[2]!,
          size: cols[3]!,
          aggressor: { indices: Int32Array.from(cols[4]!), dictionary: AGGRESSORS },
        },
        n,
      ),
    );
    sinks.push(trades);
    await secondPass(file, o, midnight, code, first, quotes, trades);
    const [qDone, tDone] = [await quotes.finish(), await trades.finish()];
    rows = { quotes: qDone.rows, trades: tDone.rows };
    // A day without a quote is not a dataset a backtest takes (pipelines/io/dataset.ts refuses it).
    if (rows.quotes === 0)
      throw new AlphaError(
        `${file}: no quote to write${o.symbols ? ` for --symbols ${o.symbols.join(',')}` : ''} (${rows.trades} print(s), ${skippedTops} one-sided, crossed or stub top(s)): ` +
          'a day of a dataset needs its quotes; expected symbols with a two-sided, uncrossed top in the file that is not a stub',
      );
    const manifest: DatasetManifest = {
      format: 1,
      generator: `alpha itch convert ${basename(file)}`,
      dates: [date],
      sessions: [{ date, ...regularSession(date) }],
      universe: dictionary.map((symbol) => ({ symbol, sector: 'UNKNOWN' })),
      symbols: dictionary.length,
      start: date,
      datasets: {
        quotes: { schema: 'Quote', files: [qFile], sha256: [qDone.sha256], rows: qDone.rows, corrections: 0 },
        trades: { schema: 'Trade', files: [tFile], sha256: [tDone.sha256], rows: tDone.rows, corrections: 0 },
      },
    };
    writeOwnFile(join(output.dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    output.commit();
  } catch (err) {
    for (const s of sinks) s.abort();
    throw output.abort(err);
  }
  return { date, quotes: rows.quotes, trades: rows.trades, symbols: dictionary.length, skippedTops, skippedPrints, leftOut, report };
}

/**
 * A turn of the event loop between steps: the columns a step hands over are freed by finalizers that
 * run there, so a loop without one held every step's columns until the file's end (RSS growing with the file).
 */
function breathe(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** ITCH locates are 16-bit. */
const LOCATES = 1 << 16;

/** The rows of one step that a dataset takes, as columns of doubles (see QUOTE_COLUMNS), each `n` long. */
interface KeptRows {
  readonly quotes: Float64Array[];
  readonly nQuotes: number;
  readonly trades: Float64Array[];
  readonly nTrades: number;
  /** Tops one-sided, crossed or stubs, and prints without a price or shares: not rows of a dataset. */
  readonly skippedTops: number;
  readonly skippedPrints: number;
  /** Rows of symbols left out (code −1), not kept. */
  readonly leftOut: number;
}

/**
 * The rows of a step a dataset takes, at µs since the epoch, their symbol given by `code[locate]`
 * (rows of a locate whose code is −1 are left out, after the skipped ones are counted). Both passes
 * take the rows through here.
 */
function keptRows(step: ReturnType<ItchFile['next']>, midnight: number, code: Int32Array): KeptRows {
  const sq = step.quotes;
  const quotes = Array.from({ length: QUOTE_COLUMNS }, () => new Float64Array(sq.locate.length));
  const [qTs, qSym, qBid, qAsk, qBidSize, qAskSize] = quotes as [
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
    Float64Array,
  ];
  let nQuotes = 0;
  let skippedTops = 0;
  let leftOut = 0;
  for (let i = 0; i < sq.locate.length; i++) {
    const bid = sq.bid[i]!;
    const ask = sq.ask[i]!;
    if (!(bid > 0 && ask > 0 && bid <= ask) || isStubQuote(bid, ask)) {
      skippedTops++;
      continue;
    }
    const c = code[sq.locate[i]!]!;
    if (c < 0) {
      leftOut++;
      continue;
    }
    qTs[nQuotes] = midnight + Math.floor(sq.ts_ns[i]! / 1000);
    qSym[nQuotes] = c;
    qBid[nQuotes] = bid;
    qAsk[nQuotes] = ask;
    qBidSize[nQuotes] = sq.bid_size[i]!;
    qAskSize[nQuotes] = sq.ask_size[i]!;
    nQuotes++;
  }
  const st = step.trades;
  const trades = Array.from({ length: TRADE_COLUMNS }, () => new Float64Array(st.locate.length));
  const [tTs, tSym, tPrice, tSize, tAggressor] = trades as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  let nTrades = 0;
  let skippedPrints = 0;
  for (let i = 0; i < st.locate.length; i++) {
    if (!(st.price[i]! > 0 && st.shares[i]! > 0)) {
      skippedPrints++;
      continue;
    }
    const c = code[st.locate[i]!]!;
    if (c < 0) {
      leftOut++;
      continue;
    }
    tTs[nTrades] = midnight + Math.floor(st.ts_ns[i]! / 1000);
    tSym[nTrades] = c;
    tPrice[nTrades] = st.price[i]!;
    tSize[nTrades] = st.shares[i]!;
    const a = st.aggressor[i]!;
    tAggressor[nTrades] = a === 66 ? 0 : a === 83 ? 1 : 2;
    nTrades++;
  }
  return { quotes, nQuotes, trades, nTrades, skippedTops, skippedPrints, leftOut };
}

/** Every locate its own code: the first pass keeps every row and sees the locates. */
const EVERY_LOCATE = Int32Array.from({ length: LOCATES }, (_, i) => i);

async function firstPass(file: string, o: ConvertOptions, midnight: number): Promise<FirstPass> {
  const itch = openItchFile(file, o.symbols);
  let quotes = 0;
  let trades = 0;
  let skippedTops = 0;
  let skippedPrints = 0;
  let lastQuote = -Infinity;
  let lastTrade = -Infinity;
  let quotesInOrder = true;
  let tradesInOrder = true;
  const seenQuote = new Uint8Array(LOCATES);
  const seenTrade = new Uint8Array(LOCATES);
  const quoted: number[] = [];
  const printed: number[] = [];
  let late: PastDayEnd | null = null;
  for (;;) {
    const step = itch.next(ROWS_PER_STEP);
    // A row at 24 h or more would be a time of the next days, which a dataset of one date cannot hold.
    late = scanPastDayEnd(step.trades, scanPastDayEnd(step.quotes, late));
    const k = keptRows(step, midnight, EVERY_LOCATE);
    skippedTops += k.skippedTops;
    skippedPrints += k.skippedPrints;
    const [qTs, qSym] = k.quotes as [Float64Array, Float64Array];
    for (let i = 0; i < k.nQuotes; i++) {
      const ts = qTs[i]!;
      if (ts < lastQuote) quotesInOrder = false;
      lastQuote = ts;
      const locate = qSym[i]!;
      if (seenQuote[locate] === 0) {
        seenQuote[locate] = 1;
        quoted.push(locate);
      }
    }
    const [tTs, tSym] = k.trades as [Float64Array, Float64Array];
    for (let i = 0; i < k.nTrades; i++) {
      const ts = tTs[i]!;
      if (ts < lastTrade) tradesInOrder = false;
      lastTrade = ts;
      const locate = tSym[i]!;
      if (seenTrade[locate] === 0) {
        seenTrade[locate] = 1;
        printed.push(locate);
      }
    }
    quotes += k.nQuotes;
    trades += k.nTrades;
    if (step.done) break;
    await breathe();
  }
  const traded = [...new Set([...quoted, ...printed])];
  return { quotes, trades, skippedTops, skippedPrints, quotesInOrder, tradesInOrder, traded, late, summary: itch.summary() };
}

/** Replays the file again, each row a dataset takes to its sink; the file must give what it gave the first time. */
async function secondPass(
  file: string,
  o: ConvertOptions,
  midnight: number,
  code: Int32Array,
  first: FirstPass,
  quotes: DaySink,
  trades: DaySink,
): Promise<void> {
  const itch = openItchFile(file, o.symbols);
  const seen = { quotes: 0, trades: 0, skippedTops: 0, skippedPrints: 0, leftOut: 0 };
  for (;;) {
    const step = itch.next(ROWS_PER_STEP);
    const k = keptRows(step, midnight, code);
    seen.skippedTops += k.skippedTops;
    seen.skippedPrints += k.skippedPrints;
    seen.leftOut += k.leftOut;
    seen.quotes += k.nQuotes;
    seen.trades += k.nTrades;
    await quotes.add(k.quotes, k.nQuotes);
    await trades.add(k.trades, k.nTrades);
    if (step.done) break;
    await breathe();
  }
  const summary = itch.summary();
  if (
    summary.messages !== first.summary.messages ||
    summary.bytes !== first.summary.bytes ||
    seen.skippedTops !== first.skippedTops ||
    seen.skippedPrints !== first.skippedPrints ||
    seen.quotes + seen.trades + seen.leftOut !== first.quotes + first.trades
  )
    throw changedWhileRead(file);
}

function changedWhileRead(file: string): AlphaError {
  return new AlphaError(
    `${file}: changed while it was converted (its second reading differs from its first): leave ITCH files unchanged while they are read`,
  );
}

/**
 * One dataset's rows into its Parquet file in time order (stable), numbered seq 1…n as written, in
 * batches of BATCH_ROWS: rows in order go straight through a batch; others through an external sort
 * spilled beside the file.
 */
class DaySink {
  private readonly writer: ParquetFileWriter;
  private readonly sort: ExternalSort | undefined;
  private batch: Float64Array[] = [];
  private filled = 0;
  private written = 0;
  private last = -Infinity;

  constructor(
    private readonly file: string,
    path: string,
    private readonly width: number,
    inOrder: boolean,
    private readonly table: (cols: readonly Float64Array[], n: number, seq: Float64Array) => arrow.Table,
  ) {
    this.writer = openParquetFileWriter(path);
    this.sort = inOrder ? undefined : new ExternalSort(`${path}.spill`, width);
    if (inOrder) this.batch = this.newBatch();
  }

  async add(cols: readonly Float64Array[], n: number): Promise<void> {
    if (this.sort) {
      this.sort.add(cols, n);
      return;
    }
    const ts = cols[0]!;
    for (let from = 0; from < n; ) {
      const take = Math.min(n - from, BATCH_ROWS - this.filled);
      for (let i = from; i < from + take; i++) {
        // The first pass found these rows in order: a row before the last means the file changed since.
        if (ts[i]! < this.last) throw changedWhileRead(this.file);
        this.last = ts[i]!;
      }
      for (let c = 0; c < this.width; c++) this.batch[c]!.set(cols[c]!.subarray(from, from + take), this.filled);
      this.filled += take;
      from += take;
      if (this.filled === BATCH_ROWS) {
        await this.write(this.batch, BATCH_ROWS);
        this.batch = this.newBatch();
        this.filled = 0;
      }
    }
  }

  /** Writes what is left and ends the file. */
  async finish(): Promise<{ sha256: string; rows: number }> {
    if (this.sort) {
      try {
        for (const b of this.sort.blocks(BATCH_ROWS)) await this.write(b.cols, b.n);
      } finally {
        this.sort.remove();
      }
    } else if (this.filled > 0) {
      await this.write(
        this.batch.map((c) => c.subarray(0, this.filled)),
        this.filled,
      );
    }
    // A day without such rows is a file of the schema and no rows.
    if (this.written === 0) await this.write(this.newBatch(0), 0);
    return this.writer.close();
  }

  abort(): void {
    this.writer.abort();
    this.sort?.remove();
  }

  private newBatch(rows = BATCH_ROWS): Float64Array[] {
    return Array.from({ length: this.width }, () => new Float64Array(rows));
  }

  private async write(cols: readonly Float64Array[], n: number): Promise<void> {
    const seq = new Float64Array(n);
    for (let i = 0; i < n; i++) seq[i] = this.written + i + 1;
    this.written += n;
    await this.writer.write(this.table(cols, n, seq));
  }
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
