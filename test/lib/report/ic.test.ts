/** Rank IC of predictions against forward mid returns, on series written by hand. */
import { describe, expect, it } from 'vitest';
import { ranks, spearman } from '../../../lib/core/correlation.ts';
import { forwardReturn, type MidSeries, predictionIc } from '../../../lib/report/ic.ts';

const us = (iso: string): number => Date.parse(iso) * 1000;

describe('ranks and spearman', () => {
  it('ties share the mean of their ranks', () => {
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
  });

  it('without ties, 1 − 6 Σd² / (n(n² − 1))', () => {
    // Ranks of y are 1, 2, 4, 3: Σd² = 2, so 1 − 12/60 = 0.8.
    expect(spearman([1, 2, 3, 4], [10, 20, 40, 30])).toBeCloseTo(0.8, 14);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 14);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
});

// One symbol: 10:00 → 100, 10:05 → 101, 10:10 → 99, then the next day at 15:00 → 50.
const s: MidSeries = {
  ts: Float64Array.of(us('2024-01-02T15:00:00Z'), us('2024-01-02T15:05:00Z'), us('2024-01-02T15:10:00Z'), us('2024-01-03T15:00:00Z')),
  mid: Float64Array.of(100, 101, 99, 50),
};

describe('forwardReturn', () => {
  it('the mid at t + h over the mid at t, both the last known', () => {
    expect(forwardReturn(s, us('2024-01-02T15:00:00Z'), 5 * 60e6)).toBeCloseTo(0.01, 14);
    expect(forwardReturn(s, us('2024-01-02T15:01:00Z'), 5 * 60e6)).toBeCloseTo(0.01, 14);
  });

  it('undefined before the first quote, or when t + h is not known to be within the day', () => {
    expect(forwardReturn(s, us('2024-01-02T14:59:00Z'), 60e6)).toBeUndefined();
    // 15:10 is the day's last quote: whether the session went on to 15:10 + h is not known.
    expect(forwardReturn(s, us('2024-01-02T15:00:00Z'), 10 * 60e6)).toBeUndefined();
    expect(forwardReturn(s, us('2024-01-02T15:00:00Z'), 24 * 60 * 60e6)).toBeUndefined();
  });
});

describe('predictionIc', () => {
  // Four symbols quoted at 15:00, 15:05 and 15:30; their 5-minute returns are 1%, −1%, 2% and 0.
  const times = Float64Array.of(us('2024-01-02T15:00:00Z'), us('2024-01-02T15:05:00Z'), us('2024-01-02T15:30:00Z'));
  const quoted: [string, number, number][] = [
    ['A', 100, 101],
    ['B', 100, 99],
    ['C', 50, 51],
    ['D', 20, 20],
  ];
  const mids = new Map<string, MidSeries>(quoted.map(([k, a, b]) => [k, { ts: times, mid: Float64Array.of(a, b, b) }]));
  const at = us('2024-01-02T15:00:00Z');
  const columns = (values: number[]) => ({
    ts: Float64Array.of(at, at, at, at),
    symbol: ['A', 'B', 'C', 'D'],
    value: Float64Array.from(values),
  });

  it('predictions in the order of the returns score 1, reversed −1; a horizon past the data none', () => {
    const [five, sixty] = predictionIc(columns([0.3, -0.2, 0.9, 0]), mids, [5, 60]);
    expect(five).toMatchObject({ minutes: 5, sections: 1 });
    expect(five!.mean).toBeCloseTo(1, 14);
    expect(sixty!.sections).toBe(0);
    expect(sixty!.mean).toBeNaN();
    expect(predictionIc(columns([-0.3, 0.2, -0.9, 0]), mids, [5])[0]!.mean).toBeCloseTo(-1, 14);
  });

  it('one order swapped: ρ = 1 − 6·2/60 = 0.8', () => {
    // Returns rank A 3, B 1, C 4, D 2; predictions rank A 4, B 1, C 3, D 2: Σd² = 2.
    expect(predictionIc(columns([0.9, -0.2, 0.3, 0]), mids, [5])[0]!.mean).toBeCloseTo(0.8, 14);
  });

  it('a symbol without prices or a NaN prediction is left out; under three symbols no section', () => {
    const c = columns([0.3, Number.NaN, 0.9, 0]);
    c.symbol[3] = 'nowhere';
    expect(predictionIc(c, mids, [5])[0]!.sections).toBe(0);
  });
});
