/**
 * feature.lagged-returns — log returns of the bar close over several horizons (in bars), per symbol;
 * optionally also each return in units of its expected size, `zret_h` = ret_h / (σ₁·√h), where σ₁ is
 * the root mean square of the one-bar returns over the last `scale_window` bars.
 */
import { z } from 'zod';
import { barCounts } from '../sdk/params.ts';
import type { Bar, FeatureVector } from '../../schemas/types.generated.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import { handle, on } from '../sdk/handle.ts';
import { RollingWindow } from '../sdk/math.ts';
import { perSymbolFeatures } from '../sdk/per-symbol.ts';

const inputs = definePorts({ bars: { schema: 'Bar', description: 'Bars of each symbol.' } });

const params = z.strictObject({
  horizons: barCounts(1, 10_000).default([1, 5, 15, 30, 60]).describe('Return horizons, in bars (at most 32, distinct).'),
  intraday: z.boolean().default(true).describe('Start afresh each session, so no return spans the overnight gap.'),
  scaled: z.boolean().default(false).describe('Also emit `zret_<h>`: each return over σ₁·√h (σ₁ = RMS of one-bar returns).'),
  scale_window: z.number().int().min(5).max(10_000).default(60).describe('Bars of one-bar returns behind σ₁ (`scaled` only).'),
});

/** Fewer one-bar returns than this and σ₁ is too noisy to divide by: the scaled returns are NaN. */
const MIN_SCALE_BARS = 5;

interface State {
  logCloses: RollingWindow;
  oneBar: RollingWindow;
}

export const laggedReturns = defineOperator({
  type: 'feature.lagged-returns',
  summary: 'Log returns of the bar close over several horizons, per symbol.',
  inputs,
  output: 'FeatureVector',
  partitionable: true,
  params,
  features: (p) => [...p.horizons.map((h) => `ret_${h}`), ...(p.scaled ? p.horizons.map((h) => `zret_${h}`) : [])],
  create:
    (p, ctx) =>
    ({ bars }) => {
      const longest = Math.max(...p.horizons);
      const horizons = p.horizons.slice();
      const n = horizons.length;
      const roots = horizons.map(Math.sqrt);
      const compute = p.scaled
        ? perSymbolFeatures<State>(ctx, {
            resetEachSession: p.intraday,
            init: () => ({ logCloses: new RollingWindow(longest + 1), oneBar: new RollingWindow(p.scale_window) }),
            width: 2 * n,
            update: ({ logCloses, oneBar }, bar: Bar, out) => {
              const now = Math.log(bar.close);
              if (logCloses.size > 0) oneBar.push(now - logCloses.back(0));
              logCloses.push(now);
              const sigma = oneBar.size >= MIN_SCALE_BARS ? Math.sqrt(oneBar.sumSq / oneBar.size) : NaN;
              for (let i = 0; i < n; i++) {
                const r = now - logCloses.back(horizons[i]!);
                out[i] = r;
                out[n + i] = sigma > 0 ? r / (sigma * roots[i]!) : NaN;
              }
            },
          })
        : perSymbolFeatures(ctx, {
            resetEachSession: p.intraday,
            init: () => new RollingWindow(longest + 1),
            width: n,
            update: (logCloses, bar: Bar, out) => {
              const now = Math.log(bar.close);
              logCloses.push(now);
              for (let i = 0; i < n; i++) out[i] = now - logCloses.back(horizons[i]!);
            },
          });
      return handle<FeatureVector>(ctx, [on(bars, (batch, emit) => emit(compute(batch)))]);
    },
});
