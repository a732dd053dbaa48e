import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { QpSolver, solveQP, cscFromDense } from '../../native/osqp/index.ts';
import type { CscMatrix, QpProblem, QpResult } from '../../native/osqp/index.ts';
import { halfPlane, noConstraints, unconstrained } from './problems.ts';

const TIGHT = { epsAbs: 1e-9, epsRel: 1e-9, polish: true, maxIter: 20000 } as const;

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(Math.abs((actual[i] ?? NaN) - e)).toBeLessThan(tol));
}

/** y = M·x for a CSC M; with `transpose`, y = Mᵀ·x. */
function mul(M: CscMatrix, x: ArrayLike<number>, transpose = false): Float64Array {
  const y = new Float64Array(transpose ? M.ncols : M.nrows);
  for (let j = 0; j < M.ncols; j++) {
    for (let k = M.colptr[j]!; k < M.colptr[j + 1]!; k++) {
      const i = M.rowind[k]!;
      const v = M.values[k]!;
      if (transpose) y[j]! += v * x[i]!;
      else y[i]! += v * x[j]!;
    }
  }
  return y;
}

/** Deterministic uniform [0, 1) numbers (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A long-only mean-variance portfolio: P = 2(FᵀF + D) (full symmetric), weights
 * sum to 1, 0 ≤ w ≤ cap, and a few random two-sided linear constraints.
 */
function portfolio(n: number, seed: number): QpProblem {
  const rand = rng(seed);
  const k = 10;
  const F = Array.from({ length: k }, () => Array.from({ length: n }, () => rand() - 0.5));
  const P = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      let s = i === j ? 0.05 + 0.1 * rand() : 0;
      for (let f = 0; f < k; f++) s += F[f]![i]! * F[f]![j]!;
      return 2 * s;
    }),
  );
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) P[i]![j] = P[j]![i]!;
  const q = Array.from({ length: n }, () => -0.2 * rand());
  const rows: number[][] = [Array.from({ length: n }, () => 1)];
  const l = [1];
  const u = [1];
  for (let i = 0; i < n; i++) {
    rows.push(Array.from({ length: n }, (_, j) => (j === i ? 1 : 0)));
    l.push(0);
    u.push(0.02);
  }
  for (let c = 0; c < 5; c++) {
    rows.push(Array.from({ length: n }, () => (rand() < 0.3 ? rand() - 0.5 : 0)));
    l.push(-0.01);
    u.push(0.01);
  }
  return { P: cscFromDense(P), q, A: cscFromDense(rows), l, u };
}

/** Checks the KKT conditions of a solution to `tol`. */
function expectKkt(problem: QpProblem, r: QpResult, tol: number): void {
  const { P, q, A, l, u } = problem;
  const Ax = mul(A, r.x);
  const grad = mul(P, r.x);
  const Aty = mul(A, r.y, true);
  for (let j = 0; j < grad.length; j++) {
    // stationarity: Px + q + Aᵀy = 0
    expect(Math.abs(grad[j]! + q[j]! + Aty[j]!)).toBeLessThan(tol);
  }
  for (let i = 0; i < Ax.length; i++) {
    // primal feasibility, and complementary slackness: y > 0 only at u, y < 0 only at l
    expect(Ax[i]!).toBeGreaterThan(l[i]! - tol);
    expect(Ax[i]!).toBeLessThan(u[i]! + tol);
    const y = r.y[i]!;
    if (y > tol) expect(Math.abs(Ax[i]! - u[i]!)).toBeLessThan(tol);
    if (y < -tol) expect(Math.abs(Ax[i]! - l[i]!)).toBeLessThan(tol);
  }
  let objective = 0;
  r.x.forEach((x, j) => (objective += 0.5 * x * grad[j]! + q[j]! * x));
  expect(Math.abs(r.objective - objective)).toBeLessThan(1e-6 * Math.max(1, Math.abs(objective)));
}

describe('native OSQP binding', () => {
  it('solves a small QP to its analytic optimum', () => {
    const r = solveQP(halfPlane(), TIGHT);
    expect(r.status).toBe('solved');
    expectClose(r.x, [0, 1]);
    expectClose(r.y, [2]); // Px + q + Aᵀy = 0 → y = 2 on the active upper bound
    expect(r.objective).toBeCloseTo(-3, 6);
    expect(r.iterations).toBeGreaterThan(0);
    expect(r.solveMs).toBeGreaterThanOrEqual(0);
    expect(r.x).toBeInstanceOf(Float64Array);
  });

  it('handles equality and inequality constraints together', () => {
    // minimise ‖x‖² s.t. x0 + x1 + x2 = 1, x0 ≥ 0.5 → x = (0.5, 0.25, 0.25)
    const r = solveQP(
      {
        P: cscFromDense([
          [2, 0, 0],
          [0, 2, 0],
          [0, 0, 2],
        ]),
        q: [0, 0, 0],
        A: cscFromDense([
          [1, 1, 1],
          [1, 0, 0],
        ]),
        l: [1, 0.5],
        u: [1, Infinity],
      },
      TIGHT,
    );
    expect(r.status).toBe('solved');
    expectClose(r.x, [0.5, 0.25, 0.25]);
    expectClose(r.y, [-0.5, -0.5]);
    expect(r.objective).toBeCloseTo(0.375, 6);
  });

  it('accepts a full symmetric P as well as its upper triangle', () => {
    const full = solveQP(
      {
        ...halfPlane(),
        P: cscFromDense([
          [2, 0.5],
          [0.5, 2],
        ]),
      },
      TIGHT,
    );
    const upper = solveQP(
      {
        ...halfPlane(),
        P: cscFromDense([
          [2, 0.5],
          [0, 2],
        ]),
      },
      TIGHT,
    );
    expect(full.status).toBe('solved');
    expectClose(full.x, Array.from(upper.x), 1e-9);
  });

  it('solves an unconstrained problem (m = 0)', () => {
    // minimise ½xᵀPx + qᵀx → Px = −q
    const r = solveQP(
      unconstrained(
        [
          [4, 1],
          [1, 2],
        ],
        [1, 1],
      ),
      TIGHT,
    );
    expect(r.status).toBe('solved');
    expectClose(r.x, [-1 / 7, -3 / 7]);
    expect(r.y).toHaveLength(0);
  });

  it('updates l and u without rebuilding the solver', () => {
    const solver = new QpSolver(halfPlane(1), TIGHT);
    expectClose(solver.solve().x, [0, 1]);
    solver.update({ u: [2] });
    expectClose(solver.solve().x, [0.5, 1.5]);
    solver.update({ l: [4], u: [5] }); // now x0 + x1 ≥ 4 is active
    const r = solver.solve();
    expect(r.status).toBe('solved');
    expectClose(r.x, [1.5, 2.5]);
    expect(r.y[0]).toBeLessThan(0);
    solver.update({ q: [0, 0], l: [-Infinity], u: [Infinity] });
    expectClose(solver.solve().x, [0, 0]);
  });

  it('changes tolerances and polish after set-up, and refuses settings fixed at set-up', () => {
    const problem = portfolio(100, 3);
    const solver = new QpSolver(problem, { epsAbs: 1e-3, epsRel: 1e-3, checkTermination: 5, polish: false });
    const loose = solver.solve();
    expect(loose.status).toBe('solved');
    expect(loose.polish).toBe('unperformed');
    solver.updateSettings({ epsAbs: 1e-8, epsRel: 1e-8, polish: true });
    const tight = solver.solve(); // warm-started from the loose solution: same factorisation, more iterations
    expect(tight.status).toBe('solved');
    expect(tight.iterations).toBeGreaterThan(0);
    expect(tight.primalResidual).toBeLessThan(loose.primalResidual);
    expect(tight.polish).not.toBe('unperformed');
    expectKkt(problem, tight, 1e-6);
    expect(tight.iterateMs).toBeGreaterThanOrEqual(0);
    expect(tight.polishMs).toBeGreaterThanOrEqual(0);
    expect(Number.isInteger(tight.rhoUpdates)).toBe(true);
    expect(() => solver.updateSettings({ scaling: 0 } as never)).toThrow(/settings.scaling is fixed at set-up/);
    expect(() => solver.updateSettings({ epsAbs: -1 })).toThrow(TypeError);
  });

  it('re-solves in fewer iterations when warm started after a small change of q', () => {
    const problem = portfolio(200, 7);
    const settings = { epsAbs: 1e-5, epsRel: 1e-5, checkTermination: 5 };
    const q2 = Array.from(problem.q, (v, i) => v * 1.02 + (i % 3 === 0 ? 1e-4 : 0));

    const solver = new QpSolver(problem, settings);
    const first = solver.solve();
    expect(first.status).toBe('solved');
    solver.update({ q: q2 });
    const warm = solver.solve();

    const coldSolver = new QpSolver({ ...problem, q: q2 }, { ...settings, warmStart: false });
    const cold = coldSolver.solve();
    expect(warm.status).toBe('solved');
    expect(cold.status).toBe('solved');
    expect(warm.iterations).toBeLessThan(cold.iterations);

    // An explicit warm start from the first solution helps a fresh solver the same way.
    const fresh = new QpSolver({ ...problem, q: q2 }, settings);
    fresh.warmStart(first.x, first.y);
    expect(fresh.solve().iterations).toBeLessThan(cold.iterations);
  });

  it('satisfies the KKT conditions on a 300-variable random problem', () => {
    const problem = portfolio(300, 42);
    const r = solveQP(problem, { epsAbs: 1e-8, epsRel: 1e-8, polish: true, maxIter: 50000 });
    expect(r.status).toBe('solved');
    expect(r.x).toHaveLength(300);
    expect(r.y).toHaveLength(306);
    expectKkt(problem, r, 1e-6);
    expect(r.primalResidual).toBeLessThan(1e-6);
    expect(r.dualResidual).toBeLessThan(1e-6);
  });

  it('reports a primal infeasible problem, with infinite bounds', () => {
    // x0 + x1 ≥ 3 but x0 ≤ 1 and x1 ≤ 1
    const r = solveQP({
      P: cscFromDense([
        [2, 0],
        [0, 2],
      ]),
      q: [1, 1],
      A: cscFromDense([
        [1, 1],
        [1, 0],
        [0, 1],
      ]),
      l: [3, -Infinity, -Infinity],
      u: [Infinity, 1, 1],
    });
    expect(r.status).toBe('primal_infeasible');
    expect(r.objective).toBe(Infinity);
    expect(Array.from(r.x).every(Number.isNaN)).toBe(true);
  });

  it('reports a dual infeasible (unbounded) problem', () => {
    // minimise −x0 with x0 ≥ 0 and nothing above it
    const r = solveQP({
      P: { nrows: 2, ncols: 2, colptr: [0, 0, 0], rowind: [], values: [] },
      q: [-1, 0],
      A: cscFromDense([
        [1, 0],
        [0, 1],
      ]),
      l: [0, 0],
      u: [Infinity, 1],
    });
    expect(r.status).toBe('dual_infeasible');
    expect(r.objective).toBe(-Infinity);
  });

  it('reports max_iter_reached with the last iterate', () => {
    const r = solveQP(portfolio(100, 3), { maxIter: 5, epsAbs: 1e-12, epsRel: 1e-12 });
    expect(r.status).toBe('max_iter_reached');
    expect(r.iterations).toBe(5);
    expect(Array.from(r.x).every(Number.isFinite)).toBe(true);
  });

  it('reports time_limit_reached', () => {
    const r = solveQP(portfolio(100, 3), { timeLimitMs: 1e-6, epsAbs: 1e-12, epsRel: 1e-12, maxIter: 100000 });
    expect(r.status).toBe('time_limit_reached');
  });

  it('uses an explicit warm start for one solve only when warmStart is off', () => {
    const problem = portfolio(100, 5);
    // fixed rho, so that every cold solve takes the same path
    const settings = { epsAbs: 1e-5, epsRel: 1e-5, checkTermination: 5, warmStart: false, adaptiveRho: false };
    const solver = new QpSolver(problem, settings);
    const cold = solver.solve();
    expect(solver.solve().iterations).toBe(cold.iterations);
    solver.warmStart(cold.x, cold.y);
    expect(solver.solve().iterations).toBeLessThan(cold.iterations);
    expect(solver.solve().iterations).toBe(cold.iterations);
  });

  it('reports overflow as solver_error, never as solved with NaN, and recovers', () => {
    // OSQP 0.6.3 itself says "solved" with x = NaN here.
    const P = {
      nrows: 3,
      ncols: 3,
      colptr: [0, 2, 4, 7],
      rowind: [1, 2, 0, 2, 0, 1, 2],
      values: [-1e30, 1e-300, -1e30, 1e150, 1e-300, 1e150, 1e308],
    };
    const solver = new QpSolver({ P, q: [1e150, -1e300, 1e308], A: noConstraints(3), l: [], u: [] });
    const r = solver.solve();
    expect(r.status).toBe('solver_error');
    expect(r.reason).toMatch(/overflowed/);
    solver.update({ q: [0, 0, 1] });
    const next = solver.solve();
    expect(next.status).toBe('solved');
    expect(Array.from(next.x).every(Number.isFinite)).toBe(true);
  });

  it('reports a non-convex P instead of solving it', () => {
    const negativeDiagonal = solveQP({
      ...halfPlane(),
      P: cscFromDense([
        [-1, 0],
        [0, 2],
      ]),
    });
    expect(negativeDiagonal.status).toBe('non_convex');
    expect(negativeDiagonal.reason).toMatch(/P\[0,0\] = -1/);
    const indefinite = solveQP(
      unconstrained(
        [
          [1, 2],
          [2, 1],
        ],
        [0, 0],
      ),
    );
    expect(indefinite.status).toBe('non_convex');
  });

  it('turns NaN in q, l or u into invalid_input without poisoning later solves', () => {
    const atSetup = solveQP({ ...halfPlane(), q: [NaN, -4] });
    expect(atSetup.status).toBe('invalid_input');
    expect(atSetup.reason).toMatch(/^q\[0\] is NaN/);
    expect(Array.from(atSetup.x).every(Number.isNaN)).toBe(true);

    const solver = new QpSolver(halfPlane(), TIGHT);
    solver.update({ q: [-2, NaN] });
    expect(solver.solve()).toMatchObject({ status: 'invalid_input', iterations: 0 });
    solver.update({ q: [-2, -4], l: [NaN] });
    expect(solver.solve().reason).toMatch(/^l\[0\] = NaN/);
    solver.update({ l: [2], u: [1] });
    expect(solver.solve().reason).toMatch(/l\[0\] = 2 > u\[0\] = 1/);
    solver.update({ l: [-Infinity] });
    const recovered = solver.solve();
    expect(recovered.status).toBe('solved');
    expectClose(recovered.x, [0, 1]);

    // A solver set up with NaN gets the real data once it is valid.
    const late = new QpSolver({ ...halfPlane(), q: [NaN, NaN] }, TIGHT);
    late.update({ q: [-2, -4] });
    expectClose(late.solve().x, [0, 1]);
  });

  it('throws a TypeError naming the field for malformed arguments', () => {
    const p = halfPlane();
    expect(() => new QpSolver({ ...p, q: [1, 2, 3] })).toThrow(new TypeError('q has length 3, expected n = 2'));
    expect(() => new QpSolver({ ...p, l: [] })).toThrow(/^l has length 0, expected m = A.nrows = 1$/);
    expect(() => new QpSolver({ ...p, A: cscFromDense([[1, 1, 1]]) })).toThrow(/A has 3 columns but P is 2 x 2/);
    expect(
      () =>
        new QpSolver({
          ...p,
          P: cscFromDense([
            [1, 0, 0],
            [0, 1, 0],
          ]),
        }),
    ).toThrow(/P is 2 x 3/);
    expect(() => new QpSolver({ ...p, P: { ...p.P, colptr: [0, 1] } })).toThrow(/P.colptr has length 2, expected ncols \+ 1 = 3/);
    expect(() => new QpSolver({ ...p, A: { ...p.A, rowind: [0, 5] } })).toThrow(/A.rowind\[1\] = 5 is out of range/);
    expect(() => new QpSolver({ ...p, A: { ...p.A, values: [1, NaN] } })).toThrow(/A.values\[1\] is NaN/);
    expect(() => new QpSolver({ ...p, P: { ...p.P, rowind: [0, 1.5] } })).toThrow(/P.rowind\[1\] must be a non-negative 32-bit integer/);
    expect(() => new QpSolver({ ...p, q: [1, '2'] as unknown as number[] })).toThrow(/q\[1\] must be a number/);
    expect(
      () =>
        new QpSolver({
          ...p,
          P: cscFromDense([
            [2, 1],
            [0.5, 2],
          ]),
        }),
    ).toThrow(/P has entries below the diagonal, so it must be symmetric/);
    expect(() => new QpSolver(p, { maxIter: 0 })).toThrow(/settings.maxIter must be an integer from 1 to 2,147,483,647, got number 0/);
    expect(() => new QpSolver(p, { maxIters: 10 } as never)).toThrow(/settings.maxIters is not a setting/);

    const solver = new QpSolver(p);
    expect(() => solver.update({ u: [1, 2] })).toThrow(new TypeError('u has length 2, expected m = 1'));
    expect(() => solver.update({ q: [1] })).toThrow(TypeError);
    expect(() => solver.warmStart([0, 0], [])).toThrow(/y has length 0, expected m = 1/);
    expect(() => solver.warmStart([0, NaN], [0])).toThrow(/x\[1\] is NaN; a warm start must be finite/);
    // the failed calls left the solver as it was
    expect(solver.solve().status).toBe('solved');
  });

  it('keeps stdout clean: verbose output goes to stderr, and nothing without verbose', () => {
    const script = fileURLToPath(new URL('./fixtures/osqp-verbose.ts', import.meta.url));
    const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
    const run = (verbose: boolean) =>
      spawnSync(process.execPath, ['--import', 'tsx', script, String(verbose)], { encoding: 'utf8', cwd: repoRoot });
    const loud = run(true);
    expect(loud.status).toBe(0);
    expect(loud.stdout).toBe('');
    expect(loud.stderr).toMatch(/OSQP v0\.6\.3/);
    const quiet = run(false);
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).not.toMatch(/OSQP|ERROR/);
  });
});
