/**
 * `alpha risk solve PROBLEM.json`: one mean-variance problem, solved with OSQP through the same
 * problem builder as the `risk.mvo` operator. The file is validated with zod; the result is the only
 * thing written to stdout. Exit codes: 0 solved, 1 any other solver status (the JSON is still
 * printed), 2 a file that cannot be read or is malformed (the reasons, one a line, on stderr).
 */
import { z } from 'zod';
import type { RiskModel } from '../../lib/optimise/factor-model.ts';
import { MvoOptimizer, type MvoSolution } from '../../lib/optimise/optimizer.ts';
import { MvoProblem, type MvoSpec } from '../../lib/optimise/problem.ts';
import type { QpSettings } from '../../native/osqp/index.ts';
import { EXACT } from './risk-command.ts';
import { parseJsonText } from '../../lib/core/json-text.ts';
import { describeIssues } from '../../lib/core/zod-issues.ts';
import { constraintFileFields, toMvoConstraints, type ConstraintValues } from '../../lib/optimise/constraints.ts';

const finite = () => z.number({ error: 'expected a finite number' });
const nonNegative = () => finite().min(0, { error: 'expected a number >= 0' });
const vector = (item = finite()) => z.array(item, { error: 'expected an array of numbers' });
const matrix = () => z.array(vector(), { error: 'expected an array of rows (arrays of numbers)' });

const denseRisk = z.strictObject({ sigma: matrix() });
const factorRisk = z.strictObject({ B: matrix(), F: matrix(), D: vector(nonNegative()) });

const constraints = z.strictObject(
  {
    ...constraintFileFields(),
    sector: z
      .array(z.union([z.string(), z.number()], { error: 'expected a sector label (a string or a number)' }), {
        error: 'expected an array of sector labels (strings)',
      })
      .optional(),
    beta: vector().optional(),
  },
  { error: 'expected an object' },
);

type Ctx = z.core.$RefinementCtx<unknown>;
/** A message that starts after the field's name ("has 3 rows, …"). */
const fail = (ctx: Ctx, path: (string | number)[], message: string): void => {
  ctx.addIssue({ code: 'custom', path, message, params: { phrase: true } });
};

const symmetric = (ctx: Ctx, M: readonly (readonly number[])[], name: string): void => {
  for (let i = 0; i < M.length; i++)
    for (let j = 0; j < i; j++) {
      const a = M[i]![j]!,
        b = M[j]![i]!;
      if (Math.abs(a - b) > 1e-9 * Math.max(Math.abs(a), Math.abs(b), 1e-300)) {
        fail(ctx, ['risk', name], `is not symmetric: ${name}[${i}][${j}] = ${a} but ${name}[${j}][${i}] = ${b}`);
        return;
      }
    }
};

export const problemSchema = z
  .strictObject(
    {
      mu: vector().min(1, { error: 'expected at least one expected return' }),
      gamma: nonNegative(),
      risk: z.union([denseRisk, factorRisk], { error: 'expected {"sigma": [[n×n]]} or {"B": [[n×k]], "F": [[k×k]], "D": [n]}' }),
      w_prev: vector().optional(),
      tcost: z
        .union([nonNegative(), vector(nonNegative())], { error: 'expected a number >= 0 or an array of them, one per name' })
        .optional(),
      constraints: constraints.optional(),
    },
    { error: 'expected an object {"mu", "gamma", "risk", …}' },
  )
  .superRefine((p, ctx) => {
    const n = p.mu.length;
    const N = `expected n = ${n} (the length of mu)`;
    const rows = (M: readonly (readonly number[])[], name: string, want: number, wantText: string): void => {
      if (M.length !== want) fail(ctx, ['risk', name], `has ${M.length} rows, ${wantText}`);
    };
    const cols = (M: readonly (readonly number[])[], name: string, want: number, wantText: string): void => {
      const bad = M.findIndex((r) => r.length !== want);
      if (bad >= 0) fail(ctx, ['risk', name, bad], `has ${M[bad]!.length} columns, ${wantText}`);
    };
    if ('sigma' in p.risk) {
      rows(p.risk.sigma, 'sigma', n, N);
      cols(p.risk.sigma, 'sigma', n, N);
      if (p.risk.sigma.length === n && p.risk.sigma.every((r) => r.length === n)) symmetric(ctx, p.risk.sigma, 'sigma');
    } else {
      const k = p.risk.F.length;
      const K = `expected k = ${k} (the size of risk.F)`;
      rows(p.risk.B, 'B', n, N);
      cols(p.risk.B, 'B', k, K);
      cols(p.risk.F, 'F', k, `expected k = ${k} (risk.F must be square)`);
      if (p.risk.D.length !== n) fail(ctx, ['risk', 'D'], `has ${p.risk.D.length} entries, ${N}`);
      if (p.risk.F.every((r) => r.length === k)) symmetric(ctx, p.risk.F, 'F');
    }
    if (p.w_prev && p.w_prev.length !== n) fail(ctx, ['w_prev'], `has ${p.w_prev.length} entries, ${N}`);
    if (Array.isArray(p.tcost) && p.tcost.length !== n) fail(ctx, ['tcost'], `has ${p.tcost.length} entries, ${N}`);
    const c = p.constraints;
    if (c?.sector && c.sector.length !== n) fail(ctx, ['constraints', 'sector'], `has ${c.sector.length} labels, ${N}`);
    if (c?.beta && c.beta.length !== n) fail(ctx, ['constraints', 'beta'], `has ${c.beta.length} entries, ${N}`);
    if (c?.sector_neutral && !c.sector)
      fail(ctx, ['constraints', 'sector_neutral'], 'is true but constraints.sector (one label per name) is missing');
    if (c?.beta_neutral && !c.beta)
      fail(ctx, ['constraints', 'beta_neutral'], 'is true but constraints.beta (one beta per name) is missing');
  });

export type RiskProblem = z.infer<typeof problemSchema>;

/** A `risk` that failed both forms is reported against the form it meant: dense with "sigma", factor otherwise. */
function riskBranch(path: readonly PropertyKey[], value: unknown, branches: number): number | undefined {
  if (branches !== 2 || path.length !== 1 || path[0] !== 'risk') return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return 'sigma' in value ? 0 : 1;
}

/** Parses and validates the text of a problem file; errors name the file, the field and the value. */
export function parseProblem(text: string, file: string): { problem: RiskProblem } | { errors: string[] } {
  const read = parseJsonText(text);
  if ('error' in read) return { errors: [`${file}: not valid JSON: ${read.error}`] };
  const json = read.value;
  const parsed = problemSchema.safeParse(json);
  return parsed.success
    ? { problem: parsed.data }
    : { errors: describeIssues(file, json, parsed.error.issues, { pickBranch: riskBranch }) };
}

/** The problem builder's view of a problem file (absent constraints are not imposed). */
export function toMvoSpec(p: RiskProblem): MvoSpec {
  const risk: RiskModel = 'sigma' in p.risk ? { kind: 'dense', sigma: p.risk.sigma } : { kind: 'factor', ...p.risk };
  const c = p.constraints ?? {};
  const { sector, beta } = c as { sector?: (string | number)[]; beta?: number[] };
  return {
    gamma: p.gamma,
    risk,
    tcost: p.tcost ?? 0,
    constraints: toMvoConstraints(
      c as ConstraintValues,
      () => sector?.map(String),
      () => beta,
    ),
  };
}

/**
 * The command is for exact answers (reference checks, research), not speed: OSQP solves at 1e-4, the
 * active set is refined and KKT-checked (lib/optimise/refine.ts), and only when that fails does
 * OSQP go on, warm-started, to 1e-6 and then to `--eps` (1e-8).
 */
export { EXACT };
export const STAGES = [1e-4, 1e-6];

export function solveProblem(p: RiskProblem, settings: QpSettings = EXACT): MvoSolution {
  return new MvoOptimizer(new MvoProblem(toMvoSpec(p)), settings, {
    stages: STAGES,
    effort: 'thorough',
    stopwatch: () => performance.now(),
  }).solve(p.mu, p.w_prev);
}
