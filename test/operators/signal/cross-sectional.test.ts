/**
 * signal.cross-sectional: each batch of predictions is one snapshot, turned into z-scores (minus the
 * snapshot's mean, over its population standard deviation) winsorised at ±clip; all zero when the
 * predictions do not vary. A non-finite prediction is a dead letter and counts in no statistic.
 *
 * Expected values come from a plain re-computation (two passes over the finite values), and from the
 * invariants of a z-score: mean 0 and standard deviation 1 when nothing is clipped.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SECOND } from '../../../lib/core/time.ts';
import { crossSectional } from '../../../operators/signal/cross-sectional.ts';
import { runOperator } from '../../../pipelines/harness/harness.ts';
import type { Prediction, Signal } from '../../../schemas/types.generated.ts';

const T0 = Date.UTC(2024, 0, 2, 15, 0) * 1000;
const prediction = (at: number, symbol: string, value: number): Prediction => ({
  ts_event: at - SECOND,
  ts_known: at,
  symbol,
  value,
  model: 'm',
});

/** z-scores of xs with the population standard deviation, clipped at ±clip. */
function zscores(xs: readonly number[], clip: number): number[] {
  const mean = xs.reduce((a, x) => a + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
  return xs.map((x) => (sd > 0 ? Math.min(clip, Math.max(-clip, (x - mean) / sd)) : 0));
}

describe('signal.cross-sectional', () => {
  it('z-scores each snapshot with the population std; non-finite predictions are dead letters outside the statistics', async () => {
    const run = await runOperator(
      crossSectional,
      {},
      {
        predictions: [
          [prediction(T0, 'A', 1), prediction(T0, 'B', 2), prediction(T0, 'C', NaN), prediction(T0, 'D', 3), prediction(T0, 'E', Infinity)],
        ],
      },
    );
    const out = run.outputs['out'] as Signal[];
    expect(out.map((s) => s.symbol)).toEqual(['A', 'B', 'D']);
    // Mean 2, population variance (1 + 0 + 1)/3: z = ∓1/√(2/3) = ∓1.2247…
    const z = 1 / Math.sqrt(2 / 3);
    out.map((s) => s.value).forEach((v, i) => expect(v).toBeCloseTo([-z, 0, z][i]!, 12));
    expect(out.every((s) => s.ts_event === T0 - SECOND && s.ts_known === T0)).toBe(true);
    expect(run.deadLetters.map((d) => d.reason)).toEqual(['non-finite prediction NaN', 'non-finite prediction Infinity']);
    expect(run.deadLetters.map((d) => JSON.parse(d.payload).symbol)).toEqual(['C', 'E']);
  });

  it('winsorises at ±clip, treats each batch as its own snapshot, and gives 0 when the predictions do not vary', async () => {
    // Fifteen zeros and a 16: mean 1, variance (15·1 + 15²)/16 = 15, so the outlier's z is 15/√15 = √15 ≈ 3.87 > 3.
    const outlier = [...Array.from({ length: 15 }, (_, i) => prediction(T0, `S${i}`, 0)), prediction(T0, 'X', 16)];
    const flat = [prediction(T0 + 60 * SECOND, 'A', 5), prediction(T0 + 60 * SECOND, 'B', 5)];
    const run = await runOperator(crossSectional, { clip: 3 }, { predictions: [outlier, flat] });
    const batches = run.batches['out']!.map((b) => (b.records as Signal[]).map((s) => s.value));
    expect(batches).toHaveLength(2);
    expect(batches[0]!.at(-1)).toBe(3);
    batches[0]!.slice(0, 15).forEach((v) => expect(v).toBeCloseTo(-1 / Math.sqrt(15), 12));
    expect(batches[1]).toEqual([0, 0]);
  });

  it('emits nothing for a snapshot with no finite prediction', async () => {
    const run = await runOperator(crossSectional, {}, { predictions: [[prediction(T0, 'A', NaN), prediction(T0, 'B', -Infinity)]] });
    expect(run.outputs['out']).toEqual([]);
    expect(run.deadLetters).toHaveLength(2);
    expect(run.metrics).toMatchObject({ in: 2 });
    expect(run.metrics['out'] ?? 0).toBe(0);
  });

  it('matches a plain z-score; unclipped, the signals have mean 0 and standard deviation 1', async () => {
    // Hundredths in ±10: no subnormal spreads, where the variance itself underflows.
    const values = fc.array(
      fc.integer({ min: -1000, max: 1000 }).map((n) => n / 100),
      { minLength: 2, maxLength: 12 },
    );
    await fc.assert(
      fc.asyncProperty(values, fc.double({ min: 0.5, max: 4, noNaN: true }), async (xs, clip) => {
        const run = await runOperator(crossSectional, { clip }, { predictions: [xs.map((x, i) => prediction(T0, `S${i}`, x))] });
        const got = (run.outputs['out'] as Signal[]).map((s) => s.value);
        const want = zscores(xs, clip);
        got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 9));
        const unclipped = zscores(xs, Infinity);
        if (unclipped.every((u) => Math.abs(u) < clip) && unclipped.some((u) => u !== 0)) {
          const mean = got.reduce((a, v) => a + v, 0) / got.length;
          expect(mean).toBeCloseTo(0, 9);
          expect(got.reduce((a, v) => a + v * v, 0) / got.length).toBeCloseTo(1, 9);
        }
      }),
      { numRuns: 25 },
    );
  });
});
