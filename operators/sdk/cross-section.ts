/**
 * The shape a CrossSection must have before an operator indexes it: `values` is the symbols ×
 * features matrix (row-major) and `prices` has one entry per symbol, with no symbol or feature
 * twice. A source that takes cross-sections from outside (source.kafka) dead-letters one that is
 * not, naming the lengths, rather than hand on a snapshot that rank-gauss would fill with zeros;
 * and one whose features are not the ones it declared to the graph (what sink.parquet and a model
 * were checked against at validation), naming both lists. A FeatureVector from outside must have
 * one value per declared feature.
 */
import type { ColumnBatch } from '../../lib/core/column-batch.ts';
import type { CrossSection, FeatureVector } from '../../schemas/types.generated.ts';
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

/** Names for a message: the first `most`, then how many there are in all. */
export function namesText(names: readonly string[], most = 12): string {
  const shown = names.slice(0, most).join(', ');
  return names.length > most ? `[${shown}, … (${names.length} in all)]` : `[${shown}]`;
}

/** Why `features` are not `declared` (same names, same order), or undefined when they are. */
export function featuresProblem(features: readonly string[], declared: readonly string[]): string | undefined {
  if (features.length === declared.length && features.every((f, j) => f === declared[j])) return undefined;
  const j = features.findIndex((f, k) => f !== declared[k]);
  const at = j >= 0 && j < declared.length ? j : Math.min(features.length, declared.length);
  const first =
    at < features.length && at < declared.length
      ? `column ${at + 1} is "${features[at]}" where "${declared[at]}" is declared`
      : `${features.length} feature(s) where ${declared.length} are declared`;
  return `features ${namesText(features)} differ from the declared ${namesText(declared)} (${first})`;
}

/**
 * The rows of `batch` that are well-formed cross-sections with the `declared` features (when given);
 * the others dead-lettered with the reason.
 */
export function soundCrossSections<T extends CrossSection>(
  batch: ColumnBatch<T>,
  ctx: SourceContext,
  declared?: readonly string[],
): ColumnBatch<T> {
  return batch.where((i) => {
    const record = batch.record(i);
    const malformed = crossSectionProblem(record);
    const other = malformed === undefined && declared ? featuresProblem(record.features, declared) : undefined;
    const problem = malformed !== undefined ? `malformed cross-section: ${malformed}` : other && `cross-section ${other}`;
    if (problem !== undefined) ctx.deadLetter(record, problem);
    return problem === undefined;
  });
}

/** The rows of `batch` with one value per `declared` feature; the others dead-lettered with the counts. */
export function soundFeatureVectors<T extends FeatureVector>(
  batch: ColumnBatch<T>,
  ctx: SourceContext,
  declared: readonly string[],
): ColumnBatch<T> {
  return batch.where((i) => {
    const count = (batch.value('values', i) as readonly number[]).length;
    if (count === declared.length) return true;
    ctx.deadLetter(
      batch.record(i),
      `feature vector has ${count} value(s) for the ${declared.length} declared features ${namesText(declared)}`,
    );
    return false;
  });
}
