import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { proportionalWeights } from '../../../lib/portfolio/proportional-weights.ts';

describe('proportionalWeights', () => {
  it('is dollar neutral, within the cap, and at the gross target unless a cap binds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 2, maxLength: 60 }),
        fc.double({ min: 0.1, max: 2, noNaN: true }),
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        (alpha, gross, cap) => {
          const w = proportionalWeights(alpha, gross, cap);
          const sum = w.reduce((a, b) => a + b, 0);
          const abs = w.reduce((a, b) => a + Math.abs(b), 0);
          expect(Math.abs(sum)).toBeLessThan(1e-9);
          for (const x of w) expect(Math.abs(x)).toBeLessThanOrEqual(cap + 1e-12);
          expect(abs).toBeLessThanOrEqual(gross + 1e-9);
          // When no weight is held back by its cap, the whole gross is used.
          const spread = Math.max(...alpha) - Math.min(...alpha);
          if (spread > 1e-6 * Math.max(...alpha.map(Math.abs)) && w.every((x) => Math.abs(x) < cap - 1e-9))
            expect(abs).toBeCloseTo(gross, 6);
        },
      ),
    );
  });

  it('ranks like the alpha: a higher alpha never gets a lower weight', () => {
    const alpha = [0.3, -1.2, 2.0, 0.1, -0.4, 1.1];
    const w = proportionalWeights(alpha, 1, 0.3);
    for (let i = 0; i < alpha.length; i++)
      for (let j = 0; j < alpha.length; j++) {
        if (alpha[i]! > alpha[j]!) expect(w[i]!).toBeGreaterThanOrEqual(w[j]!);
      }
    expect(proportionalWeights([1, 1, 1], 1, 0.5)).toEqual([0, 0, 0]);
  });
});
