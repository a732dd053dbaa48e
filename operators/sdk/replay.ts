/**
 * The replay source's decoding: turns column batches of a stored dataset into records, and refuses
 * those that cannot be trusted (out of (ts_known, seq) order, unknown symbol, NaN or non-positive
 * prices, crossed quotes) as dead letters with their reason.
 */
import type { ColumnBatch } from '../../lib/core/column-batch.ts';
import type { Quote, SchemaTypes, Trade } from '../../schemas/types.generated.ts';
import type { SourceContext } from './context.ts';
import type { Batch, SourceReader } from './spec.ts';

/** The schemas a replay can decode. */
export type Replayable = Pick<SchemaTypes, 'Quote' | 'Trade'>;

export const REPLAYABLE = ['Quote', 'Trade'] as const satisfies readonly (keyof Replayable)[];

type Decoder<T> = (batch: ColumnBatch<T>, ctx: SourceContext, check: OrderCheck) => T[];

const DECODERS: { [K in keyof Replayable]: Decoder<Replayable[K]> } = { Quote: decodeQuotes, Trade: decodeTrades };

export function openReplay<TName extends keyof Replayable>(
  dataset: string,
  schema: TName,
  batchSize: number,
  ctx: SourceContext,
): SourceReader<SchemaTypes[TName]> {
  type T = SchemaTypes[TName];
  const decode = DECODERS[schema] as Decoder<T>;
  const files = ctx.openDataset(dataset, schema);
  const check = new OrderCheck(ctx);
  let pending: T[] = [];
  let offset = 0;
  return {
    async next(): Promise<Batch<T> | null> {
      while (offset >= pending.length) {
        const batch = await files.next();
        if (!batch) return null;
        pending = decode(batch, ctx, check);
        offset = 0;
      }
      const out = offset === 0 && pending.length <= batchSize ? pending : pending.slice(offset, offset + batchSize);
      offset += out.length;
      return out;
    },
    close: () => files.close(),
  };
}

/** Refuses records that break (ts_known, seq) order within the source, or name a symbol outside the universe. */
export class OrderCheck {
  private lastKnown = -Infinity;
  private lastSeq = -Infinity;
  private readonly symbols: Set<string>;
  constructor(private readonly ctx: SourceContext) {
    this.symbols = new Set(ctx.universe.map((u) => u.symbol));
  }
  /** `symbolKnown`, when given, is the universe membership already looked up (see {@link known}). */
  accept(record: Quote | Trade, symbolKnown?: boolean): boolean {
    // The common case first, kept small so it inlines into the decoders' loops.
    if (symbolKnown === true && (record.ts_known > this.lastKnown || (record.ts_known === this.lastKnown && record.seq > this.lastSeq))) {
      this.lastKnown = record.ts_known;
      this.lastSeq = record.seq;
      return true;
    }
    return this.acceptOrRefuse(record, symbolKnown);
  }

  private acceptOrRefuse(record: Quote | Trade, symbolKnown: boolean | undefined): boolean {
    if (record.ts_known < this.lastKnown || (record.ts_known === this.lastKnown && record.seq <= this.lastSeq)) {
      this.ctx.deadLetter(
        record,
        `out of order: (ts_known ${record.ts_known}, seq ${record.seq}) after (${this.lastKnown}, ${this.lastSeq})`,
      );
      return false;
    }
    this.lastKnown = record.ts_known;
    this.lastSeq = record.seq;
    if (!(symbolKnown ?? this.symbols.has(record.symbol))) {
      this.ctx.deadLetter(record, `unknown symbol "${record.symbol}": not in the dataset's universe`);
      return false;
    }
    return true;
  }

  /** For each entry of a dictionary, 1 when that symbol is in the universe: one set lookup per symbol, not per record. */
  known(dictionary: readonly string[]): Uint8Array {
    return Uint8Array.from(dictionary, (s) => (this.symbols.has(s) ? 1 : 0));
  }
}

export function quoteProblem(q: Quote): string | undefined {
  if (q.bid > 0 && q.ask > 0 && Number.isFinite(q.bid) && Number.isFinite(q.ask) && q.bid <= q.ask && q.bid_size >= 0 && q.ask_size >= 0)
    return undefined;
  return describeQuoteProblem(q);
}

function describeQuoteProblem(q: Quote): string | undefined {
  if (!(q.bid > 0 && q.ask > 0 && Number.isFinite(q.bid) && Number.isFinite(q.ask))) {
    return `bad price: bid ${q.bid}, ask ${q.ask} (prices must be positive finite numbers)`;
  }
  if (q.bid > q.ask) return `crossed quote: bid ${q.bid} > ask ${q.ask}`;
  if (!(q.bid_size >= 0 && q.ask_size >= 0)) return `bad size: bid_size ${q.bid_size}, ask_size ${q.ask_size}`;
  return undefined;
}

export function tradeProblem(t: Trade): string | undefined {
  if (t.price > 0 && Number.isFinite(t.price) && t.size > 0) return undefined;
  return describeTradeProblem(t);
}

function describeTradeProblem(t: Trade): string | undefined {
  if (!(t.price > 0 && Number.isFinite(t.price))) return `bad trade price ${t.price} (must be a positive finite number)`;
  if (!(t.size > 0)) return `bad trade size ${t.size} (must be positive)`;
  return undefined;
}

/**
 * The columns every dataset has. The decoders below are the replay's hot path (one call per record
 * of the whole run): they read the columns directly and take the checks inline for records in order,
 * of a known symbol and sane; any other record goes through `OrderCheck.accept` and `quoteProblem` /
 * `tradeProblem`, so refusals and their messages are those of the plain path.
 */
function common<T extends Quote | Trade>(batch: ColumnBatch<T>) {
  const c = batch.columns as ColumnBatch<Quote | Trade>['columns'];
  return {
    n: batch.length,
    ts_event: c.ts_event,
    ts_known: c.ts_known,
    seq: c.seq,
    id: c.id,
    version: c.version,
    indices: c.symbol.codes,
    dictionary: c.symbol.dictionary,
  };
}

function decodeQuotes(batch: ColumnBatch<Quote>, ctx: SourceContext, check: OrderCheck): Quote[] {
  const c = common(batch);
  const { ts_event: tsEvent, ts_known: tsKnown, seq, id, version, indices, dictionary } = c;
  const known = check.known(dictionary);
  const { bid, ask, bid_size: bidSize, ask_size: askSize } = batch.columns;
  const out: Quote[] = [];
  for (let i = 0; i < c.n; i++) {
    const k = indices[i]!;
    const q: Quote = {
      ts_event: tsEvent[i]!,
      ts_known: tsKnown[i]!,
      symbol: dictionary[k]!,
      seq: seq[i]!,
      id: id[i]!,
      version: version[i]!,
      bid: bid[i]!,
      ask: ask[i]!,
      bid_size: bidSize[i]!,
      ask_size: askSize[i]!,
    };
    if (!check.accept(q, known[k] === 1)) continue;
    const problem = quoteProblem(q);
    if (problem) ctx.deadLetter(q, problem);
    else out.push(q);
  }
  return out;
}

function decodeTrades(batch: ColumnBatch<Trade>, ctx: SourceContext, check: OrderCheck): Trade[] {
  const c = common(batch);
  const { ts_event: tsEvent, ts_known: tsKnown, seq, id, version, indices, dictionary } = c;
  const known = check.known(dictionary);
  const { price, size, aggressor } = batch.columns;
  const out: Trade[] = [];
  for (let i = 0; i < c.n; i++) {
    const k = indices[i]!;
    const t: Trade = {
      ts_event: tsEvent[i]!,
      ts_known: tsKnown[i]!,
      symbol: dictionary[k]!,
      seq: seq[i]!,
      id: id[i]!,
      version: version[i]!,
      price: price[i]!,
      size: size[i]!,
      aggressor: aggressor.dictionary[aggressor.codes[i]!]!,
    };
    if (!check.accept(t, known[k] === 1)) continue;
    const problem = tradeProblem(t);
    if (problem) ctx.deadLetter(t, problem);
    else out.push(t);
  }
  return out;
}
