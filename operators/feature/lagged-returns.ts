/** feature.lagged-returns — log returns of the bar close over several horizons (in bars), per symbol. */
import { z } from 'zod';
import type { Bar } from '../../schemas/types.generated.ts';
import { defineOperator } from '../sdk/spec.ts';
import { operate } from '../sdk/operate.ts';
import { RollingWindow } from '../sdk/math.ts';
import { perSymbolFeatures } from '../sdk/per-symbol.ts';

const params = z.strictObject({
  horizons: z.array(z.number().int().min(1).max(10_000)).min(1).default([1, 5, 15, 30, 60])
    .describe('Return horizons, in bars.'),
  intraday: z.boolean().default(true).describe('Start afresh each session, so no return spans the overnight gap.'),
});

export const laggedReturns = defineOperator({
  type: 'feature.lagged-returns',
  summary: 'Log returns of the bar close over several horizons, per symbol.',
  inputs: { bars: { schema: 'Bar', description: 'Bars of each symbol.' } },
  output: 'FeatureVector',
  params,
  features: (p) => p.horizons.map((h) => `ret_${h}`),
  create: (p, ctx) => ({ bars }) => {
    const longest = Math.max(...p.horizons);
    const horizons = p.horizons.slice();
    const compute = perSymbolFeatures(ctx, {
      resetEachSession: p.intraday,
      init: () => new RollingWindow(longest + 1),
      width: horizons.length,
      update: (logCloses, bar: Bar, out) => {
        const now = Math.log(bar.close);
        logCloses.push(now);
        for (let i = 0; i < horizons.length; i++) out[i] = now - logCloses.back(horizons[i]!);
      },
    });
    return operate(ctx, [{ stream: bars, onBatch: (batch, emit) => emit(compute(batch)) }]);
  },
});
