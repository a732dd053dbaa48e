/**
 * A replica's share of a source: only the records whose symbol hashes to this replica (murmur2 of the
 * symbol modulo the replica count, like Kafka's partitioner), so the replicas of a per-symbol group
 * split the universe between them and each symbol is computed exactly once.
 */
import type { SourceReader, SourceRecord } from '../../../operators/sdk/spec.ts';
import { partitionOf } from '../../kafka/murmur2.ts';

export function symbolShare<T extends SourceRecord>(reader: SourceReader<T>, replica: number, replicas: number): SourceReader<T> {
  const mine = new Map<string, boolean>();
  const keep = (r: T): boolean => {
    const symbol = (r as { symbol?: unknown }).symbol;
    if (typeof symbol !== 'string') return true;
    let m = mine.get(symbol);
    if (m === undefined) mine.set(symbol, (m = partitionOf(symbol, replicas) === replica));
    return m;
  };
  return {
    async next() {
      for (;;) {
        const batch = await reader.next();
        if (batch === null) return null;
        const kept = batch.filter(keep);
        if (kept.length > 0) return kept;
      }
    },
    close: () => reader.close(),
  };
}
