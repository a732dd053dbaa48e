/**
 * Prediction IC: at each time the model scored the universe, the Spearman rank correlation across
 * symbols between its predictions and the returns of the mid over the next h, averaged over those
 * times, for several horizons h (its decay). A forward return is counted only when the symbol was
 * still quoted later the same UTC day, so no horizon reaches across a close.
 */
import type { PredictionColumns } from './run-data.ts';
import { formatDate } from '../core/dates.ts';
import { spearman } from '../core/correlation.ts';

/** A symbol's mids in time order: ts in µs since the epoch. */
export interface MidSeries {
  ts: Float64Array;
  mid: Float64Array;
}

export interface HorizonIc {
  /** Horizon in minutes. */
  minutes: number;
  /** Mean rank IC over the cross-sections scored (NaN when none). */
  mean: number;
  /** Cross-sections with at least three symbols scored. */
  sections: number;
  /** mean / (standard deviation / √sections): how far from 0 the mean is. */
  t: number;
}

/** Horizons of the decay panel, in minutes. */
export const IC_HORIZONS = [1, 5, 15, 30, 60, 120];

/** Index of the last time ≤ t, or −1. */
function lastAtOrBefore(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (ts[m]! <= t) lo = m + 1;
    else hi = m;
  }
  return lo - 1;
}

/** The return of the mid from t to t + h, or undefined when it is not known within t's day. */
export function forwardReturn(s: MidSeries, t: number, h: number): number | undefined {
  const i0 = lastAtOrBefore(s.ts, t);
  const i1 = lastAtOrBefore(s.ts, t + h);
  if (i0 < 0 || i1 + 1 >= s.ts.length) return undefined;
  const day = formatDate(t);
  if (formatDate(s.ts[i0]!) !== day || formatDate(s.ts[i1 + 1]!) !== day) return undefined;
  return s.mid[i1]! / s.mid[i0]! - 1;
}

/** Mean rank IC of the predictions at each horizon (minutes). */
export function predictionIc(p: PredictionColumns, mids: ReadonlyMap<string, MidSeries>, horizons = IC_HORIZONS): HorizonIc[] {
  // Cross-sections: the predictions made at one time.
  const sections = new Map<number, number[]>();
  for (let i = 0; i < p.ts.length; i++) {
    const at = sections.get(p.ts[i]!);
    if (at) at.push(i);
    else sections.set(p.ts[i]!, [i]);
  }
  return horizons.map((minutes) => {
    const h = minutes * 60e6;
    const ics: number[] = [];
    for (const [t, rows] of sections) {
      const x: number[] = [];
      const y: number[] = [];
      for (const i of rows) {
        const s = mids.get(p.symbol[i]!);
        const r = s && Number.isFinite(p.value[i]!) ? forwardReturn(s, t, h) : undefined;
        if (r === undefined || !Number.isFinite(r)) continue;
        x.push(p.value[i]!);
        y.push(r);
      }
      if (x.length < 3) continue;
      const ic = spearman(x, y);
      if (Number.isFinite(ic)) ics.push(ic);
    }
    const n = ics.length;
    const mean = n ? ics.reduce((a, b) => a + b, 0) / n : Number.NaN;
    const sd = n > 1 ? Math.sqrt(ics.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : Number.NaN;
    return { minutes, mean, sections: n, t: sd > 0 ? mean / (sd / Math.sqrt(n)) : Number.NaN };
  });
}
