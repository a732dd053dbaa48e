/**
 * The shape a CrossSection must have before an operator indexes it: `values` is the symbols ×
 * features matrix (row-major) and `prices` has one entry per symbol, with no symbol or feature
 * twice. A source that takes cross-sections from outside (source.kafka) dead-letters one that is
 * not, naming the lengths, rather than hand on a snapshot that rank-gauss would fill with zeros.
 */
import type { ColumnBatch } from '../../lib/core/column-batch.ts';
import type { CrossSection } from '../../schemas/types.generated.ts';
import type { SourceContext } from './context.ts';

/** Why `cs` is not a well-formed cross-section, or undefined when it is. */
export function crossSectionProblem(cs: Pick<CrossSection, 'symbols' | 'features' | 'values' | 'prices'>): string | undefined {
  const { symbols, features, values, prices } = cs;
  if (values.length !== symbols.length * features.length)
    return `values has ${values.length} entries for ${symbols.length} symbol(s) × ${features.length} feature(s) (must be ${symbols.length * features.length})`;
  if (prices.length !== symbols.length)
    return `prices has ${prices.length} entries for ${symbols.length} symbol(s) (must be one per symbol)`;
  const twice = (names: readonly string[]) => names.find((n, i) => names.indexOf(n) !== i);
  const symbol = twice(symbols);
  if (symbol !== undefined) return `symbol "${symbol}" appears twice in symbols (each row once)`;
  const feature = twice(features);
  if (feature !== undefined) return `feature "${feature}" appears twice in features (each column once)`;
  return undefined;
}

/** The rows of `batch` that are well-formed cross-sections; the others dead-lettered with the reason. */
export function soundCrossSections<T extends CrossSection>(batch: ColumnBatch<T>, ctx: SourceContext): ColumnBatch<T> {
  return batch.where((i) => {
    const record = batch.record(i);
    const problem = crossSectionProblem(record);
    if (problem !== undefined) ctx.deadLetter(record, `malformed cross-section: ${problem}`);
    return problem === undefined;
  });
}
