/**
 * signal.cross-sectional — turns the predictions of one snapshot into a cross-sectional alpha:
 * demeaned, scaled to unit standard deviation and winsorised. Non-finite predictions become dead letters.
 */
import { z } from 'zod';
import type { Signal } from '../../schemas/types.generated.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import { handle, on } from '../sdk/handle.ts';

const inputs = definePorts({ predictions: { schema: 'Prediction', description: 'Forecasts of one snapshot (one batch per snapshot).' } });

const params = z.strictObject({
  clip: z.number().positive().default(3).describe('Winsorise the z-scores at ± this value.'),
});

export const crossSectional = defineOperator({
  type: 'signal.cross-sectional',
  summary: 'Cross-sectional z-score of predictions, winsorised.',
  inputs,
  output: 'Signal',
  params,
  create:
    (p, ctx) =>
    ({ predictions }) =>
      handle<Signal>(ctx, [
        on(predictions, (batch, emit) => {
          const good = batch.filter((pr) => {
            if (Number.isFinite(pr.value)) return true;
            ctx.deadLetter(pr, `non-finite prediction ${pr.value}`);
            return false;
          });
          if (good.length === 0) return;
          const mean = good.reduce((a, pr) => a + pr.value, 0) / good.length;
          const std = Math.sqrt(good.reduce((a, pr) => a + (pr.value - mean) ** 2, 0) / good.length);
          emit(
            good.map((pr) => ({
              ts_event: pr.ts_event,
              ts_known: pr.ts_known,
              symbol: pr.symbol,
              value: std > 0 ? Math.max(-p.clip, Math.min(p.clip, (pr.value - mean) / std)) : 0,
            })),
          );
        }),
      ]),
});
