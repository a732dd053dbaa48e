/**
 * feature.bar-stats — where the price sits within its recent bars, per symbol and window of bars:
 *   range_w      log(highest high / lowest low) of the last w bars;
 *   close_loc_w  the close's position in that range, −0.5 (at the low) … +0.5 (at the high);
 *   vwap_gap_w   log(close / volume-weighted average price of the last w bars);
 *   up_share_w   the share of the last w bars that closed up, minus one half.
 */
import { z } from 'zod';
import type { Bar, FeatureVector } from '../../schemas/types.generated.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import { handle, on } from '../sdk/handle.ts';
import { RollingWindow } from '../sdk/math.ts';
import { perSymbolFeatures } from '../sdk/per-symbol.ts';

const STATS = ['range', 'close_loc', 'vwap_gap', 'up_share'] as const;

const inputs = definePorts({ bars: { schema: 'Bar', description: 'Bars of each symbol.' } });

const params = z.strictObject({
  windows: z.array(z.number().int().min(2).max(1_000)).min(1).default([10, 30, 60]).describe('Windows, in bars.'),
  intraday: z.boolean().default(true).describe('Start afresh each session, so no window spans the overnight gap.'),
});

interface State {
  highs: RollingWindow;
  lows: RollingWindow;
  closes: RollingWindow;
  notional: RollingWindow;
  volume: RollingWindow;
}

export const barStats = defineOperator({
  type: 'feature.bar-stats',
  summary: 'Range, close location, distance from VWAP and share of up bars over windows of bars.',
  inputs,
  output: 'FeatureVector',
  partitionable: true,
  params,
  features: (p) => p.windows.flatMap((w) => STATS.map((s) => `${s}_${w}`)),
  create:
    (p, ctx) =>
    ({ bars }) => {
      const windows = p.windows.slice();
      const longest = Math.max(...windows);
      /** Window indices by length, shortest first: the order one pass over the lags reaches them. */
      const order = windows.map((_, k) => k).sort((a, b) => windows[a]! - windows[b]! || a - b);
      const compute = perSymbolFeatures<State>(ctx, {
        resetEachSession: p.intraday,
        init: () => ({
          highs: new RollingWindow(longest),
          lows: new RollingWindow(longest),
          closes: new RollingWindow(longest + 1),
          notional: new RollingWindow(longest),
          volume: new RollingWindow(longest),
        }),
        width: windows.length * STATS.length,
        update: (s, bar: Bar, out) => {
          if (!(bar.close > 0)) return; // a bar without a price leaves the features NaN
          s.highs.push(bar.high > 0 ? bar.high : bar.close);
          s.lows.push(bar.low > 0 ? bar.low : bar.close);
          s.closes.push(bar.close);
          const volume = Number.isFinite(bar.volume) && bar.volume > 0 ? bar.volume : 0;
          s.notional.push(volume > 0 && bar.vwap > 0 ? bar.vwap * volume : 0);
          s.volume.push(volume);
          // One pass over the lags serves every window: each window's sums are a prefix of the same
          // newest-to-oldest sequence, so they are the very sums a pass per window would make.
          const size = s.highs.size;
          let high = -Infinity;
          let low = Infinity;
          let notional = 0;
          let traded = 0;
          let ups = 0;
          let next = 0;
          for (let lag = 0; next < order.length; lag++) {
            if (lag < size) {
              high = Math.max(high, s.highs.back(lag));
              low = Math.min(low, s.lows.back(lag));
              notional += s.notional.back(lag);
              traded += s.volume.back(lag);
              if (lag + 1 < s.closes.size && s.closes.back(lag) > s.closes.back(lag + 1)) ups++;
            }
            const have = lag + 1;
            while (next < order.length && (Math.min(windows[order[next]!]!, size) === have || size < have)) {
              const k = order[next++]!;
              const w = windows[k]!;
              const steps = Math.min(Math.min(w, size), s.closes.size - 1);
              const at = k * STATS.length;
              out[at] = Math.log(high / low);
              out[at + 1] = high > low ? (bar.close - low) / (high - low) - 0.5 : 0;
              out[at + 2] = traded > 0 ? Math.log(bar.close / (notional / traded)) : NaN;
              out[at + 3] = steps > 0 ? ups / steps - 0.5 : NaN;
            }
          }
        },
      });
      return handle<FeatureVector>(ctx, [on(bars, (batch, emit) => emit(compute(batch)))]);
    },
});
