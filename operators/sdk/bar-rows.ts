/**
 * The rows of a batch of bars that an operator can use: prices (open, high, low, close) within
 * lib/core/prices.ts's range with low ≤ high, a volume finite and ≥ 0, a symbol the run knows (OrderCheck's rule,
 * with its `outside_universe: skip`). A source that takes bars from outside (source.kafka: the hybrid
 * graph's colo → cloud edge) dead-letters the others with the reason: downstream, a bar with a NaN
 * close dropped its symbol from the targets without a word.
 */
import type { ColumnBatch } from '../../lib/core/column-batch.ts';
import { isPrice, PRICE_RULE } from '../../lib/core/prices.ts';
import type { Bar } from '../../schemas/types.generated.ts';
import type { OrderCheck, RowCheckContext } from './replay.ts';

/** Why a bar's values cannot be used, or undefined. */
export function barProblem(b: Pick<Bar, 'open' | 'high' | 'low' | 'close' | 'volume'>): string | undefined {
  const prices = [b.open, b.high, b.low, b.close];
  if (!prices.every(isPrice)) return `bad bar price: open ${b.open}, high ${b.high}, low ${b.low}, close ${b.close} (${PRICE_RULE})`;
  if (b.low > b.high) return `bad bar: low ${b.low} > high ${b.high}`;
  if (!(b.volume >= 0 && Number.isFinite(b.volume))) return `bad bar volume ${b.volume} (must be a finite number >= 0)`;
  return undefined;
}

/** The bars of `batch` that pass; the others dead-lettered (or, outside the universe with skip, counted). */
export function soundBars(batch: ColumnBatch<Bar>, ctx: RowCheckContext, check: OrderCheck): ColumnBatch<Bar> {
  const { dictionary, codes } = batch.columns.symbol;
  const known = check.known(dictionary);
  let outside = 0;
  const kept = batch.where((i) => {
    const inUniverse = known[codes[i]!] === 1;
    if (!inUniverse && check.skipsOutsideUniverse) {
      outside++;
      return false;
    }
    const record = batch.record(i);
    const why = check.symbolProblem(record.symbol, inUniverse) ?? barProblem(record);
    if (why !== undefined) ctx.deadLetter(record, why);
    return why === undefined;
  });
  if (outside > 0) ctx.metrics.counter('outside_universe').inc(outside);
  return kept;
}
