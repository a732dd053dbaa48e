/**
 * The replay source's decoding: turns column batches of a stored dataset into records, and refuses
 * those that cannot be trusted (out of (ts_known, seq) order, unknown symbol, NaN or non-positive
 * prices, crossed quotes, a print given twice at one ts_known, depth levels that are not a level
 * beyond the top) as dead letters with their reason.
 * The same row checks guard the network sources (source.kafka on its columns with {@link checkRows},
 * source.redis record by record with {@link recordProblem}), so every market-data source refuses the same rows.
 */
import type { ColumnBatch } from '../../lib/core/column-batch.ts';
import { isPrice, isStubQuote, PRICE_RULE, stubQuoteReason } from '../../lib/core/prices.ts';
import type { BookDepth, Quote, SchemaTypes, Trade } from '../../schemas/types.generated.ts';
import type { DatasetStore, SourceContext } from './context.ts';
import type { SourceReader } from './spec.ts';

/** The schemas a replay can decode. */
export type Replayable = Pick<SchemaTypes, 'Quote' | 'Trade' | 'BookDepth'>;
type Replayed = Replayable[keyof Replayable];

/** What a market-data source (a stored replay, the ITCH feed, the hot tier) can deliver. */
export const MARKET_DATA = ['Quote', 'Trade'] as const satisfies readonly (keyof Replayable)[];

/** What a stored replay can deliver: market data, and the book's levels beyond the top. */
export const REPLAYABLE = [...MARKET_DATA, 'BookDepth'] as const satisfies readonly (keyof Replayable)[];

/**
 * What the row checks use of a source's context: the universe, and where refused rows and the
 * skipped count go. Narrower than SourceContext, so what reads a dataset outside a run (alpha
 * report's market data) refuses the same rows.
 */
export type RowCheckContext = Pick<SourceContext, 'universe' | 'deadLetter' | 'metrics'>;

type Decoder<T> = (batch: ColumnBatch<T>, ctx: RowCheckContext, check: OrderCheck) => ColumnBatch<T>;

const DECODERS: { [K in keyof Replayable]: Decoder<Replayable[K]> } = {
  Quote: decodeQuotes,
  Trade: decodeTrades,
  BookDepth: decodeDepth,
};

export function openReplay<TName extends keyof Replayable>(
  dataset: string,
  schema: TName,
  batchSize: number,
  ctx: SourceContext,
  from?: DatasetStore,
): SourceReader<SchemaTypes[TName]> {
  type T = SchemaTypes[TName];
  const decode = DECODERS[schema] as Decoder<T>;
  // The default call keeps the two-argument form that every run service and test double takes.
  const files = from ? ctx.openDataset(dataset, schema, from) : ctx.openDataset(dataset, schema);
  const check = new OrderCheck(ctx);
  let pending: ColumnBatch<T> | undefined;
  let offset = 0;
  return {
    async next(): Promise<ColumnBatch<T> | null> {
      while (!pending || offset >= pending.length) {
        const batch = await files.next();
        if (!batch) return null;
        pending = decode(batch, ctx, check);
        offset = 0;
      }
      const out = pending.slice(offset, Math.min(pending.length, offset + batchSize));
      offset += out.length;
      return out;
    },
    close: () => files.close(),
  };
}

/** Prints at one ts_known compared one by one before they are kept in a set (see OrderCheck.repeatsPrint). */
const SCANNED_PRINTS = 32;

/** Longest symbol accepted when the run has no universe to check symbols against (see {@link OrderCheck}). */
export const SYMBOL_MAX = 64;

/** A symbol for a message: a long one cut to its first characters, with its length. */
const shownSymbol = (s: string): string => (s.length <= SYMBOL_MAX ? `"${s}"` : `"${s.slice(0, SYMBOL_MAX)}…" (${s.length} characters)`);

/**
 * Refuses records that break (ts_known, seq) order within the source, or name a symbol outside the
 * universe. `anySymbolWithoutUniverse` (a network source in a run without a data folder, whose
 * universe is empty): with no universe, a symbol is refused only when empty or over
 * {@link SYMBOL_MAX} characters; a replay always has its dataset's universe.
 */
export class OrderCheck {
  /** The last accepted record's keys (the decoders' fast path reads and advances them). */
  lastKnown = -Infinity;
  lastSeq = -Infinity;
  /**
   * Rows of symbols outside the universe are passed over (counted in the node's `outside_universe`
   * metric) instead of refused: a topic carrying a whole market, read by a run trading part of it.
   * Never in a run without a universe, whose symbols are checked by their length alone.
   */
  readonly skipsOutsideUniverse: boolean;
  private readonly symbols: Set<string>;
  private readonly open: boolean;
  /**
   * The prints replayed at ts_known `printsAt` (rows come in ts_known order, so they are the last
   * few): their symbols, ids and versions, scanned in turn; past {@link SCANNED_PRINTS} of them, as
   * text in a set. Nothing is allocated per print in the common case of a few prints per instant.
   */
  private printsAt = Number.NaN;
  private printCount = 0;
  private readonly printSymbols: string[] = [];
  private readonly printIds: number[] = [];
  private readonly printVersions: number[] = [];
  private readonly manyPrints = new Set<string>();
  constructor(
    private readonly ctx: RowCheckContext,
    options: { anySymbolWithoutUniverse?: boolean; skipOutsideUniverse?: boolean } = {},
  ) {
    this.symbols = new Set(ctx.universe.map((u) => u.symbol));
    this.open = (options.anySymbolWithoutUniverse ?? false) && this.symbols.size === 0;
    this.skipsOutsideUniverse = (options.skipOutsideUniverse ?? false) && !this.open;
  }

  /**
   * Whether a print (trade `id` at `version` of `symbol`) was replayed already at this ts_known;
   * remembers it otherwise. Two feeds concatenated gave each print twice (another seq), which bars
   * counted as twice the volume.
   */
  repeatsPrint(tsKnown: number, symbol: string, id: number, version: number): boolean {
    if (tsKnown !== this.printsAt) {
      this.printsAt = tsKnown;
      this.printCount = 0;
      if (this.manyPrints.size > 0) this.manyPrints.clear();
    }
    const n = this.printCount;
    if (n < SCANNED_PRINTS) {
      for (let k = 0; k < n; k++)
        if (this.printIds[k] === id && this.printVersions[k] === version && this.printSymbols[k] === symbol) return true;
      this.printSymbols[n] = symbol;
      this.printIds[n] = id;
      this.printVersions[n] = version;
      this.printCount = n + 1;
      if (n + 1 === SCANNED_PRINTS)
        for (let k = 0; k < SCANNED_PRINTS; k++)
          this.manyPrints.add(`${this.printSymbols[k]}\u0000${this.printIds[k]}:${this.printVersions[k]}`);
      return false;
    }
    const key = `${symbol}\u0000${id}:${version}`;
    if (this.manyPrints.has(key)) return true;
    this.manyPrints.add(key);
    return false;
  }

  /** `symbolKnown`, when given, is the universe membership already looked up (see {@link known}). */
  accept(record: Replayed, symbolKnown?: boolean): boolean {
    if (record.ts_known < this.lastKnown || (record.ts_known === this.lastKnown && record.seq <= this.lastSeq)) {
      this.ctx.deadLetter(
        record,
        `out of order: (ts_known ${record.ts_known}, seq ${record.seq}) after (${this.lastKnown}, ${this.lastSeq})`,
      );
      return false;
    }
    this.lastKnown = record.ts_known;
    this.lastSeq = record.seq;
    const why = this.symbolProblem(record.symbol, symbolKnown);
    if (why) {
      this.ctx.deadLetter(record, why);
      return false;
    }
    return true;
  }

  /** Why `symbol` is refused, or undefined; `known` is the membership already looked up. */
  symbolProblem(symbol: string, known = this.isKnown(symbol)): string | undefined {
    if (known) return undefined;
    if (this.open) return `symbol ${shownSymbol(symbol)}: the run has no universe; expected 1 to ${SYMBOL_MAX} characters`;
    return `unknown symbol ${shownSymbol(symbol)}: not in the dataset's universe`;
  }

  /** For each entry of a dictionary, 1 when that symbol is in the universe: one set lookup per symbol, not per record. */
  known(dictionary: readonly string[]): Uint8Array {
    return Uint8Array.from(dictionary, (s) => (this.isKnown(s) ? 1 : 0));
  }

  private isKnown(symbol: string): boolean {
    return this.open ? symbol.length > 0 && symbol.length <= SYMBOL_MAX : this.symbols.has(symbol);
  }
}

/**
 * The rows of a batch of `schema` that pass the replay's checks ({@link OrderCheck}, then
 * quoteProblem / tradeProblem / depthProblem), the others dead-lettered with their reason: the batch
 * itself when every row passed. Checked on the columns; a record is built only for a refused row.
 */
export function checkRows<TName extends keyof Replayable>(
  schema: TName,
  batch: ColumnBatch<Replayable[TName]>,
  ctx: RowCheckContext,
  check: OrderCheck,
): ColumnBatch<Replayable[TName]> {
  return (DECODERS[schema] as Decoder<Replayable[TName]>)(batch, ctx, check);
}

/**
 * Why a record of a source that keeps no (ts_known, seq) order of its own (the hot tier's reads)
 * cannot be used, with the replay's reasons: a symbol outside the universe, bad prices or sizes.
 */
export function recordProblem<TName extends keyof Replayable>(
  schema: TName,
  record: Replayable[TName],
  check: OrderCheck,
): string | undefined {
  return check.symbolProblem(record.symbol) ?? (PROBLEMS[schema] as (r: Replayable[TName]) => string | undefined)(record);
}

export function quoteProblem(q: Quote): string | undefined {
  if (
    isPrice(q.bid) &&
    isPrice(q.ask) &&
    q.bid <= q.ask &&
    !isStubQuote(q.bid, q.ask) &&
    q.bid_size >= 0 &&
    q.ask_size >= 0 &&
    Number.isFinite(q.bid_size) &&
    Number.isFinite(q.ask_size)
  )
    return undefined;
  return describeQuoteProblem(q);
}

function describeQuoteProblem(q: Quote): string | undefined {
  if (!(isPrice(q.bid) && isPrice(q.ask))) {
    return `bad price: bid ${q.bid}, ask ${q.ask} (${PRICE_RULE})`;
  }
  if (q.bid > q.ask) return `crossed quote: bid ${q.bid} > ask ${q.ask}`;
  if (isStubQuote(q.bid, q.ask)) return stubQuoteReason(q.bid, q.ask);
  if (!(q.bid_size >= 0 && q.ask_size >= 0 && Number.isFinite(q.bid_size) && Number.isFinite(q.ask_size)))
    return `bad size: bid_size ${q.bid_size}, ask_size ${q.ask_size} (sizes must be finite numbers >= 0)`;
  return undefined;
}

export function tradeProblem(t: Trade): string | undefined {
  if (isPrice(t.price) && t.size > 0 && Number.isFinite(t.size)) return undefined;
  return describeTradeProblem(t);
}

function describeTradeProblem(t: Trade): string | undefined {
  if (!isPrice(t.price)) return `bad trade price ${t.price} (${PRICE_RULE})`;
  if (!(t.size > 0 && Number.isFinite(t.size))) return `bad trade size ${t.size} (must be a positive finite number)`;
  return undefined;
}

/**
 * The replay's hot path (one pass per row of the whole run): checks each row on its columns, with no
 * record, when it is in order, of a known symbol and `sane`; any other row is materialised and goes
 * through `OrderCheck.accept` and `problem`, so refusals and their messages are those of the plain
 * path. Returns the batch itself when every row passed, else a copy of the rows that did.
 */
function validated<T extends Replayed>(
  batch: ColumnBatch<T>,
  ctx: RowCheckContext,
  check: OrderCheck,
  sane: (i: number) => boolean,
  problem: (record: T) => string | undefined,
): ColumnBatch<T> {
  const c = batch.columns as ColumnBatch<Replayed>['columns'];
  const { ts_known: tsKnown, seq } = c;
  const codes = c.symbol.codes;
  const known = check.known(c.symbol.dictionary);
  let kept: number[] | undefined;
  let outside = 0;
  for (let i = batch.start; i < batch.end; i++) {
    const ts = tsKnown[i]!;
    const s = seq[i]!;
    const inUniverse = known[codes[i]!] === 1;
    if (inUniverse && (ts > check.lastKnown || (ts === check.lastKnown && s > check.lastSeq)) && sane(i)) {
      check.lastKnown = ts;
      check.lastSeq = s;
      kept?.push(i);
      continue;
    }
    if (!inUniverse && check.skipsOutsideUniverse) {
      outside++;
      kept ??= Array.from({ length: i - batch.start }, (_, k) => batch.start + k);
      continue;
    }
    const record = batch.record(i);
    let ok = check.accept(record, known[codes[i]!] === 1);
    if (ok) {
      const why = problem(record);
      if (why) {
        ctx.deadLetter(record, why);
        ok = false;
      }
    }
    if (!ok) kept ??= Array.from({ length: i - batch.start }, (_, k) => batch.start + k);
    else kept?.push(i);
  }
  if (outside > 0) ctx.metrics.counter('outside_universe').inc(outside);
  return kept ? batch.pick(kept) : batch;
}

/** Whether row i of a batch of quotes has sound values (quoteProblem's test, on the columns). */
function saneQuotes(batch: ColumnBatch<Quote>): (i: number) => boolean {
  const { bid, ask, bid_size: bidSize, ask_size: askSize } = batch.columns;
  return (i) => {
    const b = bid[i]!;
    const a = ask[i]!;
    const bs = bidSize[i]!;
    const as = askSize[i]!;
    // bs - bs is 0 only for a finite size: NaN and ±Infinity give NaN.
    return isPrice(b) && isPrice(a) && b <= a && !isStubQuote(b, a) && bs >= 0 && as >= 0 && bs - bs === 0 && as - as === 0;
  };
}

/** Whether row i of a batch of trades has sound values (tradeProblem's test, on the columns). */
function saneTrades(batch: ColumnBatch<Trade>): (i: number) => boolean {
  const { price, size } = batch.columns;
  return (i) => {
    const p = price[i]!;
    const n = size[i]!;
    return isPrice(p) && n > 0 && n - n === 0;
  };
}

/** saneTrades, and not a print already replayed ({@link OrderCheck.repeatsPrint}). */
function newSaneTrades(batch: ColumnBatch<Trade>, check: OrderCheck): (i: number) => boolean {
  const sane = saneTrades(batch);
  const { ts_known: tsKnown, id, version, symbol } = batch.columns;
  const { codes, dictionary } = symbol;
  return (i) => sane(i) && !check.repeatsPrint(tsKnown[i]!, dictionary[codes[i]!]!, id[i]!, version[i]!);
}

function decodeQuotes(batch: ColumnBatch<Quote>, ctx: RowCheckContext, check: OrderCheck): ColumnBatch<Quote> {
  return validated(batch, ctx, check, saneQuotes(batch), quoteProblem);
}

function decodeTrades(batch: ColumnBatch<Trade>, ctx: RowCheckContext, check: OrderCheck): ColumnBatch<Trade> {
  const repeated = (t: Trade): string | undefined =>
    check.repeatsPrint(t.ts_known, t.symbol, t.id, t.version)
      ? `duplicate print: trade ${t.id} version ${t.version} again at ts_known ${t.ts_known}`
      : undefined;
  return validated(batch, ctx, check, newSaneTrades(batch, check), (t) => tradeProblem(t) ?? repeated(t));
}

/**
 * The rows of a batch whose values are sound (quoteProblem / tradeProblem), the others dead-lettered
 * with the replay's reason: for a source whose order and symbols are its own (source.itch: the book
 * took a price of 0 from an Add Order and made a quote of it). The batch itself when every row is.
 */
export function soundRows<T extends Quote | Trade>(schema: 'Quote' | 'Trade', batch: ColumnBatch<T>, ctx: SourceContext): ColumnBatch<T> {
  const sane = schema === 'Quote' ? saneQuotes(batch as ColumnBatch<Quote>) : saneTrades(batch as ColumnBatch<Trade>);
  const problem = PROBLEMS[schema] as (record: T) => string | undefined;
  return batch.where((i) => {
    if (sane(i)) return true;
    const record = batch.record(i);
    ctx.deadLetter(record, problem(record) ?? 'unsound values');
    return false;
  });
}

export function depthProblem(d: BookDepth): string | undefined {
  if (!(Number.isInteger(d.level) && d.level >= 2)) return `bad level ${d.level} (level 2 is the first beyond the top, the quote)`;
  if (!isPrice(d.price)) return `bad depth price ${d.price} (${PRICE_RULE})`;
  if (!(d.size >= 0 && Number.isFinite(d.size))) return `bad depth size ${d.size} (must be a finite number >= 0)`;
  return undefined;
}

function decodeDepth(batch: ColumnBatch<BookDepth>, ctx: RowCheckContext, check: OrderCheck): ColumnBatch<BookDepth> {
  const { level, price, size } = batch.columns;
  const sane = (i: number): boolean => {
    const p = price[i]!;
    const n = size[i]!;
    return level[i]! >= 2 && isPrice(p) && n >= 0 && Number.isFinite(n);
  };
  return validated(batch, ctx, check, sane, depthProblem);
}

const PROBLEMS: { [K in keyof Replayable]: (record: Replayable[K]) => string | undefined } = {
  Quote: quoteProblem,
  Trade: tradeProblem,
  BookDepth: depthProblem,
};
