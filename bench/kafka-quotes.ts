/** The Quote records bench/kafka.ts sends through an edge, shared with its writer process (bench/kafka-edge-writer.ts). */
import { performance } from 'node:perf_hooks';
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
export async function writeQuotes(
  writer: { write(records: { key: string; value: Quote }[]): Promise<void> },
  names: readonly string[],
  n: number,
  batch: number,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (let from = 0; from < n; from += batch) {
    const t = nowMicros();
    const records = new Array<{ key: string; value: Quote }>(Math.min(batch, n - from));
    for (let i = 0; i < records.length; i++) {
      const q = quote(names, from + i, t);
      records[i] = { key: q.symbol, value: q };
    }
    const sent = writer.write(records);
    inFlight.add(sent);
    void sent.then(
      () => inFlight.delete(sent),
      () => undefined,
    );
    if (inFlight.size > 4) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}
