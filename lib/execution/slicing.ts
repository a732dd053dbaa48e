/**
 * Slicing schedules of execution algorithms: when each child goes out and how much of the parent
 * should be done after it. A schedule is a list of slices, each a time and the cumulative target (the
 * shares the parent should have filled once that slice is done), rounded down to lots except the last,
 * which is the whole parent. TWAP spreads the parent evenly over its slices; VWAP in proportion to the
 * volume expected in each slice's interval; POV follows the volume seen since arrival.
 */
import type { Micros } from '../core/time.ts';

export interface Slice {
  at: Micros;
  /** Shares the parent should have filled once this slice is done. */
  cumulative: number;
}

/**
 * Slice times from `start` every `interval` while before `end`: start, start + interval, … (at least
 * `start`, even when end ≤ start).
 */
export function sliceTimes(start: Micros, end: Micros, interval: Micros): Micros[] {
  const times = [start];
  for (let t = start + interval; t < end; t += interval) times.push(t);
  return times;
}

/**
 * Cumulative targets for `qty` shares in lots of `lot`, slice i getting `weights[i]` of the whole:
 * round-down to lots of qty × (w₀ + … + wᵢ) / Σw, the last slice the whole qty. Zero weights (or no
 * weight at all) spread it evenly.
 */
export function cumulativeTargets(qty: number, lot: number, weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const w = total > 0 ? weights : weights.map(() => 1);
  const sum = total > 0 ? total : weights.length;
  let acc = 0;
  return w.map((x, i) => {
    acc += x;
    return i === w.length - 1 ? qty : Math.floor(((qty * acc) / sum + 1e-9) / lot) * lot;
  });
}

/**
 * TWAP: equal slices every `interval` from `start` to `end`.
 *
 * @example
 * twapSchedule(1000, 100, 0, 40, 10); // at 0, 10, 20, 30: cumulative 200, 500, 700, 1000 — lots of 100 rounded down
 */
export function twapSchedule(qty: number, lot: number, start: Micros, end: Micros, interval: Micros): Slice[] {
  const times = sliceTimes(start, end, interval);
  const targets = cumulativeTargets(
    qty,
    lot,
    times.map(() => 1),
  );
  return times.map((at, i) => ({ at, cumulative: targets[i]! }));
}

/**
 * VWAP: slices every `interval` from `start` to `end`, slice i's share the volume `expected(from, to)`
 * predicts over its interval [tᵢ, tᵢ₊₁) (the last one to `end`); evenly when it predicts none.
 */
export function vwapSchedule(
  qty: number,
  lot: number,
  start: Micros,
  end: Micros,
  interval: Micros,
  expected: (from: Micros, to: Micros) => number,
): Slice[] {
  const times = sliceTimes(start, end, interval);
  const weights = times.map((at, i) => expected(at, Math.max(at, times[i + 1] ?? end)));
  const targets = cumulativeTargets(qty, lot, weights);
  return times.map((at, i) => ({ at, cumulative: targets[i]! }));
}

/**
 * POV: the cumulative target after `observed` shares have traded since arrival at participation
 * `rate`: rate × observed rounded down to lots, at most the parent.
 */
export function povTarget(qty: number, lot: number, rate: number, observed: number): number {
  return Math.min(qty, Math.floor((rate * observed + 1e-9) / lot) * lot);
}

/**
 * The child to send now: the target not yet filled nor working, at most `cap`, never negative.
 */
export function childQty(target: number, filled: number, working: number, cap: number = Infinity): number {
  return Math.max(0, Math.min(cap, target - filled - working));
}
