/**
 * The constraints of the mean-variance problem, defined once: their names as users write them (in
 * `risk.mvo`'s params and in `alpha risk solve`'s problem files), what each means, and how they become
 * the problem builder's `MvoConstraints`. The two schemas differ only in what an absent field means:
 * a default for the operator, "not imposed" for a problem file.
 */
import { z } from 'zod';
import type { MvoConstraints } from './problem.ts';

type Kind = 'flag' | 'weight' | 'cap';

/** Every constraint, in the order they are documented. */
export const MVO_CONSTRAINTS = {
  dollar_neutral: { kind: 'flag', default: true, description: 'Σw = 0.' },
  gross: { kind: 'cap', default: 2, description: 'Cap on gross leverage Σ|w|.' },
  max_weight: { kind: 'weight', default: 0.05, description: 'Upper bound of each weight.' },
  min_weight: { kind: 'weight', default: -0.05, description: 'Lower bound of each weight (raised to 0 when long_only).' },
  turnover: { kind: 'cap', default: undefined, description: 'Cap on Σ|w − w_prev| per rebalance; none by default.' },
  long_only: { kind: 'flag', default: false, description: 'w ≥ 0 (a negative min_weight is then read as 0).' },
  sector_neutral: { kind: 'flag', default: false, description: 'Net weight 0 in every sector.' },
  beta_neutral: { kind: 'flag', default: false, description: 'βᵀw = 0.' },
} as const satisfies Record<string, { kind: Kind; default: boolean | number | undefined; description: string }>;

export type ConstraintName = keyof typeof MVO_CONSTRAINTS;

/** The constraints as users write them; an absent one is not imposed. */
export type ConstraintValues = {
  [K in ConstraintName]?: ((typeof MVO_CONSTRAINTS)[K]['kind'] extends 'flag' ? boolean : number) | undefined;
};

/** The constraints of `risk.mvo` after its defaults (only turnover may be absent). */
export type ParamConstraints = { [K in Exclude<ConstraintName, 'turnover'>]-?: Exclude<ConstraintValues[K], undefined> } & {
  turnover?: number | undefined;
};

/** The defaults of `risk.mvo` (turnover has none). */
export const DEFAULT_CONSTRAINTS = Object.fromEntries(
  Object.entries(MVO_CONSTRAINTS)
    .filter(([, c]) => c.default !== undefined)
    .map(([name, c]) => [name, c.default]),
) as {
  [K in ConstraintName as (typeof MVO_CONSTRAINTS)[K]['default'] extends undefined ? never : K]: (typeof MVO_CONSTRAINTS)[K]['default'];
};

const errors = {
  flag: 'expected true or false',
  weight: 'expected a finite number',
  cap: 'expected a number >= 0',
};

/** The zod type of one constraint's value, for a topology (`param`, ranged) or a problem file (`file`). */
function valueSchema(kind: Kind, mode: 'param' | 'file'): z.ZodBoolean | z.ZodNumber {
  if (kind === 'flag') return z.boolean({ error: errors.flag });
  const number = z.number({ error: mode === 'file' ? errors[kind] : undefined });
  if (mode === 'file') return kind === 'cap' ? number.min(0, { error: errors.cap }) : number;
  return kind === 'cap' ? number.positive().max(10) : number.min(-1).max(1);
}

/** The constraints object of `risk.mvo`'s params, with its defaults and the conflicts refused. */
export function constraintParams(): z.ZodType<ParamConstraints, ConstraintValues> {
  return z.strictObject(constraintShape('param')).superRefine((c, ctx) => {
    for (const { field, message } of constraintConflicts(c as ConstraintValues)) ctx.addIssue({ code: 'custom', path: [field], message });
  }) as unknown as z.ZodType<ParamConstraints, ConstraintValues>;
}

/** The constraints object of a problem file: every field optional; conflicts are the solver's to report (infeasible). */
export function constraintFileFields(): Record<ConstraintName, z.ZodType> {
  return constraintShape('file');
}

/** The fields of the constraints object: with the operator's defaults (`param`) or all optional (`file`). */
function constraintShape(mode: 'param' | 'file'): Record<ConstraintName, z.ZodType> {
  return Object.fromEntries(
    Object.entries(MVO_CONSTRAINTS).map(([name, c]) => {
      const value = valueSchema(c.kind, mode).describe(c.description);
      return [name, mode === 'param' && c.default !== undefined ? (value as z.ZodType<unknown>).default(c.default) : value.optional()];
    }),
  ) as unknown as Record<ConstraintName, z.ZodType>;
}

/** Constraints that contradict each other, each with the field to blame. */
export function constraintConflicts(c: ConstraintValues): { field: ConstraintName; message: string }[] {
  const out: { field: ConstraintName; message: string }[] = [];
  const { min_weight: lo, max_weight: hi } = c;
  if (lo !== undefined && hi !== undefined && lo > hi)
    out.push({ field: 'min_weight', message: `min_weight (${lo}) must be <= max_weight (${hi})` });
  if (c.long_only && hi !== undefined && hi <= 0) out.push({ field: 'max_weight', message: 'long_only needs max_weight > 0' });
  if (c.long_only && c.dollar_neutral)
    out.push({ field: 'long_only', message: 'long_only with dollar_neutral leaves only w = 0: set dollar_neutral: false' });
  if (c.dollar_neutral && !c.long_only && ((lo ?? 0) > 0 || (hi ?? 0) < 0)) {
    out.push({ field: 'dollar_neutral', message: 'dollar_neutral needs min_weight <= 0 <= max_weight' });
  }
  return out;
}

/** The problem builder's constraints; sectors and betas are given only when their neutrality is asked. */
export function toMvoConstraints(
  c: ConstraintValues,
  sectors: () => readonly string[] | undefined,
  betas: () => readonly number[] | undefined,
): MvoConstraints {
  return {
    dollarNeutral: c.dollar_neutral,
    gross: c.gross,
    maxWeight: c.max_weight,
    minWeight: c.min_weight,
    turnover: c.turnover,
    longOnly: c.long_only,
    sectors: c.sector_neutral ? sectors() : undefined,
    betas: c.beta_neutral ? betas() : undefined,
  };
}
