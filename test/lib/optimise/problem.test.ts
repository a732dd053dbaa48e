import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FactorRisk, RiskModel } from '../../../lib/optimise/factor-model.ts';
import { MvoOptimizer } from '../../../lib/optimise/optimizer.ts';
import { MvoProblem, type MvoConstraints, type MvoSpec } from '../../../lib/optimise/problem.ts';
import { refineSolution } from '../../../lib/optimise/refine.ts';
import { Rng } from '../../../lib/core/rng.ts';

const TIGHT = { epsAbs: 1e-9, epsRel: 1e-9, polish: true, maxIter: 100_000 };

function solve(spec: MvoSpec, mu: number[], wPrev?: number[]) {
  const problem = new MvoProblem(spec);
  const r = new MvoOptimizer(problem, TIGHT, { stages: [1e-4, 1e-6] }).solve(mu, wPrev);
  return { ...r, w: [...r.weights], problem };
}

const sum = (w: readonly number[]): number => w.reduce((a, b) => a + b, 0);
const gross = (w: readonly number[]): number => w.reduce((a, b) => a + Math.abs(b), 0);

/** A factor model: a market factor, two "sectors", and specific variances. */
function factorRisk(n: number, seed = 1): FactorRisk {
  const rng = new Rng(seed);
  return {
    kind: 'factor',
    B: Array.from({ length: n }, (_, i) => [0.8 + 0.4 * rng.next(), i % 2 === 0 ? 1 : 0, i % 2 === 1 ? 1 : 0]),
    F: [
      [0.04, 0.002, 0],
      [0.002, 0.01, 0.001],
      [0, 0.001, 0.01],
    ],
    D: Array.from({ length: n }, () => 0.01 + 0.03 * rng.next()),
  };
}

function alphas(n: number, seed = 2, scale = 0.05): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => scale * rng.normal());
}

describe('MvoProblem: the OSQP form', () => {
  it('keeps P block-diagonal (2γD on w, 2γF on y) and A linear in n with a factor model', () => {
    const n = 1000;
    const p = new MvoProblem({
      gamma: 2,
      risk: factorRisk(n),
      tcost: 0.0005,
      constraints: { dollarNeutral: true, gross: 2, maxWeight: 0.05, minWeight: -0.05, turnover: 0.5 },
    });
    expect(p.offsets).toEqual({ w: 0, y: n, t: n + 3, u: 2 * n + 3 });
    expect(p.nvars).toBe(3 * n + 3);
    // Column j of P (upper triangle) only holds rows of its own block.
    for (let j = 0; j < p.nvars; j++) {
      for (let k = p.P.colptr[j]!; k < p.P.colptr[j + 1]!; k++) {
        const i = p.P.rowind[k]!;
        if (j < n) expect(i).toBe(j);
        else expect(i >= n && i < n + 3).toBe(true);
      }
    }
    expect(p.P.values.length).toBe(n + 5); // D, and the 5 non-zero entries of F's upper triangle
    // factor (3) + dollar (1) + t rows (2n, carrying the bounds) + gross (1) + u rows (2n) + turnover (1).
    expect(p.A.nrows).toBe(4 * n + 6);
    // Bᵀw − y: 3n + 3; dollar: n; t ± w: 4n; gross: n; u ± w: 4n; turnover: n.
    expect(p.A.values.length).toBe(13 * n + 3);
    // Bounds not around 0 (or without t) keep their own rows.
    const shifted = new MvoProblem({ gamma: 2, risk: factorRisk(n), constraints: { gross: 2, maxWeight: 0.05, minWeight: 0.01 } });
    expect(shifted.A.nrows).toBe(3 + n + 2 * n + 1);
  });

  it('moves μ into q and w_prev into l, and nothing else', () => {
    const p = new MvoProblem({ gamma: 1, risk: factorRisk(4), tcost: [0.001, 0.002, 0.003, 0.004], constraints: { turnover: 0.3 } });
    const a = p.vectors([0.1, 0.2, 0.3, 0.4], [0, 0, 0, 0]);
    const b = p.vectors([0.5, 0.6, 0.7, 0.8], [0.1, -0.1, 0.2, 0]);
    expect([...a.q.slice(0, 4)]).toEqual([-0.1, -0.2, -0.3, -0.4]);
    expect([...b.q.slice(p.offsets.u)]).toEqual([0.001, 0.002, 0.003, 0.004]);
    expect([...a.u]).toEqual([...b.u]);
    const changed = [...a.l].map((x, i) => x !== b.l[i]).filter(Boolean).length;
    expect(changed).toBe(6); // ±w_prev of the three names whose w_prev changed
  });

  it('refuses inconsistent sizes', () => {
    expect(() => new MvoProblem({ gamma: 1, risk: factorRisk(3), tcost: [0.1, 0.2] })).toThrow(/tcost has 2 entries, expected 3/);
    expect(() => new MvoProblem({ gamma: -1, risk: factorRisk(3) })).toThrow(/gamma is -1/);
  });
});

describe('mean-variance solutions', () => {
  const sigma2 = [0.04, 0.09, 0.01, 0.0625];
  const diag: RiskModel = { kind: 'dense', sigma: sigma2.map((s, i) => sigma2.map((_, j) => (i === j ? s : 0))) };
  const mu = [0.02, -0.01, 0.005, 0.03];

  it('unconstrained: w = Σ⁻¹μ / 2γ', () => {
    const r = solve({ gamma: 2, risk: diag }, mu);
    expect(r.status).toBe('solved');
    r.w.forEach((w, i) => expect(w).toBeCloseTo(mu[i]! / (4 * sigma2[i]!), 9));
    expect(r.objective).toBeCloseTo(
      mu.reduce((a, m, i) => a + (m * m) / (8 * sigma2[i]!), 0),
      12,
    );
  });

  it('dollar neutral: w = Σ⁻¹(μ − ν1) / 2γ with ν making Σw = 0', () => {
    const nu = sum(mu.map((m, i) => m / sigma2[i]!)) / sum(sigma2.map((s) => 1 / s));
    const r = solve({ gamma: 2, risk: diag, constraints: { dollarNeutral: true } }, mu);
    r.w.forEach((w, i) => expect(w).toBeCloseTo((mu[i]! - nu) / (4 * sigma2[i]!), 9));
    expect(Math.abs(sum(r.w))).toBeLessThan(1e-12);
  });

  it('the factor form and the same Σ given densely give the same weights', () => {
    const risk = factorRisk(12);
    const sigma = risk.B.map((bi, i) =>
      risk.B.map(
        (bj, j) => (i === j ? risk.D[i]! : 0) + bi.reduce((a, x, p) => a + bj.reduce((b, y, q) => b + x * risk.F[p]![q]! * y, 0), 0),
      ),
    );
    const c: MvoConstraints = { dollarNeutral: true, gross: 1, maxWeight: 0.2, minWeight: -0.2 };
    const a = solve({ gamma: 3, risk, constraints: c, tcost: 0.001 }, alphas(12));
    const b = solve({ gamma: 3, risk: { kind: 'dense', sigma }, constraints: c, tcost: 0.001 }, alphas(12));
    a.w.forEach((w, i) => expect(w).toBeCloseTo(b.w[i]!, 8));
    expect(a.objective).toBeCloseTo(b.objective, 12);
  });
});

describe('each constraint binds when it should and always holds', () => {
  const n = 20;
  const risk = factorRisk(n);
  const mu = alphas(n, 5, 0.2);
  const holds = (r: ReturnType<typeof solve>, wPrev?: number[]): void => {
    expect(r.status).toBe('solved');
    expect(r.problem.violation(r.w, wPrev ?? new Array(n).fill(0)).by).toBeLessThan(1e-9);
  };

  it('dollar neutral', () => {
    expect(
      Math.abs(
        sum(
          solve(
            { gamma: 1, risk },
            mu.map((m) => m + 0.1),
          ).w,
        ),
      ),
    ).toBeGreaterThan(0.1);
    const r = solve(
      { gamma: 1, risk, constraints: { dollarNeutral: true } },
      mu.map((m) => m + 0.1),
    );
    holds(r);
    expect(Math.abs(sum(r.w))).toBeLessThan(1e-10);
  });

  it('gross leverage', () => {
    expect(gross(solve({ gamma: 1, risk }, mu).w)).toBeGreaterThan(1);
    const r = solve({ gamma: 1, risk, constraints: { gross: 1 } }, mu);
    holds(r);
    expect(gross(r.w)).toBeCloseTo(1, 10);
  });

  it('per-name bounds', () => {
    const r = solve({ gamma: 1, risk, constraints: { maxWeight: 0.05, minWeight: -0.03 } }, mu);
    holds(r);
    expect(Math.max(...r.w)).toBeCloseTo(0.05, 12);
    expect(Math.min(...r.w)).toBeCloseTo(-0.03, 12);
  });

  it('per-name bounds carried by the gross rows (t ± w) hold as their own rows do', () => {
    // Gross given, bounds around 0: the bounds ride on the t rows (see problem.ts). A loose gross
    // limit must leave the optimum of the bounds alone; a binding one must keep both.
    const bounds = { maxWeight: 0.05, minWeight: -0.03 };
    const own = solve({ gamma: 1, risk, constraints: bounds }, mu);
    const onT = solve({ gamma: 1, risk, constraints: { ...bounds, gross: 100 } }, mu);
    expect(onT.problem.A.nrows).toBe(own.problem.A.nrows + 2 * n + 1 - n);
    holds(onT);
    for (let i = 0; i < n; i++) expect(onT.w[i]).toBeCloseTo(own.w[i]!, 9);
    const binding = solve(
      { gamma: 1, risk, constraints: { maxWeight: 0.05, gross: 0.3 } },
      mu.map((m) => m - 0.05),
    );
    holds(binding);
    expect(gross(binding.w)).toBeCloseTo(0.3, 9);
    expect(Math.max(...binding.w)).toBeLessThanOrEqual(0.05 + 1e-12);
  });

  it('turnover', () => {
    const wPrev = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0.05 : -0.02));
    const r = solve({ gamma: 1, risk, constraints: { turnover: 0.2 } }, mu, wPrev);
    holds(r, wPrev);
    expect(gross(r.w.map((w, i) => w - wPrev[i]!))).toBeCloseTo(0.2, 10);
  });

  it('long only: names with negative alpha get nothing, a negative min_weight is read as 0', () => {
    const r = solve({ gamma: 1, risk, constraints: { longOnly: true, minWeight: -0.1, gross: 1 } }, mu);
    holds(r);
    expect(Math.min(...r.w)).toBeGreaterThanOrEqual(0);
    expect(r.w.filter((w) => w === 0).length).toBeGreaterThan(0);
  });

  it('sector neutral', () => {
    const sectors = Array.from({ length: n }, (_, i) => ['a', 'b', 'c'][i % 3]!);
    const r = solve(
      { gamma: 1, risk, constraints: { sectors } },
      mu.map((m, i) => m + (i % 3 === 0 ? 0.1 : 0)),
    );
    holds(r);
    for (const s of ['a', 'b', 'c']) expect(Math.abs(sum(r.w.filter((_, i) => sectors[i] === s)))).toBeLessThan(1e-10);
  });

  it('beta neutral', () => {
    const betas = risk.B.map((b) => b[0]!);
    const r = solve({ gamma: 1, risk, constraints: { betas, dollarNeutral: true } }, mu);
    holds(r);
    expect(Math.abs(r.w.reduce((a, w, i) => a + w * betas[i]!, 0))).toBeLessThan(1e-10);
  });

  it('transaction costs: a name trades only when its change of alpha pays the cost', () => {
    // Diagonal Σ: a name's optimum moves only with its own alpha, so the no-trade band is exactly ±tcost.
    const sigma = risk.D.map((d, i) => risk.D.map((_, j) => (i === j ? d : 0)));
    const dense: RiskModel = { kind: 'dense', sigma };
    const wPrev = solve({ gamma: 1, risk: dense }, mu).w;
    const moved = mu.map((m, i) => m + (i < 10 ? 0.0015 : 0.01) * (i % 2 === 0 ? 1 : -1));
    const r = solve({ gamma: 1, risk: dense, tcost: 0.002 }, moved, wPrev);
    holds(r, wPrev);
    r.w.forEach((w, i) => {
      if (i < 10) expect(w).toBe(wPrev[i]);
      else expect(w - wPrev[i]!).toBeCloseTo(((i % 2 === 0 ? 1 : -1) * (0.01 - 0.002)) / (2 * risk.D[i]!), 10);
    });
    expect(r.objective).toBeCloseTo(r.problem.objective(moved, wPrev, r.w), 14);
  });
});

describe('failure modes', () => {
  const risk = factorRisk(6);
  const mu = alphas(6);

  it('infeasible constraints come back as primal_infeasible, without weights', () => {
    const r = solve({ gamma: 1, risk, constraints: { dollarNeutral: true, minWeight: 0.01, maxWeight: 0.1 } }, mu);
    expect(r.status).toBe('primal_infeasible');
    expect(r.w.every(Number.isNaN)).toBe(true);
    expect(r.objective).toBeNaN();
  });

  it('min_weight > max_weight is infeasible before OSQP is asked, with the reason', () => {
    const r = solve({ gamma: 1, risk, constraints: { minWeight: 0.1, maxWeight: 0.05 } }, mu);
    expect(r.status).toBe('primal_infeasible');
    expect(r.reason).toMatch(/bounds of w\[0\]: lower bound 0.1 > upper bound 0.05/);
  });

  it('a NaN alpha is invalid input named by its index', () => {
    const r = solve({ gamma: 1, risk }, [0.01, NaN, 0, 0, 0, 0]);
    expect(r.status).toBe('invalid_input');
    expect(r.reason).toBe('mu[1] is NaN: expected a finite number');
  });

  it('a singular covariance (D = 0 for some names, rank-1 dense Σ) still solves', () => {
    const singular: FactorRisk = { ...risk, D: risk.D.map((d, i) => (i < 3 ? 0 : d)) };
    const r = solve({ gamma: 1, risk: singular, constraints: { dollarNeutral: true, gross: 1, maxWeight: 0.3, minWeight: -0.3 } }, mu);
    expect(r.status).toBe('solved');
    expect(r.problem.violation(r.w, new Array(6).fill(0)).by).toBeLessThan(1e-9);
    const b = [1, 0.5, -0.3, 2];
    const rank1: RiskModel = { kind: 'dense', sigma: b.map((x) => b.map((y) => 0.01 * x * y)) };
    const d = solve({ gamma: 1, risk: rank1, constraints: { maxWeight: 0.2, minWeight: -0.2 } }, [0.01, 0.02, -0.01, 0]);
    expect(d.status).toBe('solved');
    expect(d.problem.violation(d.w, [0, 0, 0, 0]).by).toBeLessThan(1e-9);
  });

  it("the refinement declines what it cannot certify (γ = 0), leaving OSQP's answer", () => {
    const p = new MvoProblem({ gamma: 0, risk, constraints: { maxWeight: 0.1, minWeight: -0.1 } });
    expect(refineSolution(p, mu, new Array(6).fill(0), new Array(6).fill(0))).toEqual({
      certified: false,
      reason: 'γ = 0: no quadratic term to refine on',
    });
    const r = new MvoOptimizer(p, TIGHT).solve(mu);
    expect(r.status).toBe('solved');
    expect(r.refined).toBe(false);
    r.weights.forEach((w, i) => expect(w).toBeCloseTo(Math.sign(mu[i]!) * 0.1, 6));
  });
});

describe('re-solving', () => {
  it('a warm re-solve after a small change of alpha takes fewer iterations than a cold one', () => {
    const n = 300;
    const spec: MvoSpec = {
      gamma: 2,
      risk: factorRisk(n, 7),
      tcost: 0.0005,
      constraints: { dollarNeutral: true, gross: 2, maxWeight: 0.02, minWeight: -0.02 },
    };
    const settings = { epsAbs: 1e-6, epsRel: 1e-6, polish: true, maxIter: 50_000 };
    const problem = new MvoProblem(spec);
    const warm = new MvoOptimizer(problem, settings);
    const mu0 = alphas(n, 8);
    const first = warm.solve(mu0);
    expect(first.warmStarted).toBe(false);
    const mu1 = mu0.map((m, i) => m + 0.002 * Math.sin(i));
    const again = warm.solve(mu1, first.weights);
    const cold = new MvoOptimizer(problem, settings).solve(mu1, first.weights);
    expect(again.status).toBe('solved');
    expect(again.warmStarted).toBe(true);
    expect(again.iterations).toBeLessThan(cold.iterations);
    again.weights.forEach((w, i) => expect(w).toBeCloseTo(cold.weights[i]!, 6));
  });

  it('a failed solve does not poison the next one', () => {
    const problem = new MvoProblem({ gamma: 1, risk: factorRisk(6), constraints: { turnover: 0.1, maxWeight: 0.2, minWeight: -0.2 } });
    const opt = new MvoOptimizer(problem, TIGHT);
    const ok = opt.solve(alphas(6));
    expect(ok.status).toBe('solved');
    expect(opt.solve(alphas(6), [1, 0, 0, 0, 0, 0]).status).toBe('primal_infeasible'); // must sell 0.8 > 0.1
    const after = opt.solve(alphas(6));
    expect(after.status).toBe('solved');
    after.weights.forEach((w, i) => expect(w).toBeCloseTo(ok.weights[i]!, 9));
  });
});

describe('refinement (property)', () => {
  it('agrees with a tight OSQP solve on random books, and its weights satisfy every constraint', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 14 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.record({
          dollar: fc.boolean(),
          gross: fc.boolean(),
          bounds: fc.boolean(),
          turnover: fc.boolean(),
          longOnly: fc.boolean(),
          tcost: fc.boolean(),
        }),
        (n, seed, flags) => {
          const rng = new Rng(seed);
          const wPrev = Array.from({ length: n }, () => (flags.longOnly ? 0.1 * rng.next() : 0.1 * rng.normal()));
          const constraints: MvoConstraints = {
            dollarNeutral: flags.dollar && !flags.longOnly,
            gross: flags.gross ? 0.8 : undefined,
            maxWeight: flags.bounds ? 0.15 : undefined,
            minWeight: flags.bounds ? -0.15 : undefined,
            turnover: flags.turnover ? 0.4 : undefined,
            longOnly: flags.longOnly,
          };
          const spec: MvoSpec = { gamma: 0.5 + rng.next(), risk: factorRisk(n, seed), tcost: flags.tcost ? 0.002 : 0, constraints };
          const mu = alphas(n, seed + 1, 0.1);
          const exact = solve(spec, mu, wPrev);
          const osqp = new MvoOptimizer(new MvoProblem(spec), { ...TIGHT, epsAbs: 1e-10, epsRel: 1e-10 }, { refine: false }).solve(
            mu,
            wPrev,
          );
          expect(exact.status).toBe(osqp.status === 'primal_infeasible' ? 'primal_infeasible' : 'solved');
          if (exact.status !== 'solved') return;
          expect(exact.problem.violation(exact.w, wPrev).by).toBeLessThan(1e-9);
          exact.w.forEach((w, i) => expect(Math.abs(w - osqp.weights[i]!)).toBeLessThan(1e-5));
          expect(exact.objective).toBeGreaterThanOrEqual(osqp.objective - 1e-9);
        },
      ),
      { numRuns: 60, seed: 42 },
    );
  });
});
