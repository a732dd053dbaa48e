import { describe, expect, it } from 'vitest';
import {
  exposureRiskModel,
  marketBetas,
  pcaRiskModel,
  portfolioVariance,
  sectorExposures,
  specificVariances,
  type FactorRisk,
} from '../../../lib/optimise/factor-model.ts';
import { Rng } from '../../../lib/core/rng.ts';

/** T×n returns r_t = B f_t + e_t with planted loadings, factor and specific volatilities. */
function planted(
  T: number,
  n: number,
  seed: number,
  loadings: (i: number) => number[],
  factorVol: number[],
  specVol: (i: number) => number,
): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: T }, () => {
    const f = factorVol.map((v) => v * rng.normal());
    return Array.from({ length: n }, (_, i) => loadings(i).reduce((a, b, j) => a + b * f[j]!, 0) + specVol(i) * rng.normal());
  });
}

function sampleVariance(returns: number[][], i: number): number {
  const m = returns.reduce((a, r) => a + r[i]!, 0) / returns.length;
  return returns.reduce((a, r) => a + (r[i]! - m) ** 2, 0) / (returns.length - 1);
}

function denseOf(risk: FactorRisk): number[][] {
  const n = risk.D.length;
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      let s = i === j ? risk.D[i]! : 0;
      risk.F.forEach((row, a) =>
        row.forEach((f, b) => {
          s += risk.B[i]![a]! * f * risk.B[j]![b]!;
        }),
      );
      return s;
    }),
  );
}

describe('pcaRiskModel', () => {
  const beta = (i: number): number[] => [1 + 0.02 * i, i % 2 === 0 ? 1 : -1];
  const returns = planted(400, 30, 3, beta, [0.01, 0.005], (i) => 0.004 + 0.0001 * i);

  it("keeps each name's sample variance on the diagonal when nothing is shrunk", () => {
    const risk = pcaRiskModel(returns, { factors: 2, shrinkage: 0, floor: 0 });
    expect(risk.B).toHaveLength(30);
    expect(risk.F).toHaveLength(2);
    denseOf(risk).forEach((row, i) => expect(row[i]! / sampleVariance(returns, i)).toBeCloseTo(1, 10));
  });

  it('finds the planted factors: most of the variance is in them, and they span the loadings', () => {
    const risk = pcaRiskModel(returns, { factors: 2, shrinkage: 0, floor: 0 });
    const eig = [risk.F[0]![0]!, risk.F[1]![1]!];
    expect(eig[0]).toBeGreaterThan(eig[1]!);
    expect(risk.F[0]![1]).toBe(0);
    // The planted market loading lies (almost) in the span of the two eigenvectors.
    const b = Array.from({ length: 30 }, (_, i) => beta(i)[0]!);
    const proj = [0, 1].map((j) => risk.B.reduce((a, row, i) => a + row[j]! * b[i]!, 0));
    const norm2 = b.reduce((a, x) => a + x * x, 0);
    expect((proj[0]! ** 2 + proj[1]! ** 2) / norm2).toBeGreaterThan(0.98);
  });

  it('works with fewer periods than names (T < n) and caps k at the rank of the window', () => {
    const few = planted(12, 200, 5, beta, [0.01, 0.005], () => 0.004);
    const risk = pcaRiskModel(few, { factors: 50, shrinkage: 0.2, floor: 0.1 });
    expect(risk.F.length).toBeLessThanOrEqual(11);
    expect(risk.D.every((d) => d > 0 && Number.isFinite(d))).toBe(true);
    expect(portfolioVariance(risk, new Array(200).fill(0.005))).toBeGreaterThan(0);
  });

  it('scales: n = 3000 names from 60 periods, without an n×n matrix', () => {
    const big = planted(60, 3000, 9, beta, [0.01, 0.005], () => 0.004);
    const risk = pcaRiskModel(big, { factors: 5, shrinkage: 0.3, floor: 0.1 });
    expect(risk.B).toHaveLength(3000);
    expect(risk.B[0]).toHaveLength(5);
  });

  it('refuses a window with non-finite returns or fewer than two periods', () => {
    expect(() => pcaRiskModel([[0.01, 0.02]], { factors: 1, shrinkage: 0, floor: 0 })).toThrow(/at least 2 returns/);
    expect(() =>
      pcaRiskModel(
        [
          [0.01, NaN],
          [0, 0],
        ],
        { factors: 1, shrinkage: 0, floor: 0 },
      ),
    ).toThrow(/returns\[0\]\[1\] is NaN/);
  });
});

describe('specificVariances', () => {
  it('never goes negative, even when round-off leaves a fully explained name below zero', () => {
    const d = specificVariances([-5.7e-19, 1e-4, 2e-4, -1e-20], { shrinkage: 0.3, floor: 0.1 });
    expect(d.every((x) => x >= 0)).toBe(true);
    expect(specificVariances([-1e-19, -2e-19], { shrinkage: 0.3, floor: 0.1 })).toEqual([0, 0]);
  });

  it('as many factors as names: a PSD model with no negative specific variance', () => {
    const returns = Array.from({ length: 40 }, (_, t) =>
      [Math.sin(t), Math.cos(t * 1.3), Math.sin(t * 0.7 + 1), Math.cos(t * 2.1)].map((x) => 0.01 * x),
    );
    const risk = pcaRiskModel(returns, { factors: 5, shrinkage: 0.3, floor: 0.1 });
    expect(risk.D.every((x) => x >= 0)).toBe(true);
    expect(risk.F.every((row, a) => row[a]! >= 0)).toBe(true);
  });

  it('shrinks toward the cross-sectional mean and floors at a fraction of it', () => {
    expect(specificVariances([1, 3], { shrinkage: 0.5, floor: 0 })).toEqual([1.5, 2.5]);
    expect(specificVariances([0, 4], { shrinkage: 0, floor: 0.5 })).toEqual([1, 4]);
    expect(specificVariances([2, 2, 8], { shrinkage: 1, floor: 0 })).toEqual([4, 4, 4]);
  });
});

describe('exposureRiskModel', () => {
  it('estimates sector factor variances by cross-sectional regression', () => {
    const sectors = Array.from({ length: 40 }, (_, i) => (i < 20 ? 'tech' : 'energy'));
    const { B, sectors: names } = sectorExposures(sectors);
    expect(names).toEqual(['tech', 'energy']);
    expect(B[0]).toEqual([1, 0]);
    expect(B[39]).toEqual([0, 1]);
    const returns = planted(
      2000,
      40,
      11,
      (i) => B[i]!,
      [0.02, 0.01],
      () => 0.005,
    );
    const risk = exposureRiskModel(returns, B, { shrinkage: 0, floor: 0 });
    // Each sector's factor return is its mean return: variance ≈ σ_f² + σ_e²/20.
    expect(risk.F[0]![0]! / (0.02 ** 2 + 0.005 ** 2 / 20)).toBeCloseTo(1, 1);
    expect(risk.F[1]![1]! / (0.01 ** 2 + 0.005 ** 2 / 20)).toBeCloseTo(1, 1);
    expect(Math.abs(risk.F[0]![1]!)).toBeLessThan(2e-5);
    // Residuals keep (1 − 1/20) of the specific variance (one sector mean is fitted out of 20 names).
    const ratios = risk.D.map((d) => d / 0.005 ** 2);
    expect(ratios.reduce((a, b) => a + b, 0) / ratios.length).toBeCloseTo(0.95, 1);
    ratios.forEach((r) => expect(Math.abs(r - 0.95)).toBeLessThan(0.2));
  });

  it('survives collinear exposures (a market column beside one-hot sectors)', () => {
    const B = Array.from({ length: 10 }, (_, i) => [1, i < 5 ? 1 : 0, i < 5 ? 0 : 1]);
    const returns = planted(
      100,
      10,
      2,
      (i) => B[i]!,
      [0.01, 0.01, 0.01],
      () => 0.003,
    );
    const risk = exposureRiskModel(returns, B, { shrinkage: 0.1, floor: 0.1 });
    expect([...risk.F.flat(), ...risk.D].every(Number.isFinite)).toBe(true);
  });
});

describe('portfolioVariance and marketBetas', () => {
  it('the factor form agrees with the dense matrix', () => {
    const risk: FactorRisk = {
      kind: 'factor',
      B: [
        [1, 0.5],
        [0.2, -1],
        [0, 1],
      ],
      F: [
        [0.04, 0.01],
        [0.01, 0.02],
      ],
      D: [0.01, 0.02, 0.03],
    };
    const w = [0.3, -0.2, 0.5];
    const sigma = denseOf(risk);
    expect(portfolioVariance(risk, w)).toBeCloseTo(portfolioVariance({ kind: 'dense', sigma }, w), 14);
  });

  it('recovers planted betas to the equal-weighted market', () => {
    const betas = Array.from({ length: 20 }, (_, i) => 0.5 + i / 19);
    const returns = planted(
      3000,
      20,
      4,
      (i) => [betas[i]!],
      [0.01],
      () => 0.002,
    );
    const mean = betas.reduce((a, b) => a + b, 0) / 20;
    marketBetas(returns).forEach((b, i) => expect(b).toBeCloseTo(betas[i]! / mean, 1));
  });
});
