/**
 * Shared by the replay sources: decodes record batches of a stored dataset into records, and refuses
 * those that cannot be trusted (out of (ts_known, seq) order, unknown symbol, NaN or non-positive
 * prices, crossed quotes) as dead letters with their reason.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Quote, Trade } from '../../schemas/types.generated.ts';
import type { SourceContext } from './context.ts';
import type { Batch, SourceReader } from './spec.ts';
import { float64Column, int64Column, stringColumn } from './columns.ts';

type Decoder<T> = (batch: RecordBatch, ctx: SourceContext, check: OrderCheck) => T[];

export function openReplay<T extends Quote | Trade>(dataset: string, batchSize: number, ctx: SourceContext, decode: Decoder<T>): SourceReader<T> {
  const files = ctx.openDataset(dataset);
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
  accept(record: Quote | Trade): boolean {
    if (record.ts_known < this.lastKnown || (record.ts_known === this.lastKnown && record.seq <= this.lastSeq)) {
      this.ctx.deadLetter(record, `out of order: (ts_known ${record.ts_known}, seq ${record.seq}) after (${this.lastKnown}, ${this.lastSeq})`);
      return false;
    }
    this.lastKnown = record.ts_known;
    this.lastSeq = record.seq;
    if (!this.symbols.has(record.symbol)) {
      this.ctx.deadLetter(record, `unknown symbol "${record.symbol}": not in the dataset's universe`);
      return false;
    }
    return true;
  }
}

export function quoteProblem(q: Quote): string | undefined {
  if (!(q.bid > 0 && q.ask > 0 && Number.isFinite(q.bid) && Number.isFinite(q.ask))) {
    return `bad price: bid ${q.bid}, ask ${q.ask} (prices must be positive finite numbers)`;
  }
  if (q.bid > q.ask) return `crossed quote: bid ${q.bid} > ask ${q.ask}`;
  if (!(q.bid_size >= 0 && q.ask_size >= 0)) return `bad size: bid_size ${q.bid_size}, ask_size ${q.ask_size}`;
  return undefined;
}

export function tradeProblem(t: Trade): string | undefined {
  if (!(t.price > 0 && Number.isFinite(t.price))) return `bad trade price ${t.price} (must be a positive finite number)`;
  if (!(t.size > 0)) return `bad trade size ${t.size} (must be positive)`;
  return undefined;
}

function common(batch: RecordBatch) {
  const symbols = stringColumn(batch, 'symbol');
  return {
    n: batch.numRows,
    ts_event: int64Column(batch, 'ts_event'),
    ts_known: int64Column(batch, 'ts_known'),
    seq: int64Column(batch, 'seq'),
    id: int64Column(batch, 'id'),
    version: batch.getChild('version')!.toArray() as Int32Array,
    symbol: (i: number): string => symbols.dictionary[symbols.indices[i]!]!,
  };
}

export const decodeQuotes: Decoder<Quote> = (batch, ctx, check) => {
  const c = common(batch);
  const bid = float64Column(batch, 'bid');
  const ask = float64Column(batch, 'ask');
  const bidSize = float64Column(batch, 'bid_size');
  const askSize = float64Column(batch, 'ask_size');
  const out: Quote[] = [];
  for (let i = 0; i < c.n; i++) {
    const q: Quote = {
      ts_event: c.ts_event[i]!, ts_known: c.ts_known[i]!, symbol: c.symbol(i), seq: c.seq[i]!, id: c.id[i]!, version: c.version[i]!,
      bid: bid[i]!, ask: ask[i]!, bid_size: bidSize[i]!, ask_size: askSize[i]!,
    };
    if (!check.accept(q)) continue;
    const problem = quoteProblem(q);
    if (problem) ctx.deadLetter(q, problem);
    else out.push(q);
  }
  return out;
};

export const decodeTrades: Decoder<Trade> = (batch, ctx, check) => {
  const c = common(batch);
  const price = float64Column(batch, 'price');
  const size = float64Column(batch, 'size');
  const aggressor = stringColumn(batch, 'aggressor');
  const out: Trade[] = [];
  for (let i = 0; i < c.n; i++) {
    const t: Trade = {
      ts_event: c.ts_event[i]!, ts_known: c.ts_known[i]!, symbol: c.symbol(i), seq: c.seq[i]!, id: c.id[i]!, version: c.version[i]!,
      price: price[i]!, size: size[i]!, aggressor: aggressor.dictionary[aggressor.indices[i]!] as Trade['aggressor'],
    };
    if (!check.accept(t)) continue;
    const problem = tradeProblem(t);
    if (problem) ctx.deadLetter(t, problem);
    else out.push(t);
  }
  return out;
};
