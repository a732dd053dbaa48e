/**
 * feature.rank-gauss — cross-sectional Rank-Gauss normalisation: each column's values are ranked
 * across the symbols of the snapshot and mapped to standard normal quantiles, so every feature has
 * the same scale and outliers lose their leverage. Missing values become the neutral 0.
 */
import { z } from 'zod';
import type { CrossSection } from '../../schemas/types.generated.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import { handle, on } from '../sdk/handle.ts';
import { normalQuantile } from '../sdk/math.ts';

const inputs = definePorts({ cross_section: { schema: 'CrossSection', description: 'The universe snapshot.' } });

const params = z.strictObject({
  missing: z.enum(['zero', 'keep']).default('zero').describe('What a NaN becomes: 0 (the median) or stays NaN.'),
});

/**
 * Rank-Gauss of strided columns, reusing its scratch arrays: the ranks are ordered by value, then
 * by position (a total order, so any sort gives the same permutation), and the quantile of each
 * (possibly averaged) rank is computed once per column length and then read from a table.
 */
export class RankGaussColumns {
  #values = new Float64Array(0);
  #order = new Int32Array(0);
  /** By n: the quantile of rank m/2 at index m (m = 0 … 2n − 2), as normalQuantile((m/2 + 0.5) / n). */
  readonly #quantiles = new Map<number, Float64Array>();

  /**
   * Writes the quantiles of `rows` values read at `src[from + i·stride]` to `out[to + i·outStride]`;
   * a non-finite value gives `missing`.
   */
  column(
    src: ArrayLike<number>,
    from: number,
    stride: number,
    rows: number,
    out: number[],
    to: number,
    outStride: number,
    missing: number,
  ): void {
    if (this.#values.length < rows) {
      this.#values = new Float64Array(rows);
      this.#order = new Int32Array(rows);
    }
    const values = this.#values;
    const order = this.#order;
    let n = 0;
    for (let i = 0; i < rows; i++) {
      const x = src[from + i * stride]!;
      values[i] = x;
      out[to + i * outStride] = missing;
      if (Number.isFinite(x)) order[n++] = i;
    }
    sortByValue(order, n, values);
    const table = n > 1 ? this.#table(n) : undefined;
    for (let start = 0; start < n; ) {
      const first = values[order[start]!]!;
      let end = start + 1;
      while (end < n && values[order[end]!] === first) end++;
      const z = table === undefined ? 0 : table[start + end - 1]!;
      for (let k = start; k < end; k++) out[to + order[k]! * outStride] = z;
      start = end;
    }
  }

  #table(n: number): Float64Array {
    let t = this.#quantiles.get(n);
    if (t === undefined) {
      t = new Float64Array(2 * n - 1);
      // rank = (start + end − 1) / 2 with m = start + end − 1: the same division as before the table.
      for (let m = 0; m < t.length; m++) t[m] = normalQuantile((m / 2 + 0.5) / n);
      this.#quantiles.set(n, t);
    }
    return t;
  }
}

/** Sorts `order[0 … n)` by `values[order[i]]`, then by index: insertion sort for the small universes of a snapshot. */
function sortByValue(order: Int32Array, n: number, values: Float64Array): void {
  if (n > 64) {
    const sorted = Array.from(order.subarray(0, n)).sort((a, b) => values[a]! - values[b]! || a - b);
    order.set(sorted);
    return;
  }
  for (let i = 1; i < n; i++) {
    const a = order[i]!;
    const x = values[a]!;
    let j = i - 1;
    // Indices enter in increasing order, so a tie (x === values[order[j]], 0 and −0 alike) stays behind.
    while (j >= 0 && values[order[j]!]! > x) {
      order[j + 1] = order[j]!;
      j--;
    }
    order[j + 1] = a;
  }
}

/** Normal quantiles of the ranks of `xs` (ties share their average rank); NaN stays NaN. */
export function rankGauss(xs: readonly number[]): number[] {
  const out = new Array<number>(xs.length);
  new RankGaussColumns().column(xs, 0, 1, xs.length, out, 0, 1, NaN);
  return out;
}

export const rankGaussOperator = defineOperator({
  type: 'feature.rank-gauss',
  summary: 'Cross-sectional Rank-Gauss normalisation of every column of a snapshot.',
  inputs,
  output: 'CrossSection',
  params,
  create:
    (p, ctx) =>
    ({ cross_section }) => {
      const columns = new RankGaussColumns();
      const missing = p.missing === 'zero' ? 0 : NaN;
      const transform = (cs: CrossSection): CrossSection => {
        const n = cs.symbols.length;
        const k = cs.features.length;
        const values = new Array<number>(n * k);
        for (let j = 0; j < k; j++) columns.column(cs.values, j, k, n, values, j, k, missing);
        return { ...cs, values };
      };
      return handle<CrossSection>(ctx, [on(cross_section, (batch, emit) => emit(batch.map(transform)))]);
    },
});
