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

describe('feature.bar-stats, updated bar by bar, matches a rescan of every window', () => {
  /** A bar of symbol A or B, at minute i of day d. */
  interface Fed {
    symbol: 'A' | 'B';
    d: number;
    bar: Hlcvw;
  }

  /**
   * The definition, rescanned at every bar: per symbol (and session, when intraday), the priced bars so
   * far; for each window, the last w of them summed newest to oldest; the steps are those between them.
   */
  function reference(fed: Fed[], windows: number[], intraday: boolean): number[][] {
    const history = new Map<string, Hlcvw[]>();
    return fed.map(({ symbol, d, bar: [h, l, c, v, p] }) => {
      const key = intraday ? `${symbol}/${d}` : symbol;
      if (!(c > 0)) return windows.flatMap(() => [NaN, NaN, NaN, NaN]);
      const priced = history.get(key) ?? [];
      history.set(key, priced);
      const volume = Number.isFinite(v) && v > 0 ? v : 0;
      priced.push([h > 0 ? h : c, l > 0 ? l : c, c, volume, volume > 0 && p > 0 ? p * volume : 0]);
      const t = priced.length - 1;
      return windows.flatMap((w) => {
        const have = Math.min(w, t + 1);
        let [high, low, notional, traded, ups] = [-Infinity, Infinity, 0, 0, 0];
        for (let lag = 0; lag < have; lag++) {
          const [bh, bl, bc, bv, bn] = priced[t - lag]!;
          high = Math.max(high, bh);
          low = Math.min(low, bl);
          notional += bn;
          traded += bv;
          if (t - lag >= 1 && bc > priced[t - lag - 1]![2]) ups++;
        }
        const steps = Math.min(have, t);
        return [
          Math.log(high / low),
          high > low ? (c - low) / (high - low) - 0.5 : 0,
          traded > 0 ? Math.log(c / (notional / traded)) : NaN,
          steps > 0 ? ups / steps - 0.5 : NaN,
        ];
      });
    });
  }

  /**
   * Range, close location and up share exactly (max, min and counts are exact in any order); the VWAP
   * gap within 1e-12, i.e. the VWAP within 1e-12 relative (a gap near 0 has no useful relative error).
   */
  function expectMatch(actual: number[][], expected: number[][]): void {
    expect(actual).toHaveLength(expected.length);
    actual.forEach((row, i) => {
      expect(row).toHaveLength(expected[i]!.length);
      row.forEach((x, j) => {
        const y = expected[i]![j]!;
        const where = `bar ${i}, column ${j}: ${x} vs ${y}`;
        if (j % 4 !== 2 || Number.isNaN(y) || !Number.isFinite(y)) expect(Object.is(x, y), where).toBe(true);
        else expect(Math.abs(x - y), where).toBeLessThanOrEqual(1e-12);
      });
    });
  }

  const price = fc.oneof(
    { weight: 8, arbitrary: fc.double({ min: 50, max: 150, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(0, -1, NaN) },
  );
  const volume = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 1000 }) },
    { weight: 2, arbitrary: fc.double({ min: 0, max: 1e9, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(0, NaN, -5) },
  );
  const fedArb = fc
    .tuple(fc.constantFrom<'A' | 'B'>('A', 'B'), price, price, price, volume, price)
    .map(([symbol, a, b, c, v, p]): Omit<Fed, 'd'> => {
      // High and low bracket the close when all three are prices; else they stand as drawn (missing or not).
      const high = a > 0 && b > 0 && c > 0 ? Math.max(a, b, c) : a;
      const low = a > 0 && b > 0 && c > 0 ? Math.min(a, b, c) : b;
      return { symbol, bar: [high, low, c, v, p] };
    });

  it('for random bars, sessions, missing prices and windows in any order (distinct, as params require)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fedArb, { maxLength: 40 }), { minLength: 1, maxLength: 3 }),
        fc.uniqueArray(fc.integer({ min: 2, max: 12 }), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        async (days, windows, intraday) => {
          const fed = days.flatMap((bars, d) => bars.map((b): Fed => ({ ...b, d })));
          const batches = fed.map(({ symbol, d, bar: [high, low, close, volume, vwap] }, i) => [
            minuteBar(symbol, i, close, d, { high, low, volume, vwap, trades: 1 }),
          ]);
          const sessions = days.map((_, d) => day(d));
          const run = await runOperator(barStats, { windows, intraday }, { bars: batches }, { sessions });
          expectMatch(values(run.outputs['out']!), reference(fed, windows, intraday));
        },
      ),
      { numRuns: 100, interruptAfterTimeLimit: 10_000 },
    );
  });

  it('keeps no trace of a heavy bar once it has left the window, over many blocks of bars', async () => {
    // Bar 0 trades 1e12 at 100; every later bar trades 1 at 101 or none: no rounding residue of bar 0 remains.
    const bars: Hlcvw[] = Array.from(
      { length: 300 },
      (_, i): Hlcvw => (i === 0 ? [100, 100, 100, 1e12, 100] : [101, 101, 101, i % 7 === 0 ? 0 : 1, 101]),
    );
    const run = await runOperator(barStats, { windows: [3] }, { bars: feed(bars) }, { sessions: [day(0)] });
    const out = values(run.outputs['out']!);
    expectMatch(
      out,
      reference(
        bars.map((bar) => ({ symbol: 'A', d: 0, bar })),
        [3],
        true,
      ),
    );
    // Bars 202-204 (bar 203 = 7·29 traded none): VWAP 101 exactly, so the gap is exactly 0.
    expect(out[204]![2]).toBe(0);
  });
});
