/**
 * The feed lag's buckets (pipelines/runtime/lag-histogram.ts): each cumulative count is the number of
 * lags at or under its bound, counted here by filtering the same lags; the sum and the count are theirs.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../lib/core/rng.ts';
import { LAG_BOUNDS_MICROS, LagHistogram } from '../../pipelines/runtime/lag-histogram.ts';

describe('LagHistogram', () => {
  it('counts each lag under every bound at or above it, with the exact sum and count', () => {
    const rng = new Rng(7);
    // Log-uniform from 1 µs to 100 s, and every bound itself (a lag equal to a bound is in its bucket).
    const lags = [...Array.from({ length: 20_000 }, () => 10 ** (rng.next() * 8)), ...LAG_BOUNDS_MICROS, 0];
    const h = new LagHistogram();
    for (const v of lags) h.observe(v);
    const { buckets, sumSeconds, count } = h.read();
    expect(buckets.map((b) => b.le)).toEqual([...LAG_BOUNDS_MICROS.map((b) => b / 1e6), Number.POSITIVE_INFINITY]);
    for (const b of buckets) expect(b.count, `le ${b.le}`).toBe(lags.filter((v) => v / 1e6 <= b.le).length);
    expect(count).toBe(lags.length);
    expect(sumSeconds).toBeCloseTo(lags.reduce((a, v) => a + v, 0) / 1e6, 6);
  });

  it('takes a negative or NaN lag (a clock that stepped back) as no wait', () => {
    const h = new LagHistogram();
    h.observe(-5);
    h.observe(Number.NaN);
    const { buckets, sumSeconds, count } = h.read();
    expect(buckets[0]!.count).toBe(2);
    expect(sumSeconds).toBe(0);
    expect(count).toBe(2);
  });
});
