/**
 * A replica's share of a source: only the records whose symbol hashes to this replica (murmur2 of the
 * symbol modulo the replica count, like Kafka's partitioner), so the replicas of a per-symbol group
 * split the universe between them and each symbol is computed exactly once.
 */
import { ColumnBatch, type EdgeBatch, type StringColumn } from '../../../lib/core/column-batch.ts';
import type { SourceReader, SourceRecord } from '../../../operators/sdk/spec.ts';
import { partitionOf } from '../../../lib/io/kafka/murmur2.ts';

export function symbolShare<T extends SourceRecord>(reader: SourceReader<T>, replica: number, replicas: number): SourceReader<T> {
  const mine = new Map<string, boolean>();
  const keep = (r: T): boolean => {
    const symbol = (r as { symbol?: unknown }).symbol;
    if (typeof symbol !== 'string') return true;
    let m = mine.get(symbol);
    if (m === undefined) mine.set(symbol, (m = partitionOf(symbol, replicas) === replica));
    return m;
  };
  /** The rows of a column batch whose symbol is this replica's: one decision per dictionary entry. */
  const keepColumns = (batch: ColumnBatch<T>): ColumnBatch<T> => {
    const symbol = (batch.columns as { symbol?: StringColumn }).symbol;
    if (!symbol?.codes) return batch;
    const flags = symbol.dictionary.map((s) => keep({ symbol: s } as unknown as T));
    const rows: number[] = [];
    for (let i = batch.start; i < batch.end; i++) if (flags[symbol.codes[i]!]) rows.push(i);
    return rows.length === batch.length ? batch : batch.pick(rows);
  };
  return {
    async next() {
      for (;;) {
        const batch = await reader.next();
        if (batch === null) return null;
        const kept: EdgeBatch<T> = batch instanceof ColumnBatch ? keepColumns(batch) : batch.filter(keep);
        if (kept.length > 0) return kept;
      }
    },
    close: () => reader.close(),
    ...(reader.holdAcknowledgements ? { holdAcknowledgements: () => reader.holdAcknowledgements?.() } : {}),
    ...(reader.outputsWritten ? { outputsWritten: () => reader.outputsWritten?.() ?? Promise.resolve() } : {}),
  };
}
