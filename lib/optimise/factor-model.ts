/**
 * Risk models for portfolio construction: Σ = B F Bᵀ + D (n names, k factors), estimated from a
 * trailing window of returns and kept in that form, so nothing of size n×n is formed for large n.
 * Two estimators: statistical factors (PCA of the returns) and user-supplied exposures (sectors as
 * one-hot columns, styles) whose factor returns come from cross-sectional regressions. A dense Σ is
 * accepted too (the `alpha risk solve` command takes one).
 *
 * @example
 * declare const returns: number[][], w: number[]; // returns: T×n (a row per period, a column per name)
 * const risk = pcaRiskModel(returns, { factors: 3, shrinkage: 0.2, floor: 0.1 });
 * portfolioVariance(risk, w); // wᵀΣw in O(nk)
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';

/** Σ = B F Bᵀ + diag(D). B is n×k (rows = names), F is k×k symmetric PSD, D ≥ 0 has length n. */
export interface FactorRisk {
  readonly kind: 'factor';
  readonly B: readonly (readonly number[])[];
  readonly F: readonly (readonly number[])[];
  readonly D: readonly number[];
}

/** A dense n×n covariance (symmetric PSD). Fine for small n; the factor form scales. */
export interface DenseRisk {
  readonly kind: 'dense';
  readonly sigma: readonly (readonly number[])[];
}

export type RiskModel = FactorRisk | DenseRisk;

export interface SpecificOptions {
  /** Intensity in [0, 1] of the shrinkage of each specific variance toward their cross-sectional mean. */
  shrinkage: number;
  /** Floor on each specific variance, as a fraction of their cross-sectional mean (after shrinkage). */
  floor: number;
}

export interface PcaOptions extends SpecificOptions {
  /** Number of statistical factors k; fewer are used when the window has rank < k. */
  factors: number;
}

export function riskSize(risk: RiskModel): number {
  return risk.kind === 'dense' ? risk.sigma.length : risk.D.length;
}

/** wᵀΣw, in O(nk) for the factor form. */
export function portfolioVariance(risk: RiskModel, w: ArrayLike<number>): number {
  if (risk.kind === 'dense') {
    let s = 0;
    risk.sigma.forEach((row, i) => {
      let r = 0;
      row.forEach((v, j) => {
        r += v * w[j]!;
      });
      s += w[i]! * r;
    });
    return s;
  }
  const k = risk.F.length;
  const y = new Float64Array(k);
  let specific = 0;
  risk.B.forEach((row, i) => {
    const wi = w[i]!;
    for (let j = 0; j < k; j++) y[j]! += (row[j] ?? 0) * wi;
    specific += risk.D[i]! * wi * wi;
  });
  let factor = 0;
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) factor += y[a]! * risk.F[a]![b]! * y[b]!;
  return factor + specific;
}

/** Columns demeaned, as a T×n Matrix (each column's mean summed in row order, as Matrix.get would). */
function demeaned(returns: readonly (readonly number[])[]): Matrix {
  const T = returns.length;
  const n = returns[0]?.length ?? 0;
  const rows = returns.map((r) => Float64Array.from(r));
  for (let j = 0; j < n; j++) {
    let m = 0;
    for (let t = 0; t < T; t++) m += rows[t]![j]!;
    m /= T;
    for (let t = 0; t < T; t++) rows[t]![j]! -= m;
  }
  return new Matrix(rows);
}

function checkReturns(returns: readonly (readonly number[])[]): number {
  const n = returns[0]?.length ?? 0;
  if (returns.length < 2 || n === 0)
    throw new RangeError(`a risk model needs at least 2 returns of at least 1 name, got ${returns.length}×${n}`);
  returns.forEach((r, t) => {
    if (r.length !== n) throw new RangeError(`returns[${t}] has ${r.length} names, expected ${n}`);
    r.forEach((v, i) => {
      if (!Number.isFinite(v)) throw new RangeError(`returns[${t}][${i}] is ${v}: expected a finite number`);
    });
  });
  return n;
}

/**
 * Residual variances shrunk toward their cross-sectional mean, then floored at `floor` × that mean.
 * Residuals are clamped at 0 first: when the factors explain a name fully, round-off leaves −1e-19,
 * and a negative variance makes the QP non-convex.
 */
export function specificVariances(residual: readonly number[], { shrinkage, floor }: SpecificOptions): number[] {
  const clamped = residual.map((d) => Math.max(0, d));
  const mean = clamped.reduce((a, b) => a + b, 0) / Math.max(1, clamped.length);
  const shrunk = clamped.map((d) => (1 - shrinkage) * d + shrinkage * mean);
  const shrunkMean = shrunk.reduce((a, b) => a + b, 0) / Math.max(1, shrunk.length);
  return shrunk.map((d) => Math.max(d, floor * shrunkMean));
}

/**
 * Statistical factor model: the top-k principal components of the sample covariance of `returns`
 * (T×n, one row per period), from a thin SVD of the demeaned T×n matrix (so T < n costs O(nT²), not
 * O(n³)). B holds the k eigenvectors (orthonormal columns), F = diag(their eigenvalues), and D the
 * variance each name keeps outside them — Sᵢᵢ − Σⱼ Bᵢⱼ²λⱼ, exact for principal components — shrunk
 * and floored (see {@link specificVariances}).
 */
export function pcaRiskModel(returns: readonly (readonly number[])[], opts: PcaOptions): FactorRisk {
  const n = checkReturns(returns);
  const T = returns.length;
  const R = demeaned(returns);
  const svd = new SingularValueDecomposition(R, { computeLeftSingularVectors: false, autoTranspose: true });
  const V = svd.rightSingularVectors;
  const s = svd.diagonal;
  const k = Math.max(0, Math.min(opts.factors, T - 1, n, s.filter((x) => x > 1e-12 * (s[0] ?? 0)).length));
  const lambda = s.slice(0, k).map((x) => (x * x) / (T - 1));
  const B = Array.from({ length: n }, (_, i) => Array.from({ length: k }, (_, j) => V.get(i, j)));
  const F = lambda.map((l, a) => lambda.map((_, b) => (a === b ? l : 0)));
  const residual = B.map((row, i) => {
    let total = 0;
    for (let t = 0; t < T; t++) total += R.get(t, i) ** 2;
    total /= T - 1;
    return total - row.reduce((acc, b, j) => acc + b * b * lambda[j]!, 0);
  });
  return { kind: 'factor', B, F, D: specificVariances(residual, opts) };
}

/**
 * Factor model on given exposures B (n×k: sectors as one-hot columns, styles as scores): each period's
 * factor returns are the least-squares fit of that period's returns on B (with a tiny ridge, so
 * collinear exposures do not fail), F is their sample covariance, and D comes from the residuals,
 * shrunk and floored.
 */
export function exposureRiskModel(
  returns: readonly (readonly number[])[],
  exposures: readonly (readonly number[])[],
  opts: SpecificOptions,
): FactorRisk {
  const n = checkReturns(returns);
  if (exposures.length !== n) throw new RangeError(`exposures have ${exposures.length} rows, expected ${n} (one per name)`);
  const T = returns.length;
  const k = exposures[0]?.length ?? 0;
  const R = demeaned(returns);
  const B = new Matrix(exposures.map((r) => [...r]));
  let G = Matrix.zeros(k, n);
  if (k > 0) {
    const BtB = B.transpose().mmul(B);
    const ridge = 1e-10 * Math.max(1e-300, BtB.trace() / k);
    for (let j = 0; j < k; j++) BtB.set(j, j, BtB.get(j, j) + ridge);
    G = new SingularValueDecomposition(BtB).solve(B.transpose()); // (BᵀB)⁻¹Bᵀ, k×n
  }
  const factorReturns = R.mmul(G.transpose()); // T×k, demeaned because R is
  const residuals = R.clone().sub(factorReturns.mmul(B.transpose()));
  const F = Array.from({ length: k }, (_, a) =>
    Array.from({ length: k }, (_, b) => {
      let c = 0;
      for (let t = 0; t < T; t++) c += factorReturns.get(t, a) * factorReturns.get(t, b);
      return c / (T - 1);
    }),
  );
  const residual = Array.from({ length: n }, (_, i) => {
    let v = 0;
    for (let t = 0; t < T; t++) v += residuals.get(t, i) ** 2;
    return v / (T - 1);
  });
  return { kind: 'factor', B: exposures.map((r) => [...r]), F, D: specificVariances(residual, opts) };
}

/** One-hot sector exposures (n×s, sectors in first-seen order). */
export function sectorExposures(sectors: readonly string[]): { sectors: string[]; B: number[][] } {
  const names = [...new Set(sectors)];
  return { sectors: names, B: sectors.map((s) => names.map((name) => (name === s ? 1 : 0))) };
}

/** Beta of each name to the equal-weighted average of the names, over the window (0 when the average never moves). */
export function marketBetas(returns: readonly (readonly number[])[]): number[] {
  const n = checkReturns(returns);
  const market = returns.map((r) => r.reduce((a, b) => a + b, 0) / n);
  const mm = market.reduce((a, b) => a + b, 0) / market.length;
  const varM = market.reduce((a, m) => a + (m - mm) ** 2, 0);
  return Array.from({ length: n }, (_, i) => {
    if (varM <= 0) return 0;
    const mi = returns.reduce((a, r) => a + r[i]!, 0) / returns.length;
    return returns.reduce((a, r, t) => a + (r[i]! - mi) * (market[t]! - mm), 0) / varM;
  });
}
