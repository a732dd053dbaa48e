import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rankGauss, rankGaussOperator } from '../../../operators/feature/rank-gauss.ts';
import { normalQuantile } from '../../../operators/sdk/math.ts';
import { runOperator } from '../../../pipelines/harness/harness.ts';
import type { CrossSection } from '../../../schemas/types.generated.ts';

describe('rankGauss', () => {
  it('maps ranks to normal quantiles, symmetric around 0, ties sharing a value, NaN kept', () => {
    const z = rankGauss([3, 1, NaN, 2, 2]);
    expect(Number.isNaN(z[2])).toBe(true);
    expect(z[1]).toBeCloseTo(normalQuantile(0.5 / 4), 9);
    expect(z[0]).toBeCloseTo(-z[1]!, 9);
    expect(z[3]).toBe(z[4]);
    expect(z[3]).toBeCloseTo(0, 9);
  });

  it('is monotone and invariant to any increasing transform of the input', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 2, maxLength: 50 }), (xs) => {
        const z = rankGauss(xs);
        const w = rankGauss(xs.map((x) => Math.atan(x / 1000) * 7 + 3));
        xs.forEach((x, i) =>
          xs.forEach((y, j) => {
            if (x < y) expect(z[i]!).toBeLessThan(z[j]!);
          }),
        );
        w.forEach((v, i) => expect(v).toBeCloseTo(z[i]!, 9));
      }),
    );
  });

  it('gives the quantiles of the straightforward sort, bit for bit (ties, −0, NaN, no finite value)', () => {
    // Reference: sort the finite indices by value then index, average the ranks of each run of equal values.
    const reference = (xs: readonly number[]): number[] => {
      const idx = xs.map((_, i) => i).filter((i) => Number.isFinite(xs[i]!));
      idx.sort((a, b) => xs[a]! - xs[b]! || a - b);
      const out = xs.map(() => NaN);
      for (let start = 0; start < idx.length; ) {
        let end = start + 1;
        while (end < idx.length && xs[idx[end]!] === xs[idx[start]!]) end++;
        const z = idx.length === 1 ? 0 : normalQuantile(((start + end - 1) / 2 + 0.5) / idx.length);
        for (let k = start; k < end; k++) out[idx[k]!] = z;
        start = end;
      }
      return out;
    };
    const value = fc.oneof(fc.constantFrom(NaN, Infinity, -0, 0, 1, 2), fc.double({ noNaN: true, min: -5, max: 5 }));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 90 }), (xs) => {
        const z = rankGauss(xs);
        reference(xs).forEach((r, i) => expect(Object.is(z[i], r), `index ${i}: ${z[i]} vs ${r}`).toBe(true));
      }),
    );
    expect(rankGauss([NaN, NaN])).toEqual([NaN, NaN]);
  });

  it('normalQuantile inverts the normal CDF', () => {
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 8);
  });
});

describe('feature.rank-gauss', () => {
  const T0 = Date.UTC(2024, 0, 2, 15, 0) * 1000;
  // Three symbols, two columns: a = [5, −1, NaN], b = [2, 2, 7] (row-major).
  const cs: CrossSection = {
    ts_event: T0,
    ts_known: T0,
    symbols: ['A', 'B', 'C'],
    features: ['a', 'b'],
    values: [5, 2, -1, 2, NaN, 7],
    prices: [10, 20, 30],
  };
  // Column a: two finite values, ranks 0 and 1 of 2 → quantiles of 0.25 and 0.75.
  const qa = normalQuantile(0.75);
  // Column b: B and A tie at 2 (average rank 0.5 of 3 → quantile of 1/3), C ranks 2 (quantile of 5/6).
  const tie = normalQuantile(1 / 3);
  const top = normalQuantile(5 / 6);

  it('ranks each column across the snapshot, NaN becoming the neutral 0, and passes the rest through', async () => {
    const run = await runOperator(rankGaussOperator, {}, { cross_section: { batches: [[cs]], features: ['a', 'b'] } });
    const [out] = run.outputs['out'] as CrossSection[];
    expect({ ...out!, values: [] }).toEqual({ ...cs, values: [] });
    out!.values.forEach((v, i) => expect(v, `value ${i}`).toBeCloseTo([qa, tie, -qa, tie, 0, top][i]!, 9));
  });

  it('keeps NaN with missing: keep; a column with one finite value maps it to 0', async () => {
    const one: CrossSection = { ...cs, values: [NaN, 1, 3, NaN, NaN, NaN] };
    const run = await runOperator(
      rankGaussOperator,
      { missing: 'keep' },
      { cross_section: { batches: [[cs], [one]], features: ['a', 'b'] } },
    );
    const [first, second] = run.outputs['out'] as CrossSection[];
    expect(Number.isNaN(first!.values[4])).toBe(true);
    // Column a of the second snapshot: B alone → 0; column b: A alone → 0.
    expect(second!.values).toEqual([NaN, 0, 0, NaN, NaN, NaN]);
  });
});
