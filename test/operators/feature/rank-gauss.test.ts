import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rankGauss } from '../../../operators/feature/rank-gauss.ts';
import { normalQuantile } from '../../../operators/sdk/math.ts';

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
    fc.assert(fc.property(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 2, maxLength: 50 }), (xs) => {
      const z = rankGauss(xs);
      const w = rankGauss(xs.map((x) => Math.atan(x / 1000) * 7 + 3));
      xs.forEach((x, i) => xs.forEach((y, j) => { if (x < y) expect(z[i]!).toBeLessThan(z[j]!); }));
      w.forEach((v, i) => expect(v).toBeCloseTo(z[i]!, 9));
    }));
  });

  it('normalQuantile inverts the normal CDF', () => {
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 8);
  });
});
