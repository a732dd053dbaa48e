/**
 * feature.volatility — rolling standard deviation of one-bar log returns over several windows, and the
 * ratio of recent volatility to the symbol's long-run level (its volatility regime).
 */
import { z } from 'zod';
import { barCounts } from '../sdk/params.ts';
import type { FeatureVector } from '../../schemas/types.generated.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import { handle, on } from '../sdk/handle.ts';
import { RollingWindow } from '../sdk/math.ts';
import { perSymbolFeatures, sessionLookup } from '../sdk/per-symbol.ts';

const inputs = definePorts({ bars: { schema: 'Bar', description: 'Bars of each symbol.' } });

const params = z.strictObject({
  windows: barCounts(2, 10_000).default([15, 60]).describe('Windows, in bars (at most 32, distinct).'),
  long_run_halflife: z
    .number()
    .positive()
    .default(1950)
    .describe('Half-life, in bars, of the long-run variance the regime is measured against.'),
});

interface State {
  last: number;
  session: number;
  windows: RollingWindow[];
  longVar: number;
  seen: number;
}

export const volatility = defineOperator({
  type: 'feature.volatility',
  summary: 'Rolling volatility of bar returns over several windows, and the volatility regime.',
  inputs,
  output: 'FeatureVector',
  partitionable: true,
  params,
  features: (p) => [...p.windows.map((w) => `vol_${w}`), 'vol_regime'],
  create:
    (p, ctx) =>
    ({ bars }) => {
      const decay = 0.5 ** (1 / p.long_run_halflife);
      const shortest = Math.min(...p.windows);
      const windows = p.windows.slice();
      const n = windows.length;
      const recentIndex = windows.indexOf(shortest);
      const session = sessionLookup(ctx.calendar);
      const compute = perSymbolFeatures<State>(ctx, {
        resetEachSession: false,
        init: () => ({ last: NaN, session: -1, windows: windows.map((w) => new RollingWindow(w)), longVar: NaN, seen: 0 }),
        width: n + 1,
        update: (s, bar, out) => {
          const current = session(bar.ts_event);
          const logClose = Math.log(bar.close);
          const ws = s.windows;
          // The first bar of a session would measure the overnight gap: skip it.
          if (current === s.session && Number.isFinite(s.last)) {
            const r = logClose - s.last;
            for (let i = 0; i < n; i++) ws[i]!.push(r);
            s.longVar = Number.isNaN(s.longVar) ? r * r : decay * s.longVar + (1 - decay) * r * r;
            s.seen++;
          }
          s.last = logClose;
          s.session = current;
          for (let i = 0; i < n; i++) {
            const w = ws[i]!;
            out[i] = w.full ? w.std() : NaN;
          }
          const recent = ws[recentIndex]!;
          // The shortest window's std was just computed above: the same value.
          out[n] = recent.full && s.longVar > 0 ? out[recentIndex]! / Math.sqrt(s.longVar) : NaN;
        },
      });
      return handle<FeatureVector>(ctx, [on(bars, (batch, emit) => emit(compute(batch)))]);
    },
});
