/**
 * feature.volatility — rolling standard deviation of one-bar log returns over several windows, and the
 * ratio of recent volatility to the symbol's long-run level (its volatility regime).
 */
import { z } from 'zod';
import { defineOperator } from '../sdk/spec.ts';
import { operate } from '../sdk/operate.ts';
import { RollingWindow } from '../sdk/math.ts';
import { perSymbolFeatures } from '../sdk/per-symbol.ts';
import { sessionIndex } from '../sdk/timers.ts';

const params = z.strictObject({
  windows: z.array(z.number().int().min(2).max(10_000)).min(1).default([15, 60]).describe('Windows, in bars.'),
  long_run_halflife: z.number().positive().default(1950).describe('Half-life, in bars, of the long-run variance the regime is measured against.'),
});

interface State { last: number; session: number; windows: RollingWindow[]; longVar: number; seen: number }

export const volatility = defineOperator({
  type: 'feature.volatility',
  summary: 'Rolling volatility of bar returns over several windows, and the volatility regime.',
  inputs: { bars: { schema: 'Bar', description: 'Bars of each symbol.' } },
  output: 'FeatureVector',
  params,
  features: (p) => [...p.windows.map((w) => `vol_${w}`), 'vol_regime'],
  create: (p, ctx) => ({ bars }) => {
    const decay = Math.pow(0.5, 1 / p.long_run_halflife);
    const shortest = Math.min(...p.windows);
    const compute = perSymbolFeatures<State>(ctx, {
      resetEachSession: false,
      init: () => ({ last: NaN, session: -1, windows: p.windows.map((w) => new RollingWindow(w)), longVar: NaN, seen: 0 }),
      update: (s, bar, out) => {
        const session = sessionIndex(ctx.calendar, bar.ts_event);
        const logClose = Math.log(bar.close);
        // The first bar of a session would measure the overnight gap: skip it.
        if (session === s.session && Number.isFinite(s.last)) {
          const r = logClose - s.last;
          for (const w of s.windows) w.push(r);
          s.longVar = Number.isNaN(s.longVar) ? r * r : decay * s.longVar + (1 - decay) * r * r;
          s.seen++;
        }
        s.last = logClose;
        s.session = session;
        for (const w of s.windows) out.push(w.full ? w.std() : NaN);
        const recent = s.windows[p.windows.indexOf(shortest)]!;
        out.push(recent.full && s.longVar > 0 ? recent.std() / Math.sqrt(s.longVar) : NaN);
      },
    });
    return operate(ctx, [{ stream: bars, onBatch: (batch, emit) => emit(compute(batch)) }]);
  },
});
