/** Reading quote column batches: what the operators that keep each symbol's last mid share. */
import type { ColumnBatch } from '../../lib/core/column-batch.ts';
import type { Quote } from '../../schemas/types.generated.ts';

/** Calls `fn` with each quote's symbol and mid, (bid + ask) / 2, in order, with no record per quote. */
export function forEachMid(batch: ColumnBatch<Quote>, fn: (symbol: string, mid: number) => void): void {
  const { symbol, bid, ask } = batch.columns;
  for (let i = batch.start; i < batch.end; i++) fn(symbol.dictionary[symbol.codes[i]!]!, (bid[i]! + ask[i]!) / 2);
}
