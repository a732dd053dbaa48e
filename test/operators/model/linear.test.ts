/**
 * model.linear: each symbol's prediction is Σ weight × feature over the named features, computed here
 * by hand; a NaN in a weighted feature drops the symbol (counted), an unweighted NaN does not; a
 * cross-section without a weighted feature is a dead letter.
 */
import { describe, expect, it } from 'vitest';
import { linear } from '../../../operators/model/linear.ts';
import { runOperator } from '../../../pipelines/harness/harness.ts';
import type { CrossSection, Prediction } from '../../../schemas/types.generated.ts';
import { T0 } from '../../helpers/records.ts';

const cs = (features: string[], symbols: string[], values: number[]): CrossSection => ({
  ts_event: T0,
  ts_known: T0,
  symbols,
  features,
  values,
  prices: symbols.map(() => 1),
});

describe('model.linear', () => {
  it('scores each symbol with the fixed weights', async () => {
    const run = await runOperator(
      linear,
      { weights: { ret_250: 1, ret_20: -0.5 } },
      { cross_section: [[cs(['ret_20', 'vol', 'ret_250'], ['A', 'B', 'C'], [0.1, NaN, 0.3, -0.2, 1, 0.4, NaN, 1, 0.2])]] },
    );
    // A: 0.3 − 0.5·0.1 = 0.25; B: 0.4 − 0.5·(−0.2) = 0.5; C: ret_20 is NaN, no prediction.
    const out = run.outputs['out'] as Prediction[];
    expect(out.map((p) => p.symbol)).toEqual(['A', 'B']);
    expect(out[0]!.value).toBeCloseTo(0.25, 15);
    expect(out[1]!.value).toBeCloseTo(0.5, 15);
    expect(run.metrics['missing']).toBe(1);
  });

  it('refuses a cross-section that lacks a weighted feature', async () => {
    const run = await runOperator(linear, { weights: { ret_5: 1 } }, { cross_section: [[cs(['ret_20'], ['A'], [0.1])]] });
    expect(run.outputs['out']).toEqual([]);
    expect(run.deadLetters.map((d) => d.reason)).toEqual(['no feature ret_5 in the cross-section (it has ret_20)']);
  });
});
