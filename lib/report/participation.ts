/**
 * Participation: the shares an order got filled over the shares the market printed in its symbol
 * while it worked, from its arrival to its last fill (a window of at least `minWindow`, since a market
 * order fills at once, against prints of the same minute).
 */
import type { FillColumns, OrderColumns } from './run-data.ts';

/** A symbol's prints in time order with the running total of their sizes (cum[i] = size[0] + … + size[i]). */
export interface VolumeSeries {
  ts: Float64Array;
  cum: Float64Array;
}

/** One minute, in µs: the shortest window an order's participation is measured over. */
export const MIN_WINDOW = 60e6;

/** Index of the first time ≥ t (`strict`: > t), ts.length when none. */
function firstFrom(ts: Float64Array, t: number, strict: boolean): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (ts[m]! < t || (strict && ts[m]! === t)) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** Shares printed with t0 ≤ ts ≤ t1. */
export function volumeBetween(v: VolumeSeries, t0: number, t1: number): number {
  const a = firstFrom(v.ts, t0, false);
  const b = firstFrom(v.ts, t1, true) - 1;
  if (b < a) return 0;
  return v.cum[b]! - (a > 0 ? v.cum[a - 1]! : 0);
}

export interface Participation {
  /** Filled shares over printed shares, one value per filled order with prints in its window. */
  values: number[];
  /** Filled orders whose window saw no print. */
  noPrints: number;
}

/** Participation of every filled order. */
export function participation(
  orders: OrderColumns,
  fills: FillColumns,
  volumes: ReadonlyMap<string, VolumeSeries>,
  minWindow = MIN_WINDOW,
): Participation {
  const filled = new Map<string, { qty: number; last: number }>();
  for (let i = 0; i < fills.ts.length; i++) {
    const f = filled.get(fills.orderId[i]!);
    if (f) {
      f.qty += fills.qty[i]!;
      f.last = Math.max(f.last, fills.ts[i]!);
    } else filled.set(fills.orderId[i]!, { qty: fills.qty[i]!, last: fills.ts[i]! });
  }
  const values: number[] = [];
  let noPrints = 0;
  for (let i = 0; i < orders.orderId.length; i++) {
    const f = filled.get(orders.orderId[i]!);
    const v = volumes.get(orders.symbol[i]!);
    if (!f || !v) continue;
    const start = orders.ts[i]!;
    const printed = volumeBetween(v, start, Math.max(f.last, start + minWindow));
    if (printed > 0) values.push(f.qty / printed);
    else noPrints++;
  }
  return { values, noPrints };
}
