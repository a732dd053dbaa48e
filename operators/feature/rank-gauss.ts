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

/** Normal quantiles of the ranks of `xs` (ties share their average rank); NaN stays NaN. */
export function rankGauss(xs: readonly number[]): number[] {
  const idx = xs.map((_, i) => i).filter((i) => Number.isFinite(xs[i]!));
  idx.sort((a, b) => xs[a]! - xs[b]! || a - b);
  const out = new Array<number>(xs.length).fill(NaN);
  const n = idx.length;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && xs[idx[end]!] === xs[idx[start]!]) end++;
    const rank = (start + end - 1) / 2;
    const z = n === 1 ? 0 : normalQuantile((rank + 0.5) / n);
    for (let k = start; k < end; k++) out[idx[k]!] = z;
    start = end;
  }
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
      const transform = (cs: CrossSection): CrossSection => {
        const n = cs.symbols.length;
        const k = cs.features.length;
        const values = new Array<number>(n * k);
        const column = new Array<number>(n);
        for (let j = 0; j < k; j++) {
          for (let i = 0; i < n; i++) column[i] = cs.values[i * k + j]!;
          const z = rankGauss(column);
          for (let i = 0; i < n; i++) values[i * k + j] = p.missing === 'zero' && Number.isNaN(z[i]) ? 0 : z[i]!;
        }
        return { ...cs, values };
      };
      return handle<CrossSection>(ctx, [on(cross_section, (batch, emit) => emit(batch.map(transform)))]);
    },
});
