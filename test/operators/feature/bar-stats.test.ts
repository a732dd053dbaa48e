/**
 * feature.bar-stats, per symbol and window w of bars: range_w = ln(highest high / lowest low),
 * close_loc_w = where the close sits in that range (−0.5 … +0.5; 0 for a flat range), vwap_gap_w =
 * ln(close / VWAP of the window; NaN without volume), up_share_w = share of the window's bars that
 * closed above the bar before them, minus ½ (NaN with no step yet). Fewer than w bars: the bars there
 * are. A bar without a positive close leaves its features NaN and enters no window. With `intraday`,
 * each session starts afresh.
 *
 * Expected values are worked out by hand from the bars fed (arithmetic in the comments).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { barStats } from '../../../operators/feature/bar-stats.ts';
import { runOperator } from '../../../pipelines/harness/harness.ts';
import type { Bar, FeatureVector } from '../../../schemas/types.generated.ts';
import { expectNear } from '../../helpers/expect-near.ts';
import { minuteBar, session as day } from '../../helpers/records.ts';

/** Bar i of day d: [high, low, close, volume, vwap]. */
type Hlcvw = [number, number, number, number, number];
const bar = (i: number, [high, low, close, volume, vwap]: Hlcvw, d = 0): Bar =>
  minuteBar('A', i, close, d, { high, low, volume, vwap, trades: 1 });
const feed = (bars: Hlcvw[], d = 0) => bars.map((b, i) => [bar(i, b, d)]);

const values = (out: unknown[]) => (out as FeatureVector[]).map((v) => v.values);

describe('feature.bar-stats', () => {
  it('names range, close_loc, vwap_gap and up_share per window', () => {
    expect(barStats.features!({ windows: [2, 5], intraday: true }, [])).toEqual([
      'range_2',
      'close_loc_2',
      'vwap_gap_2',
      'up_share_2',
      'range_5',
      'close_loc_5',
      'vwap_gap_5',
      'up_share_5',
    ]);
  });

  it('computes each statistic over the last w bars, or the bars there are', async () => {
    const bars: Hlcvw[] = [
      [101, 99, 100, 100, 100.5],
      [103, 97, 102, 0, 102], // no volume
      [102.5, 98, 99, 200, 99.5],
      [104, 99.5, 103, 100, 103.2],
    ];
    const run = await runOperator(barStats, { windows: [2, 3] }, { bars: feed(bars) }, { sessions: [day(0)] });
    const [b0, b1, , b3] = values(run.outputs['out']!);
    // Bar 0 alone: range 101/99, close 100 in the middle; VWAP 100.5; no step yet.
    expectNear(b0!.slice(0, 4), [Math.log(101 / 99), 0, Math.log(100 / 100.5), NaN]);
    // Bar 1, w = 2 (bars 0-1): high 103, low 97, close 102 → 5/6 − ½; VWAP 100.5 (bar 1 traded nothing); one step, up.
    expectNear(b1!.slice(0, 4), [Math.log(103 / 97), 5 / 6 - 0.5, Math.log(102 / 100.5), 0.5]);
    // Bar 3, w = 2 (bars 2-3): high 104, low 98 → (103 − 98)/6 − ½; VWAP (200·99.5 + 100·103.2)/300;
    // steps 99 < 102 down, 103 > 99 up → ½ − ½.
    const vwap23 = (200 * 99.5 + 100 * 103.2) / 300;
    expectNear(b3!.slice(0, 4), [Math.log(104 / 98), 5 / 6 - 0.5, Math.log(103 / vwap23), 0]);
    // w = 3 (bars 1-3): low 97 → (103 − 97)/7 − ½; bar 1's zero volume changes no VWAP; up, down, up → 2/3 − ½.
    expectNear(b3!.slice(4, 8), [Math.log(104 / 97), 6 / 7 - 0.5, Math.log(103 / vwap23), 2 / 3 - 0.5]);
  });

  it('is flat-safe and leaves out bars without a price', async () => {
    const bars: Hlcvw[] = [
      [10, 10, 10, 0, 10], // flat, no volume
      [NaN, NaN, NaN, 5, NaN], // no price
      [0, 0, 11, 50, 11.1], // no high/low: the close stands for them
    ];
    const run = await runOperator(barStats, { windows: [2] }, { bars: feed(bars) }, { sessions: [day(0)] });
    const [b0, b1, b2] = values(run.outputs['out']!);
    expectNear(b0!, [0, 0, NaN, NaN]);
    expectNear(b1!, [NaN, NaN, NaN, NaN]);
    // Bar 2 follows bar 0 in the window: high 11, low 10, close 11 → +½; VWAP 11.1 (bar 1's volume not counted); up.
    expectNear(b2!, [Math.log(11 / 10), 0.5, Math.log(11 / 11.1), 0.5]);
  });

  it('starts afresh each session when intraday, and spans the night when not', async () => {
    const day0: Hlcvw[] = [
      [101, 99, 100, 10, 100],
      [103, 101, 102, 10, 102],
    ];
    const day1: Hlcvw[] = [[98, 96, 97, 10, 97]];
    const bars = [...feed(day0, 0), ...feed(day1, 1)];
    const fresh = values((await runOperator(barStats, { windows: [3] }, { bars }, { sessions: [day(0), day(1)] })).outputs['out']!);
    // Day 1's first bar alone: close 97 in 96…98 → 1/2 − ½; VWAP its own 97; no step.
    expectNear(fresh[2]!, [Math.log(98 / 96), 1 / 2 - 0.5, Math.log(97 / 97), NaN]);
    const spanning = values(
      (await runOperator(barStats, { windows: [3], intraday: false }, { bars }, { sessions: [day(0), day(1)] })).outputs['out']!,
    );
    // All three bars: high 103, low 96, close 97 → 1/7 − ½; VWAP (100 + 102 + 97)/3; up then down → ½ − ½.
    expectNear(spanning[2]!, [Math.log(103 / 96), 1 / 7 - 0.5, Math.log(97 / ((100 + 102 + 97) / 3)), 0]);
  });
});

describe('feature.bar-stats computes every window in one pass', () => {
  /** The definition, window by window: the newest-to-oldest sums a separate pass per window makes. */
  function reference(bars: Hlcvw[], windows: number[]): number[][] {
    return bars.map((_, t) =>
      windows.flatMap((w) => {
        const have = Math.min(w, t + 1);
        let high = -Infinity;
        let low = Infinity;
        let notional = 0;
        let volume = 0;
        let ups = 0;
        for (let lag = 0; lag < have; lag++) {
          const [h, l, , v, p] = bars[t - lag]!;
          high = Math.max(high, h);
          low = Math.min(low, l);
          notional += v * p;
          volume += v;
          if (t - lag - 1 >= 0 && bars[t - lag]![2] > bars[t - lag - 1]![2]) ups++;
        }
        const close = bars[t]![2];
        const steps = Math.min(have, t);
        return [
          Math.log(high / low),
          high > low ? (close - low) / (high - low) - 0.5 : 0,
          volume > 0 ? Math.log(close / (notional / volume)) : NaN,
          steps > 0 ? ups / steps - 0.5 : NaN,
        ];
      }),
    );
  }

  it('gives, bit for bit, what a pass per window gives, for windows in any order and repeated', async () => {
    const price = fc.double({ min: 50, max: 150, noNaN: true });
    const barArb = fc.tuple(price, price, price, fc.integer({ min: 1, max: 1000 }), price).map(([a, b, c, v, p]): Hlcvw => {
      const high = Math.max(a, b, c);
      const low = Math.min(a, b, c);
      return [high, low, c, v, p];
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(barArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 2, max: 12 }), { minLength: 1, maxLength: 5 }),
        async (bars, windows) => {
          const run = await runOperator(barStats, { windows, intraday: false }, { bars: feed(bars) }, { sessions: [day()] });
          expect(values(run.outputs['out']!)).toEqual(reference(bars, windows));
        },
      ),
      { numRuns: 60, interruptAfterTimeLimit: 8_000 },
    );
  });
});
