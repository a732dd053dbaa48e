/**
 * Performance metrics of a series of periodic (daily) returns, defined as empyrical defines them, so a
 * tear sheet's figures can be checked against empyrical's published fixtures. Returns are simple
 * returns (0.01 = 1%); a NaN is a missing period: the ratios drop it (it counts neither as a return
 * nor as a zero), while the compounding figures (annual return, drawdown) count it as a flat period,
 * as empyrical does. Every function is pure and returns NaN where empyrical does (too few returns).
 *
 * @example
 * sharpeRatio([Number.NaN, 0.01, 0.1, -0.04, 0.02, 0.03, 0.02, 0.01, -0.1]); // 1.7238613961706866
 */

/** Periods in a year for daily returns (trading days). */
export const DAILY = 252;

/** A per-period benchmark: one number for every period, or a series aligned with the returns. */
export type Benchmark = number | readonly number[];

/** Each return minus the benchmark of its period (NaN where either is missing). */
function minus(returns: readonly number[], b: Benchmark): number[] {
  return returns.map((r, i) => r - (typeof b === 'number' ? b : (b[i] ?? Number.NaN)));
}

/** The values that are not NaN. */
function present(xs: readonly number[]): number[] {
  return xs.filter((x) => !Number.isNaN(x));
}

function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n − 1 in the denominator); NaN below two values. */
function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (xs.length - 1));
}

/** Mean excess return over its sample standard deviation, × √periods; NaN below two periods. */
export function sharpeRatio(returns: readonly number[], riskFree: Benchmark = 0, periods = DAILY): number {
  if (returns.length < 2) return Number.NaN;
  const excess = present(minus(returns, riskFree));
  return (mean(excess) / sampleStd(excess)) * Math.sqrt(periods);
}

/** Sample standard deviation of the returns × √periods; NaN below two periods. */
export function annualVolatility(returns: readonly number[], periods = DAILY): number {
  if (returns.length < 2) return Number.NaN;
  return sampleStd(present(returns)) * Math.sqrt(periods);
}

/** Root mean square of the returns below `required` (those above count as 0), × √periods. */
export function downsideRisk(returns: readonly number[], required: Benchmark = 0, periods = DAILY): number {
  if (returns.length < 1) return Number.NaN;
  const below = present(minus(returns, required).map((d) => Math.min(d, 0)));
  return Math.sqrt(mean(below.map((d) => d * d))) * Math.sqrt(periods);
}

/** Annualised mean excess return over the downside risk; NaN below two periods. */
export function sortinoRatio(returns: readonly number[], required: Benchmark = 0, periods = DAILY): number {
  if (returns.length < 2) return Number.NaN;
  const annualMean = mean(present(minus(returns, required))) * periods;
  return annualMean / downsideRisk(returns, required, periods);
}

/** The compounded return of the whole series (a NaN is a flat period). */
export function cumulativeReturn(returns: readonly number[]): number {
  let wealth = 1;
  for (const r of returns) if (!Number.isNaN(r)) wealth *= 1 + r;
  return wealth - 1;
}

/** Compound annual growth rate: (1 + cumulative return)^(periods / n) − 1, n counting every period. */
export function annualReturn(returns: readonly number[], periods = DAILY): number {
  if (returns.length < 1) return Number.NaN;
  return (1 + cumulativeReturn(returns)) ** (periods / returns.length) - 1;
}

/** Wealth after each period, starting from 1 (a NaN is a flat period). */
export function wealth(returns: readonly number[]): number[] {
  let w = 1;
  return returns.map((r) => (w *= Number.isNaN(r) ? 1 : 1 + r));
}

/** Drawdown after each period: wealth over its running peak (the start, 1, included) minus 1, ≤ 0. */
export function drawdowns(returns: readonly number[]): number[] {
  let peak = 1;
  return wealth(returns).map((w) => {
    peak = Math.max(peak, w);
    return w / peak - 1;
  });
}

/** The worst drawdown, a number ≤ 0 (−0.1 is a 10% fall from a peak); NaN for no returns. */
export function maxDrawdown(returns: readonly number[]): number {
  if (returns.length < 1) return Number.NaN;
  let worst = 0;
  for (const d of drawdowns(returns)) worst = Math.min(worst, d);
  return worst;
}

/** Annual return over |max drawdown|; NaN when there was no drawdown. */
export function calmarRatio(returns: readonly number[], periods = DAILY): number {
  const dd = maxDrawdown(returns);
  if (!(dd < 0)) return Number.NaN;
  const ratio = annualReturn(returns, periods) / Math.abs(dd);
  return Number.isFinite(ratio) ? ratio : Number.NaN;
}

/** R² of a least-squares line through the cumulative log returns (NaNs dropped); NaN below two. */
export function stability(returns: readonly number[]): number {
  if (returns.length < 2) return Number.NaN;
  let c = 0;
  const y = present(returns).map((r) => (c += Math.log1p(r)));
  const x = y.map((_, i) => i);
  const mx = mean(x);
  const my = mean(y);
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < y.length; i++) {
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
    sxy += (x[i]! - mx) * (y[i]! - my);
  }
  const r = sxx === 0 || syy === 0 ? 0 : Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
  return r * r;
}

/** The q-th percentile (0–100) with linear interpolation between closest ranks (numpy's default). */
export function percentile(values: readonly number[], q: number): number {
  const sorted = present(values).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** |95th percentile| over |5th percentile| of the returns (NaNs dropped); NaN for no returns. */
export function tailRatio(returns: readonly number[]): number {
  if (present(returns).length < 1) return Number.NaN;
  return Math.abs(percentile(returns, 95)) / Math.abs(percentile(returns, 5));
}

/** Sharpe ratio over each trailing window of `window` periods, one value per window's last period. */
export function rollingSharpe(returns: readonly number[], window: number, riskFree = 0, periods = DAILY): number[] {
  const out: number[] = [];
  for (let end = window; end <= returns.length; end++) out.push(sharpeRatio(returns.slice(end - window, end), riskFree, periods));
  return out;
}
