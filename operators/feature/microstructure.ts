/**
 * feature.microstructure — quoted spread, quote imbalance and trading activity relative to the
 * symbol's own recent norm, averaged over a window of bars.
 */
import { z } from 'zod';
import type { FeatureVector } from '../../schemas/types.generated.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import { handle, on } from '../sdk/handle.ts';
import { RollingWindow } from '../sdk/math.ts';
import { perSymbolFeatures } from '../sdk/per-symbol.ts';

const inputs = definePorts({ bars: { schema: 'Bar', description: 'Bars of each symbol.' } });

const params = z.strictObject({
  window: z.number().int().min(1).max(10_000).default(15).describe('Bars averaged for spread, imbalance and volume.'),
  norm_window: z.number().int().min(2).max(100_000).default(390).describe('Bars of the norm that volume is compared with.'),
});

interface State {
  spread: RollingWindow;
  imbalance: RollingWindow;
  volume: RollingWindow;
  volumeNorm: RollingWindow;
}

export const microstructure = defineOperator({
  type: 'feature.microstructure',
  summary: 'Spread, quote imbalance and relative volume over a window of bars.',
  inputs,
  output: 'FeatureVector',
  partitionable: true,
  params,
  features: () => ['spread_bps', 'imbalance', 'volume_ratio'],
  create:
    (p, ctx) =>
    ({ bars }) => {
      const compute = perSymbolFeatures<State>(ctx, {
        resetEachSession: false,
        init: () => ({
          spread: new RollingWindow(p.window),
          imbalance: new RollingWindow(p.window),
          volume: new RollingWindow(p.window),
          volumeNorm: new RollingWindow(p.norm_window),
        }),
        width: 3,
        update: (s, bar, out) => {
          if (Number.isFinite(bar.spread_bps)) s.spread.push(bar.spread_bps);
          if (Number.isFinite(bar.imbalance)) s.imbalance.push(bar.imbalance);
          s.volume.push(bar.volume);
          s.volumeNorm.push(bar.volume);
          const norm = s.volumeNorm.mean();
          out[0] = s.spread.mean();
          out[1] = s.imbalance.mean();
          out[2] = norm > 0 ? s.volume.mean() / norm : NaN;
        },
      });
      return handle<FeatureVector>(ctx, [on(bars, (batch, emit) => emit(compute(batch)))]);
    },
});
