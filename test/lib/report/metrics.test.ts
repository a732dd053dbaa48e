/**
 * The tear sheet's metrics against empyrical's own published fixtures: the series and expected values
 * of `empyrical/tests/test_stats.py` (class TestStats) in stefan-jansen/empyrical-reloaded at commit
 * 20aa2daab71b966057b896e8d0a7b307fe87936f (the same values as quantopian/empyrical 0.5.5's file).
 * Values published to 16–17 significant digits must agree to 1e-12 relative; the few published
 * rounded (rolling Sharpe, to 8 decimals) are checked to the digits given. Series indexed weekly or
 * monthly there are the same numbers here with 52 or 12 periods a year.
 */
import { describe, expect, it } from 'vitest';
import {
  annualReturn,
  annualVolatility,
  calmarRatio,
  cumulativeReturn,
  downsideRisk,
  drawdowns,
  maxDrawdown,
  percentile,
  rollingSharpe,
  sharpeRatio,
  sortinoRatio,
  stability,
  tailRatio,
  wealth,
} from '../../../lib/report/metrics.ts';

const pct = (xs: number[]): number[] => xs.map((x) => x / 100);
const NaN_ = Number.NaN;
// The fixtures of TestStats, in percent as the file writes them.
const simpleBenchmark = pct([0, 1, 0, 1, 0, 1, 0, 1, 0]);
const positive = pct([1, 2, 1, 1, 1, 1, 1, 1, 1]);
const negative = pct([0, -6, -7, -1, -9, -2, -6, -8, -5]);
const allNegative = pct([-2, -6, -7, -1, -9, -2, -6, -8, -5]);
const mixed = pct([NaN_, 1, 10, -4, 2, 3, 2, 1, -10]);
const flatLine1 = pct([1, 1, 1, 1, 1, 1, 1, 1, 1]);
const weekly = pct([0, 1, 10, -4, 2, 3, 2, 1, -10]);
const monthly = weekly;
const oneReturn = pct([1]);
const empty: number[] = [];
const flatLine1Tz = new Array<number>(1000).fill(0.01);
const one = [-0.00171614, 0.01322056, 0.03063862, -0.01422057, -0.00489779, 0.01268925, -0.03357711, 0.01797036];
const two = [0.01846232, 0.00793951, -0.01448395, 0.00422537, -0.00339611, 0.03756813, 0.0151531, 0.03549769];
const WEEKLY = 52;
const MONTHLY = 12;

/** Within 1e-12 relative (exactly equal for 0, infinities and NaN). */
function agrees(actual: number, expected: number): void {
  if (Number.isNaN(expected)) return void expect(actual).toBeNaN();
  if (!Number.isFinite(expected) || expected === 0) return void expect(actual).toBe(expected === 0 ? actual * 0 : expected);
  expect(Math.abs(actual - expected) / Math.abs(expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(1e-12);
}

describe('metrics agree with empyrical fixtures to 1e-12 relative', () => {
  it('sharpe_ratio: the NaN of mixed_returns is dropped, not counted as 0', () => {
    agrees(sharpeRatio(empty), NaN_);
    agrees(sharpeRatio(oneReturn), NaN_);
    agrees(sharpeRatio(mixed, mixed), NaN_);
    agrees(sharpeRatio(mixed), 1.7238613961706866);
    agrees(sharpeRatio(mixed, simpleBenchmark), 0.34111411441060574);
    agrees(sharpeRatio(positive), 52.915026221291804);
    agrees(sharpeRatio(negative), -24.406808633910085);
    expect(sharpeRatio(flatLine1)).toBe(Number.POSITIVE_INFINITY);
    // Counting the NaN as a zero return would give another figure.
    expect(Math.abs(sharpeRatio(mixed.map((r) => (Number.isNaN(r) ? 0 : r))) - 1.7238613961706866)).toBeGreaterThan(0.05);
  });

  it('annual_volatility', () => {
    // Published as 0.0 (to 8 decimals): the mean of a thousand 0.01s is not exactly 0.01 in floating point.
    expect(annualVolatility(flatLine1Tz)).toBeCloseTo(0, 12);
    agrees(annualVolatility(mixed), 0.9136465399704637);
    agrees(annualVolatility(weekly, WEEKLY), 0.38851569394870583);
    agrees(annualVolatility(monthly, MONTHLY), 0.18663690238892558);
  });

  it('annual_return (cagr): every period counts, a NaN as flat', () => {
    agrees(annualReturn(empty), NaN_);
    agrees(annualReturn(mixed), 1.9135925373194231);
    agrees(annualReturn(weekly, WEEKLY), 0.24690830513998208);
    agrees(annualReturn(monthly, MONTHLY), 0.052242061386048144);
    agrees(annualReturn(oneReturn), 11.274002099240244);
    agrees(annualReturn(flatLine1Tz), 11.274002099240256);
    agrees(annualReturn(pct([3, 3, 3]), 1), 0.03);
  });

  it('max_drawdown', () => {
    agrees(maxDrawdown(empty), NaN_);
    expect(maxDrawdown(oneReturn)).toBe(0);
    expect(maxDrawdown(simpleBenchmark)).toBe(0);
    agrees(maxDrawdown(mixed), -0.1);
    expect(maxDrawdown(positive)).toBe(0);
    // "negative returns means the drawdown is just the returns": the file expects cum_returns_final.
    agrees(maxDrawdown(negative), cumulativeReturn(negative));
    agrees(maxDrawdown(allNegative), cumulativeReturn(allNegative));
    agrees(maxDrawdown(pct([10, -10, 10])), -0.1);
  });

  it('calmar_ratio', () => {
    agrees(calmarRatio(empty), NaN_);
    agrees(calmarRatio(oneReturn), NaN_);
    agrees(calmarRatio(mixed), 19.135925373194233);
    agrees(calmarRatio(weekly, WEEKLY), 2.4690830513998208);
    agrees(calmarRatio(monthly, MONTHLY), 0.52242061386048144);
  });

  it('downside_risk', () => {
    agrees(downsideRisk(empty), NaN_);
    expect(downsideRisk(oneReturn)).toBe(0);
    expect(downsideRisk(mixed, mixed)).toBe(0);
    agrees(downsideRisk(mixed, 0), 0.60448325038829653);
    agrees(downsideRisk(mixed, 0.1), 1.7161730681956295);
    agrees(downsideRisk(weekly, 0, WEEKLY), 0.25888650451930134);
    agrees(downsideRisk(weekly, 0.1, WEEKLY), 0.7733045971672482);
    agrees(downsideRisk(monthly, 0, MONTHLY), 0.1243650540411842);
    agrees(downsideRisk(monthly, 0.1, MONTHLY), 0.37148351242013422);
    agrees(downsideRisk(one), 0.20671788246185202);
    agrees(downsideRisk(two), 0.083495680595704475);
    agrees(downsideRisk(one, 0, WEEKLY), 0.093902996054410062);
    agrees(downsideRisk(two, 0, WEEKLY), 0.037928477556776516);
    agrees(downsideRisk(one, 0, MONTHLY), 0.045109540184877193);
    agrees(downsideRisk(two, 0, MONTHLY), 0.018220251263412916);
  });

  it('sortino_ratio', () => {
    agrees(sortinoRatio(empty), NaN_);
    agrees(sortinoRatio(oneReturn), NaN_);
    agrees(sortinoRatio(mixed, mixed), NaN_);
    agrees(sortinoRatio(mixed), 2.605531251673693);
    agrees(sortinoRatio(mixed, flatLine1), -1.3934779588919977);
    expect(sortinoRatio(positive)).toBe(Number.POSITIVE_INFINITY);
    agrees(sortinoRatio(negative), -13.532743075043401);
    expect(sortinoRatio(simpleBenchmark)).toBe(Number.POSITIVE_INFINITY);
    agrees(sortinoRatio(weekly, 0, WEEKLY), 1.1158901056866439);
    agrees(sortinoRatio(monthly, 0, MONTHLY), 0.53605626741889756);
    agrees(sortinoRatio(one), 3.0639640966566306);
    agrees(sortinoRatio(two), 38.090963117002495);
    agrees(sortinoRatio(one, 0, WEEKLY), 1.3918264112070571);
    agrees(sortinoRatio(two, 0, WEEKLY), 17.303077589064618);
    agrees(sortinoRatio(one, 0, MONTHLY), 0.6686117809312383);
    agrees(sortinoRatio(two, 0, MONTHLY), 8.3121296084492844);
  });

  it('stability_of_timeseries', () => {
    agrees(stability(empty), NaN_);
    agrees(stability(oneReturn), NaN_);
    agrees(stability(mixed), 0.1529973665111273);
    agrees(stability(flatLine1Tz), 1.0);
  });

  it('tail_ratio', () => {
    agrees(tailRatio(empty), NaN_);
    agrees(tailRatio(oneReturn), 1.0);
    // The file publishes 0.9473684210526313 but checks it to 1 decimal only (assert_almost_equal(…, 1)),
    // and that figure is 0.072 / 0.076, the ratio with the NaN counted as a 0 (nine values). empyrical's
    // tail_ratio drops the NaN: the eight sorted values are −10, −4, 1, 1, 2, 2, 3, 10 (%); numpy's
    // linear percentile puts the 95th at rank 0.95 × 7 = 6.65 (3 + 0.65 × 7 = 7.55%) and the 5th at
    // rank 0.35 (−10 + 0.35 × 6 = −7.9%), so empyrical returns 7.55 / 7.9.
    expect(Math.abs(tailRatio(mixed) - 0.9473684210526313)).toBeLessThan(1.5e-1);
    agrees(tailRatio(mixed), 0.0755 / 0.079);
    agrees(tailRatio(mixed.map((r) => (Number.isNaN(r) ? 0 : r))), 0.9473684210526313);
  });

  it('roll_sharpe_ratio (published to 8 decimals)', () => {
    const near = (a: number[], e: number[]): void => {
      expect(a).toHaveLength(e.length);
      a.forEach((v, i) => expect(v, `window ${i}`).toBeCloseTo(e[i]!, 8));
    };
    expect(rollingSharpe(empty, 6)).toEqual([]);
    near(rollingSharpe(negative, 6), [-18.09162052, -26.79897486, -26.69138263, -25.72298838]);
    near(rollingSharpe(mixed, 6), [7.57445259, 8.22784105, 8.22784105, -3.1374751]);
  });
});

describe('helpers, against values derived here', () => {
  it('wealth and drawdowns of [+10%, −10%, +10%]: 1.1, 0.99, 1.089; 0, −10%, −1%', () => {
    const w = wealth(pct([10, -10, 10]));
    [1.1, 0.99, 1.089].forEach((e, i) => expect(w[i]).toBeCloseTo(e, 14));
    const d = drawdowns(pct([10, -10, 10]));
    [0, -0.1, 1.089 / 1.1 - 1].forEach((e, i) => expect(d[i]).toBeCloseTo(e, 14));
  });

  it('percentile interpolates linearly between ranks, as numpy does', () => {
    // Sorted [1, 2, 3, 4]: the 50th percentile sits halfway between ranks 1 and 2 (2.5); the 95th at 2.85 → 3.85.
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([4, 1, 3, 2], 95)).toBeCloseTo(3.85, 14);
    expect(percentile([4, Number.NaN, 3], 0)).toBe(3);
    expect(percentile([], 50)).toBeNaN();
  });
});
