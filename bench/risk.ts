/**
 * `npm run bench:risk`: the mean-variance optimiser on OSQP (our native binding, problem builder and
 * refinement) against cvxpy + OSQP in Python on the same problems, in the same run.
 *
 * Problems: n = 100, 500, 2,000 names, k = 20 PCA-like factors, the seed's constraints (dollar
 * neutral, Σ|w| ≤ 2, |wᵢ| ≤ 0.05), 5 bps costs. Cold = build the problem, set up and factorise the
 * solver, solve, extract the weights: the median over `--cold` fresh problems of each size (other
 * seeds), each side solving the same ones after a first problem that warms it up (V8's JIT here, plus
 * three throwaway cold solves; cvxpy's lazy start-up there). Warm = a re-solve with μ moved (the same μ vectors on both
 * sides), the solver updated and warm-started. The warm comparison keeps w_prev = 0 on both sides (as
 * cvxpy's --repeat does); the last column is our real rebalance (w_prev = the last solution).
 *
 * The two sides do not stop the same way, so the accuracy of each cold answer is printed beside its
 * time. cvxpy: OSQP at eps 1e-6 with its polish, whose sums of per-row residuals can break Σ|w| ≤ 2
 * by ~1e-4. Ours: OSQP at eps 1e-3, then the exact refinement on the active set, kept only when it
 * passes the KKT check (weights feasible to 1e-9); if it does not, OSQP goes on to 1e-6 (see
 * lib/optimise/optimizer.ts). "certified" counts the solves the refinement certified.
 *
 * Flags: --sizes 100,500,2000  --repeats 20  --cold 7  --no-python
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { ensureResearchEnv, RESEARCH_PYTHON } from '../pipelines/cli/model.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../lib/core/rng.ts';
import { MvoProblem } from '../lib/optimise/problem.ts';
import { MvoOptimizer } from '../lib/optimise/optimizer.ts';
import { benchFlags, wholeNumber, wholeNumbers } from './flags.ts';

const flags = benchFlags('risk', {
  sizes: { type: 'string', default: '100,500,2000' },
  repeats: { type: 'string', default: '20' },
  cold: { type: 'string', default: '7' },
  'no-python': { type: 'boolean' },
});
const sizes = wholeNumbers(flags, 'sizes', { max: 100_000 });
const repeats = wholeNumber(flags, 'repeats', { max: 10_000 });
const colds = wholeNumber(flags, 'cold', { max: 1000 });
const python = flags.values['no-python'] !== true;
const K = 20;
const EPS = 1e-6;

interface Problem {
  mu: number[];
  B: number[][];
  F: number[][];
  D: number[];
}

function makeProblem(n: number, seed: number): Problem {
  const rng = new Rng(seed);
  const B = Array.from({ length: n }, () => Array.from({ length: K }, (_, j) => (j === 0 ? 1 + 0.3 * rng.normal() : 0.5 * rng.normal())));
  const F = Array.from({ length: K }, (_, a) => Array.from({ length: K }, (_, b) => (a === b ? (a === 0 ? 4e-5 : 1e-5 / (1 + a)) : 0)));
  const D = Array.from({ length: n }, () => 2e-5 * (0.5 + rng.next()));
  const mu = Array.from({ length: n }, () => 0.001 * rng.normal());
  return { mu, B, F, D };
}

/** The bench's rebalance: γ = 1000, 5 bps, the seed's constraints (the same on the cvxpy side, see problemJson). */
function mvoProblem(p: Problem): MvoProblem {
  return new MvoProblem({
    gamma: 1000,
    risk: { kind: 'factor', B: p.B, F: p.F, D: p.D },
    tcost: 0.0005,
    constraints: { dollarNeutral: true, gross: 2, maxWeight: 0.05, minWeight: -0.05 },
  });
}

function perturb(mu: readonly number[], rng: Rng): number[] {
  return mu.map((m) => m * (1 + 0.1 * rng.normal()));
}

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};

/**
 * `chase`: each re-solve takes the last solution as w_prev (a real rebalance). Otherwise w_prev stays
 * 0, as in the cvxpy runs, so both sides solve the same problems.
 */
interface Ours {
  coldMs: number;
  warm: number[];
  iterCold: number;
  iterWarm: number[];
  objective: number;
  violation: number;
  certified: number;
}

function ours(p: Problem, mus: readonly number[][], chase: boolean): Ours {
  const zero = new Float64Array(p.mu.length);
  const t0 = process.hrtime.bigint();
  const problem = mvoProblem(p);
  const optimizer = new MvoOptimizer(
    problem,
    { epsAbs: EPS, epsRel: EPS, maxIter: 20000, polish: true },
    { stopwatch: () => performance.now() },
  );
  const first = optimizer.solve(p.mu, zero);
  const weights = [...first.weights]; // extracted, as cvxpy's w.value is
  const coldMs = ms(t0);
  const warm: number[] = [];
  const iterWarm: number[] = [];
  let certified = first.refined ? 1 : 0;
  let w = first.weights;
  for (const mu of mus) {
    const prev = chase ? w : zero;
    const t = process.hrtime.bigint();
    const s = optimizer.solve(mu, prev);
    const extracted = [...s.weights];
    warm.push(ms(t));
    iterWarm.push(s.iterations);
    if (s.refined) certified++;
    if (Number.isFinite(extracted[0])) w = s.weights;
  }
  return {
    coldMs,
    warm,
    iterCold: first.iterations,
    iterWarm,
    objective: first.objective,
    violation: problem.violation(weights, zero).by,
    certified,
  };
}

/** Cold solves of fresh problems: build, set up, solve, weights out; their times and worst violation. */
function oursCold(problems: readonly Problem[]): { ms: number[]; violation: number; certified: number } {
  const ms: number[] = [];
  let violation = 0;
  let certified = 0;
  for (const p of problems) {
    const zero = new Float64Array(p.mu.length);
    const t0 = process.hrtime.bigint();
    const problem = mvoProblem(p);
    const s = new MvoOptimizer(problem, { epsAbs: EPS, epsRel: EPS, maxIter: 20000, polish: true }).solve(p.mu, zero);
    const weights = [...s.weights];
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    violation = Math.max(violation, problem.violation(weights, zero).by);
    if (s.refined) certified++;
  }
  return { ms, violation, certified };
}

const problemJson = (p: Problem): string =>
  JSON.stringify({
    mu: p.mu,
    gamma: 1000,
    risk: { B: p.B, F: p.F, D: p.D },
    tcost: 0.0005,
    constraints: { dollar_neutral: true, gross: 2, max_weight: 0.05, min_weight: -0.05 },
  });

interface Cvxpy {
  coldMs: number[];
  warmMedian: number;
  warm: number[];
  objective: number;
  violation: number;
}

function cvxpy(p: Problem, fresh: readonly Problem[], mus: readonly number[][], dir: string, n: number): Cvxpy {
  const file = join(dir, `problem-${n}.json`);
  writeFileSync(file, problemJson(p));
  const coldFiles = fresh.map((q, i) => {
    const f = join(dir, `cold-${n}-${i}.json`);
    writeFileSync(f, problemJson(q));
    return f;
  });
  const musFile = join(dir, `mus-${n}.json`);
  writeFileSync(musFile, JSON.stringify(mus));
  const out = execFileSync(
    RESEARCH_PYTHON,
    [
      'research/qp_reference.py',
      file,
      '--solver',
      'OSQP',
      '--repeat',
      String(repeats + 1),
      '--mus',
      musFile,
      '--opt',
      `eps_abs=${EPS}`,
      '--opt',
      `eps_rel=${EPS}`,
      '--opt',
      'max_iter=20000',
      '--no-weights',
      ...coldFiles.flatMap((f) => ['--cold', f]),
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  const r = JSON.parse(out) as {
    resolve_ms: number[];
    resolve_ms_median: number;
    objective: number;
    max_violation: number;
    cold: { ms: number; max_violation: number }[];
  };
  return {
    coldMs: r.cold.map((c) => c.ms),
    warm: r.resolve_ms,
    warmMedian: r.resolve_ms_median,
    objective: r.objective,
    violation: Math.max(r.max_violation, ...r.cold.map((c) => c.max_violation)),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'bench-risk-'));
const rows: string[] = [];
const line = (cells: (string | number)[]): string => cells.map((c, i) => String(c).padStart(i === 0 ? 6 : 13)).join(' ');
rows.push(
  line([
    'n',
    'ours cold p50',
    'ours warm p50',
    'warm p99',
    'iters c/w',
    'certified',
    'cvxpy cold p50',
    'cvxpy warm p50',
    'cold ratio',
    'warm ratio',
    'ours viol',
    'cvxpy viol',
    'Δobjective',
    'rebalance p50',
  ]),
);
if (python) ensureResearchEnv();
for (const n of sizes) {
  const p = makeProblem(n, n);
  const fresh = Array.from({ length: colds }, (_, i) => makeProblem(n, 1000 * n + i + 1));
  const rng = new Rng(99);
  const mus = Array.from({ length: repeats }, () => perturb(p.mu, rng));
  ours(p, mus, false); // warm-up of the JIT
  const a = ours(p, mus, false);
  const chase = ours(p, mus, true);
  oursCold(Array.from({ length: 3 }, (_, i) => makeProblem(n, 1000 * n + 100 + i))); // the JIT, on the cold path
  const cold = oursCold(fresh);
  const b = python ? cvxpy(p, fresh, mus, dir, n) : undefined;
  const warm50 = pct(a.warm, 0.5);
  const cold50 = pct(cold.ms, 0.5);
  const cvxCold50 = b ? pct(b.coldMs, 0.5) : NaN;
  rows.push(
    line([
      n,
      cold50.toFixed(1),
      warm50.toFixed(2),
      pct(a.warm, 0.99).toFixed(2),
      `${a.iterCold}/${pct(a.iterWarm, 0.5)}`,
      `${a.certified + chase.certified - 1 + cold.certified}/${2 * repeats + 1 + colds}`,
      b ? cvxCold50.toFixed(1) : '-',
      b ? b.warmMedian.toFixed(2) : '-',
      b ? `${(cvxCold50 / cold50).toFixed(1)}×` : '-',
      b ? `${(b.warmMedian / warm50).toFixed(1)}×` : '-',
      Math.max(a.violation, cold.violation).toExponential(0),
      b ? b.violation.toExponential(0) : '-',
      b ? (a.objective - b.objective).toExponential(1) : '-',
      `${pct(chase.warm, 0.5).toFixed(2)} (${pct(chase.iterWarm, 0.5)} it)`,
    ]),
  );
}
process.stdout.write(`mean-variance rebalance, k = ${K} factors, ${repeats} warm re-solves (μ moved by 10%, the same μ on both sides)\n`);
process.stdout.write(`${rows.join('\n')}\n`);
process.stdout.write(
  `ratio = cvxpy time / our time (cold: build + set up + solve + weights out, median of ${colds} fresh problems; warm: one re-solve, w_prev = 0 on both sides)\n`,
);
process.stdout.write(
  `ours: OSQP at eps 1e-3, then the exact active-set refinement when it passes the KKT check, else OSQP on to eps ${EPS}; ` +
    `cvxpy: OSQP at eps ${EPS} with polish\n`,
);
process.stdout.write(
  'certified = our solves (cold, warm and rebalance) the refinement certified; viol = largest constraint violation of the cold weights; ' +
    "Δobjective = ours − cvxpy (maximised, so > 0 is better unless cvxpy's viol is what bought it)\n",
);
process.stdout.write('rebalance = our warm re-solve when w_prev is the last solution (the cost kink sits at the warm start)\n');
