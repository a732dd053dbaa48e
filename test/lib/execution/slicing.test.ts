/** Slicing schedules, each expected value worked out by hand in the comments. */
import { describe, expect, it } from 'vitest';
import { childQty, cumulativeTargets, povTarget, sliceTimes, twapSchedule, vwapSchedule } from '../../../lib/execution/slicing.ts';

describe('slicing schedules', () => {
  it('slice times run from the start every interval while before the end, at least the start', () => {
    expect(sliceTimes(100, 160, 20)).toEqual([100, 120, 140]); // 160 is the end, not a slice
    expect(sliceTimes(100, 165, 20)).toEqual([100, 120, 140, 160]);
    expect(sliceTimes(100, 100, 20)).toEqual([100]);
  });

  it('TWAP: 1,000 in lots of 100 over 4 slices: 250, 500, 750 rounded down to lots, the last the whole', () => {
    // qty·k/4 = 250, 500, 750 → floor to 100s: 200, 500, 700; last 1000.
    expect(twapSchedule(1000, 100, 0, 40, 10)).toEqual([
      { at: 0, cumulative: 200 },
      { at: 10, cumulative: 500 },
      { at: 20, cumulative: 700 },
      { at: 30, cumulative: 1000 },
    ]);
    // Lots of 1, 1,200 over 6: steps of exactly 200.
    expect(twapSchedule(1200, 1, 0, 60, 10).map((s) => s.cumulative)).toEqual([200, 400, 600, 800, 1000, 1200]);
  });

  it('cumulative targets follow the weights; no weight at all spreads evenly', () => {
    // weights 1:3 → 1/4 and 4/4 of 100.
    expect(cumulativeTargets(100, 1, [1, 3])).toEqual([25, 100]);
    expect(cumulativeTargets(90, 1, [0, 0, 0])).toEqual([30, 60, 90]);
    // 7 in lots of 2, halves: 3.5 → 2; last 7.
    expect(cumulativeTargets(7, 2, [1, 1])).toEqual([2, 7]);
  });

  it('VWAP: each slice in proportion to the volume expected over its interval, the last to the end', () => {
    // Slices at 0, 10, 20 with end 25: intervals [0,10) [10,20) [20,25); a flat 2 shares per µs except
    // 6 in [10,20): volumes 20, 60, 10 of 90 → 600·20/90 = 133.3 → 133, 600·80/90 = 533.3 → 533, 600.
    const expected = (from: number, to: number) => {
      let v = 0;
      for (let t = from; t < to; t++) v += t >= 10 && t < 20 ? 6 : 2;
      return v;
    };
    expect(vwapSchedule(600, 1, 0, 25, 10, expected)).toEqual([
      { at: 0, cumulative: 133 },
      { at: 10, cumulative: 533 },
      { at: 20, cumulative: 600 },
    ]);
    // No volume expected: TWAP.
    expect(vwapSchedule(600, 1, 0, 30, 10, () => 0).map((s) => s.cumulative)).toEqual([200, 400, 600]);
  });

  it('POV: rate × volume seen, in lots, at most the parent', () => {
    expect(povTarget(1000, 1, 0.1, 4321)).toBe(432); // 432.1 → 432
    expect(povTarget(1000, 100, 0.1, 4321)).toBe(400);
    expect(povTarget(1000, 1, 0.5, 1e6)).toBe(1000);
    expect(povTarget(1000, 1, 0.29, 100)).toBe(29); // 0.29·100 is 28.999999999999996 in floating point: still 29
  });

  it('the child is what the target lacks after fills and working children, capped, never negative', () => {
    expect(childQty(500, 200, 100)).toBe(200);
    expect(childQty(500, 200, 100, 150)).toBe(150);
    expect(childQty(300, 200, 150)).toBe(0);
  });
});
