/**
 * feature.volatility: the sample standard deviation of one-bar log returns over each window, once the
 * window is full, and the shortest window's volatility over the square root of an exponentially
 * weighted mean of squared returns (the regime). The first bar of a session opens no return (it would
 * measure the overnight gap), but the windows carry over from one session to the next.
 *
 * Expected values are recomputed here from the closes fed, with a two-pass standard deviation and the
 * EWMA written out, independently of the operator's rolling sums.
 */
import { describe, expect, it } from 'vitest';
import { volatility } from '../../../operators/feature/volatility.ts';
import { runOperator } from '../../../pipelines/harness/harness.ts';
import type { Bar, FeatureVector } from '../../../schemas/types.generated.ts';
import { expectNear } from '../../helpers/expect-near.ts';
import { minuteBar, session as day } from '../../helpers/records.ts';

/** The bar of `symbol` closing at the end of minute `i` of day `d`. */
const bar = (symbol: string, i: number, close: number, d = 0): Bar => minuteBar(symbol, i, close, d, { spread_bps: 2 });

/** Sample standard deviation (n − 1), two passes. */
const sampleStd = (xs: readonly number[]): number => {
  const m = xs.reduce((a, x) => a + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};

const logReturns = (closes: readonly number[]): number[] => closes.slice(1).map((c, i) => Math.log(c / closes[i]!));

/** Value k of each output vector of `symbol`, in order. */
const column = (out: unknown[], symbol: string, k: number): number[] =>
  (out as FeatureVector[]).filter((v) => v.symbol === symbol).map((v) => v.values[k]!);

describe('feature.volatility', () => {
  it('names a column per window and the regime', () => {
    expect(volatility.features!({ windows: [15, 60], long_run_halflife: 1950 }, [])).toEqual(['vol_15', 'vol_60', 'vol_regime']);
  });

  it('is the sample std of the last w one-bar log returns once w are known, and NaN before', async () => {
    const closes = [100, 101, 99, 102, 102.5, 101, 103];
    const run = await runOperator(
      volatility,
      { windows: [2, 4], long_run_halflife: 3 },
      {
        bars: closes.map((c, i) => [bar('A', i, c)]),
      },
      { sessions: [day(0)] },
    );
    const r = logReturns(closes);
    // Bar i has seen i returns: r[0..i-1].
    const expected = (w: number) => closes.map((_, i) => (i >= w ? sampleStd(r.slice(i - w, i)) : NaN));
    expectNear(column(run.outputs['out']!, 'A', 0), expected(2));
    expectNear(column(run.outputs['out']!, 'A', 1), expected(4));
    expect(run.metrics).toMatchObject({ in: 7, out: 7 });
  });

  it('measures the regime as the shortest window against an EWMA of squared returns (half-life in bars)', async () => {
    const closes = [50, 50.5, 49.8, 50.9, 51.2, 50.1];
    const halflife = 2;
    // Windows listed longest first: the regime still uses the shortest one.
    const run = await runOperator(
      volatility,
      { windows: [4, 3], long_run_halflife: halflife },
      {
        bars: closes.map((c, i) => [bar('A', i, c)]),
      },
      { sessions: [day(0)] },
    );
    const r = logReturns(closes);
    // EWMA: starts at the first squared return, then v ← d·v + (1 − d)·r² with d = 2^(−1/halflife).
    const d = 0.5 ** (1 / halflife);
    const ewma: number[] = [];
    r.forEach((x, i) => ewma.push(i === 0 ? x * x : d * ewma[i - 1]! + (1 - d) * x * x));
    // Bar i has seen i returns; the 3-bar window is full from bar 3.
    expectNear(
      column(run.outputs['out']!, 'A', 2),
      closes.map((_, i) => (i < 3 ? NaN : sampleStd(r.slice(i - 3, i)) / Math.sqrt(ewma[i - 1]!))),
    );
  });

  it('keeps each symbol apart; a flat price has zero volatility and no regime (no long-run variance)', async () => {
    const a = [10, 10.2, 10.1, 10.4];
    const run = await runOperator(
      volatility,
      { windows: [2], long_run_halflife: 10 },
      {
        bars: a.map((c, i) => [bar('A', i, c), bar('B', i, 20)]),
      },
      { sessions: [day(0)] },
    );
    const r = logReturns(a);
    expectNear(column(run.outputs['out']!, 'A', 0), [NaN, NaN, sampleStd(r.slice(0, 2)), sampleStd(r.slice(1, 3))]);
    expectNear(column(run.outputs['out']!, 'B', 0), [NaN, NaN, 0, 0]);
    expect(column(run.outputs['out']!, 'B', 1).every(Number.isNaN)).toBe(true);
  });

  it('skips the overnight gap: the first bar of a session adds no return, and the windows carry over', async () => {
    const day0 = [100, 101, 102];
    const day1 = [110, 111, 109]; // opens 8% above the last close
    const run = await runOperator(
      volatility,
      { windows: [3], long_run_halflife: 5 },
      {
        bars: [...day0.map((c, i) => [bar('A', i, c, 0)]), ...day1.map((c, i) => [bar('A', i, c, 1)])],
      },
      { sessions: [day(0), day(1)] },
    );
    // Two returns on day 0; the first bar of day 1 adds none, so the window is still not full at it.
    // Day 1's second bar: day 0's two returns and ln(111/110); the gap ln(110/102) is not among them.
    const returns = [...logReturns(day0), ...logReturns(day1)];
    expectNear(column(run.outputs['out']!, 'A', 0), [NaN, NaN, NaN, NaN, sampleStd(returns.slice(0, 3)), sampleStd(returns.slice(1, 4))]);
  });
});
