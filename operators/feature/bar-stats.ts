/**
 * feature.bar-stats — where the price sits within its recent bars, per symbol and window of bars:
 *   range_w      log(highest high / lowest low) of the last w bars;
 *   close_loc_w  the close's position in that range, −0.5 (at the low) … +0.5 (at the high);
 *   vwap_gap_w   log(close / volume-weighted average price of the last w bars);
 *   up_share_w   the share of the last w bars that closed up, minus one half.
 */
import { z } from 'zod';
import { barCounts } from '../sdk/params.ts';
import type { Bar, FeatureVector } from '../../schemas/types.generated.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import { handle, on } from '../sdk/handle.ts';
import { perSymbolFeatures } from '../sdk/per-symbol.ts';

const STATS = ['range', 'close_loc', 'vwap_gap', 'up_share'] as const;

const inputs = definePorts({ bars: { schema: 'Bar', description: 'Bars of each symbol.' } });

const params = z.strictObject({
  windows: barCounts(2, 1_000).default([10, 30, 60]).describe('Windows, in bars (at most 32, distinct).'),
  intraday: z.boolean().default(true).describe('Start afresh each session, so no window spans the overnight gap.'),
});

/** Slots of a bar in a block: its high, low, notional, volume and up count, side by side. */
const HIGH = 0;
const LOW = 1;
const NOTIONAL = 2;
const VOLUME = 3;
const UPS = 4;
const SLOTS = 5;

/**
 * One window of w bars, in O(1) amortised per bar: the bars are cut into blocks of w, so the last w
 * bars are a tail of the previous block (whose suffix aggregates are worked out once, when it fills)
 * and the head of the current one (whose aggregates run as its bars come). Max and min are exact in
 * any order, and so are the up counts. A block keeps each bar's five values side by side (one array,
 * SLOTS apart): a push touches one place in each block, not five arrays in each.
 */
class Window {
  /** The current block's bars; when it fills, turned in place into suffix aggregates and swapped into `tail`. */
  private head: Float64Array;
  private tail: Float64Array;
  private at = 0;
  private full = false;
  /** Aggregates of the current block's bars so far. */
  private runHigh = -Infinity;
  private runLow = Infinity;
  private runNotional = 0;
  private runVolume = 0;
  private runUps = 0;
  /** The last w bars' aggregates (all the bars, while fewer). */
  high = -Infinity;
  low = Infinity;
  notional = 0;
  volume = 0;
  ups = 0;

  constructor(readonly w: number) {
    this.head = new Float64Array(w * SLOTS);
    this.tail = new Float64Array(w * SLOTS);
  }

  /** Takes in one bar, then leaves the last w bars' aggregates in `high`, `low`, `notional`, `volume`, `ups`. */
  push(high: number, low: number, notional: number, volume: number, up: number): void {
    const { head, tail, w } = this;
    const i = this.at;
    const o = i * SLOTS;
    head[o + HIGH] = high;
    head[o + LOW] = low;
    head[o + NOTIONAL] = notional;
    head[o + VOLUME] = volume;
    head[o + UPS] = up;
    const h = Math.max(this.runHigh, high);
    const l = Math.min(this.runLow, low);
    const n = this.runNotional + notional;
    const v = this.runVolume + volume;
    const u = this.runUps + up;
    const j = i + 1;
    if (this.full && j < w) {
      // Sums of non-negative terms in any order lie within (w−1)·2⁻⁵³ relative of the exact sum, as does the
      // rescan's newest-to-oldest sum: the two differ by under 2.3e-13 relative for w ≤ 1000, and are 0 together.
      const t = j * SLOTS;
      this.high = Math.max(tail[t + HIGH]!, h);
      this.low = Math.min(tail[t + LOW]!, l);
      this.notional = tail[t + NOTIONAL]! + n;
      this.volume = tail[t + VOLUME]! + v;
      this.ups = tail[t + UPS]! + u;
    } else {
      this.high = h;
      this.low = l;
      this.notional = n;
      this.volume = v;
      this.ups = u;
    }
    if (j < w) {
      this.at = j;
      this.runHigh = h;
      this.runLow = l;
      this.runNotional = n;
      this.runVolume = v;
      this.runUps = u;
      return;
    }
    for (let k = (w - 2) * SLOTS; k >= 0; k -= SLOTS) {
      const next = k + SLOTS;
      head[k + HIGH] = Math.max(head[k + HIGH]!, head[next + HIGH]!);
      head[k + LOW] = Math.min(head[k + LOW]!, head[next + LOW]!);
      head[k + NOTIONAL] = head[k + NOTIONAL]! + head[next + NOTIONAL]!;
      head[k + VOLUME] = head[k + VOLUME]! + head[next + VOLUME]!;
      head[k + UPS] = head[k + UPS]! + head[next + UPS]!;
    }
    this.head = tail;
    this.tail = head;
    this.full = true;
    this.at = 0;
    this.runHigh = -Infinity;
    this.runLow = Infinity;
    this.runNotional = 0;
    this.runVolume = 0;
    this.runUps = 0;
  }
}

interface State {
  /** Bars taken in this session (or run), and the last one's close. */
  count: number;
  close: number;
  windows: Window[];
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
      const compute = perSymbolFeatures<State>(ctx, {
        resetEachSession: p.intraday,
        init: () => ({ count: 0, close: NaN, windows: windows.map((w) => new Window(w)) }),
        width: windows.length * STATS.length,
        update: (s, bar: Bar, out) => {
          const close = bar.close;
          if (!(close > 0)) return; // a bar without a price leaves the features NaN
          const high = bar.high > 0 ? bar.high : close;
          const low = bar.low > 0 ? bar.low : close;
          const volume = Number.isFinite(bar.volume) && bar.volume > 0 ? bar.volume : 0;
          const notional = volume > 0 && bar.vwap > 0 ? bar.vwap * volume : 0;
          const up = close > s.close ? 1 : 0; // never for a session's first bar: its state's close is NaN
          const count = ++s.count;
          s.close = close;
          for (let k = 0; k < s.windows.length; k++) {
            const win = s.windows[k]!;
            win.push(high, low, notional, volume, up);
            const { high: hi, low: lo } = win;
            // The steps between the window's bars: one fewer than its bars until the session has more than w.
            const steps = Math.min(win.w, count - 1);
            const at = k * STATS.length;
            out[at] = Math.log(hi / lo);
            out[at + 1] = hi > lo ? (close - lo) / (hi - lo) - 0.5 : 0;
            out[at + 2] = win.volume > 0 ? Math.log(close / (win.notional / win.volume)) : NaN;
            out[at + 3] = steps > 0 ? win.ups / steps - 0.5 : NaN;
          }
        },
      });
      return handle<FeatureVector>(ctx, [on(bars, (batch, emit) => emit(compute(batch)))]);
    },
});
