/** The Quote records bench/kafka.ts sends through an edge, shared with its writer process (bench/kafka-edge-writer.ts). */
import { performance } from 'node:perf_hooks';
import { ColumnBatch } from '../lib/core/column-batch.ts';
import type { Quote } from '../schemas/types.generated.ts';

/** Wall-clock µs since the epoch, comparable between the bench's processes on one machine. */
export const nowMicros = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

export const symbolNames = (symbols: number): string[] => Array.from({ length: symbols }, (_, i) => `SYM${String(i).padStart(4, '0')}`);

/** The i-th quote of `names`; `ts_known` is the wall-clock send time in µs (the latency stamp). */
export function quote(names: readonly string[], i: number, sendMicros: number): Quote {
  const mid = 100 + (i % 997) * 0.01;
  return {
    ts_event: sendMicros - 50,
    ts_known: sendMicros,
    symbol: names[i % names.length]!,
    seq: i,
    id: i,
    version: 1,
    bid: mid - 0.01,
    ask: mid + 0.01,
    bid_size: 100 + (i % 7) * 100,
    ask_size: 200 + (i % 5) * 100,
  };
}

/**
 * Writes quotes 0 … n-1 in batches of `batch`, as sink.kafka writes: up to four sends awaiting the
 * broker's acknowledgement while the next batch is built (the producer sends those made during a
 * round trip together in the next one). Resolves when every record is acknowledged.
 */
export function writeQuotes(
  writer: { write(records: { key: string; value: Quote }[]): Promise<void> },
  names: readonly string[],
  n: number,
  batch: number,
): Promise<void> {
  return inBatches(n, batch, (from, count) => {
    const t = nowMicros();
    const records = new Array<{ key: string; value: Quote }>(count);
    for (let i = 0; i < count; i++) {
      const q = quote(names, from + i, t);
      records[i] = { key: q.symbol, value: q };
    }
    return writer.write(records);
  });
}

/** Sends `send(from, count)` for each batch of 0 … n-1, keeping up to four unacknowledged while the next is built. */
async function inBatches(n: number, batch: number, send: (from: number, count: number) => Promise<void>): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (let from = 0; from < n; from += batch) {
    const sent = send(from, Math.min(batch, n - from));
    inFlight.add(sent);
    void sent.then(
      () => inFlight.delete(sent),
      () => undefined,
    );
    if (inFlight.size > 4) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}

/** Quotes `from` … `from + n − 1` as a column batch (what sink.kafka gets from a graph): the same values as {@link quote}. */
export function quoteColumns(names: readonly string[], from: number, n: number, sendMicros: number): ColumnBatch<Quote> {
  const ts_event = new Float64Array(n).fill(sendMicros - 50);
  const ts_known = new Float64Array(n).fill(sendMicros);
  const codes = new Int32Array(n);
  const seq = new Float64Array(n);
  const id = new Float64Array(n);
  const version = new Float64Array(n).fill(1);
  const bid = new Float64Array(n);
  const ask = new Float64Array(n);
  const bid_size = new Float64Array(n);
  const ask_size = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = from + k;
    const mid = 100 + (i % 997) * 0.01;
    codes[k] = i % names.length;
    seq[k] = i;
    id[k] = i;
    bid[k] = mid - 0.01;
    ask[k] = mid + 0.01;
    bid_size[k] = 100 + (i % 7) * 100;
    ask_size[k] = 200 + (i % 5) * 100;
  }
  return ColumnBatch.of<Quote>(n, {
    ts_event,
    ts_known,
    symbol: { codes, dictionary: names },
    seq,
    id,
    version,
    bid,
    ask,
    bid_size,
    ask_size,
  });
}

/** {@link writeQuotes} from column batches, through `writeColumns` (as sink.kafka writes). */
export function writeQuoteColumns(
  writer: { writeColumns(batch: ColumnBatch<Quote>, key: 'symbol'): Promise<void> },
  names: readonly string[],
  n: number,
  batch: number,
): Promise<void> {
  return inBatches(n, batch, (from, count) => writer.writeColumns(quoteColumns(names, from, count, nowMicros()), 'symbol'));
}
