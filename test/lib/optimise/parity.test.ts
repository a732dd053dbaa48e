/**
 * Parity with independent reference solutions: every test/fixtures/qp/*.json (a problem in the
 * `alpha risk solve` format and a reference {status, weights, objective}) is parsed and solved the way
 * the command does, and test/fixtures/qp/known/*.json (OSQP-form problems with a known optimum) are
 * solved by the binding. The fixtures are globbed when the file loads, so new ones are picked up.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cscFromDense, solveQP, type CscMatrix } from '../../../native/osqp/index.ts';
import { MvoProblem } from '../../../lib/optimise/problem.ts';
import { parseProblem, solveProblem, toMvoSpec } from '../../../pipelines/cli/risk.ts';

const DIR = fileURLToPath(new URL('../../fixtures/qp/', import.meta.url));
const KNOWN = `${DIR}known/`;
const jsonFiles = (dir: string): string[] =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
    : [];

/** A test per JSON file of `dir`, each fixture read and handed to `check`, and a test that `dir` holds some. */
function eachFixture<T>(dir: string, check: (fixture: T, file: string) => void, timeout?: number): void {
  const files = jsonFiles(dir);

  it('has fixtures to check', () => {
    expect(files.length, `no fixtures in ${dir}`).toBeGreaterThan(0);
  });

  for (const file of files) it(file, () => check(JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as T, file), timeout);
}

const WEIGHT_TOL = 1e-4;
const OBJECTIVE_REL_TOL = 1e-6;
const relError = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

interface Fixture {
  name: string;
  description: string;
  problem: unknown;
  reference: { status: string; weights?: number[] | null; objective?: number | null };
}

describe('parity with the reference solutions in test/fixtures/qp', () => {
  eachFixture<Fixture>(
    DIR,
    (fx, file) => {
      const parsed = parseProblem(JSON.stringify(fx.problem), file);
      if ('errors' in parsed) throw new Error(parsed.errors.join('\n'));
      const p = parsed.problem;
      const r = solveProblem(p);
      const status = fx.reference.status.toLowerCase();
      if (status === 'optimal' || status === 'solved') {
        expect(r.status, `${fx.name}: ${r.reason ?? ''}`).toBe('solved');
        const ref = fx.reference.weights!;
        expect(r.weights).toHaveLength(ref.length);
        const worst = ref.reduce((a, w, i) => Math.max(a, Math.abs(w - r.weights[i]!)), 0);
        expect(worst, `${fx.name}: largest weight difference`).toBeLessThan(WEIGHT_TOL);
        expect(
          relError(r.objective, fx.reference.objective!),
          `${fx.name}: objective ${r.objective} vs ${fx.reference.objective}`,
        ).toBeLessThan(OBJECTIVE_REL_TOL);
        const problem = new MvoProblem(toMvoSpec(p));
        expect(problem.violation(r.weights, p.w_prev ?? new Array(p.mu.length).fill(0)).by).toBeLessThan(1e-8);
      } else if (status.startsWith('infeasible')) {
        expect(r.status).toMatch(/^primal_infeasible/);
      } else {
        expect(r.status).not.toBe('solved');
      }
    },
    180_000,
  );
});

interface KnownQp {
  name: string;
  P: number[][] | CscMatrix;
  q: number[];
  A: number[][] | CscMatrix;
  l: (number | null)[];
  u: (number | null)[];
  optimal_objective: number;
  optimal_x?: number[];
}

const matrix = (m: number[][] | CscMatrix, ncols: number): CscMatrix => (Array.isArray(m) ? cscFromDense(m, ncols) : m);
/** JSON has no infinity: null or |x| ≥ 1e20 stand for it. */
const bound = (x: number | null, sign: number): number => (x === null || Math.abs(x) >= 1e20 ? sign * Infinity : x);

describe('known OSQP problems in test/fixtures/qp/known', () => {
  eachFixture<KnownQp>(KNOWN, (k) => {
    const n = k.q.length;
    const r = solveQP(
      {
        P: matrix(k.P, n),
        q: k.q,
        A: matrix(k.A, n),
        l: k.l.map((x) => bound(x, -1)),
        u: k.u.map((x) => bound(x, 1)),
      },
      { epsAbs: 1e-9, epsRel: 1e-9, polish: true, maxIter: 100_000 },
    );
    expect(r.status).toBe('solved');
    expect(Math.abs(r.objective - k.optimal_objective)).toBeLessThanOrEqual(
      OBJECTIVE_REL_TOL * Math.max(Math.abs(k.optimal_objective), 1e-3),
    );
    k.optimal_x?.forEach((x, i) => expect(Math.abs(r.x[i]! - x)).toBeLessThan(WEIGHT_TOL));
  });
});
