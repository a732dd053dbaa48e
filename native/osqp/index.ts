/**
 * Typed wrapper around the native OSQP 0.6.3 binding (./osqp.node, built by
 * `napi build`, see README.md): solves minimise ½xᵀPx + qᵀx subject to
 * l ≤ Ax ≤ u. A {@link QpSolver} factorises once and re-solves cheaply after
 * {@link QpSolver.update} changes q, l or u.
 *
 * Malformed arguments throw a `TypeError` naming the field. Anything about the
 * data itself — infeasible, unbounded, non-convex, NaN in q/l/u, l > u — comes
 * back as a {@link QpStatus}, so a pipeline can dead-letter it.
 *
 * @example
 * ```ts
 * // minimise x0² + x1² − 2x0 − 4x1  subject to  x0 + x1 ≤ 1
 * const r = solveQP({
 *   P: cscFromDense([[2, 0], [0, 2]]), q: [-2, -4],
 *   A: cscFromDense([[1, 1]]), l: [-Infinity], u: [1],
 * }, { polish: true });
 * r.status; // 'solved'; r.x ≈ [0, 1]
 * ```
 */
import { addonLoader } from '../load.ts';
/** A sparse matrix in compressed sparse column form (0-based, rows sorted within each column). */
export interface CscMatrix {
  readonly nrows: number;
  readonly ncols: number;
  /** Length ncols + 1; column j holds entries colptr[j] .. colptr[j+1]-1. */
  readonly colptr: ArrayLike<number>;
  readonly rowind: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

/**
 * minimise ½xᵀPx + qᵀx subject to l ≤ Ax ≤ u, with x of length n and m constraints.
 * P (n×n, positive semidefinite) is either its upper triangle, as OSQP stores it,
 * or the full symmetric matrix (checked, then its upper triangle is used).
 * A is m×n (m may be 0). Bounds may be ±Infinity.
 */
export interface QpProblem {
  readonly P: CscMatrix;
  readonly q: ArrayLike<number>;
  readonly A: CscMatrix;
  readonly l: ArrayLike<number>;
  readonly u: ArrayLike<number>;
}

/** Solver settings; each absent one takes the default shown. */
export interface QpSettings {
  /** Absolute tolerance. Default 1e-3. */
  epsAbs?: number;
  /** Relative tolerance. Default 1e-3. */
  epsRel?: number;
  /** Primal infeasibility tolerance. Default 1e-4. */
  epsPrimInf?: number;
  /** Dual infeasibility tolerance. Default 1e-4. */
  epsDualInf?: number;
  /** Maximum ADMM iterations. Default 4000. */
  maxIter?: number;
  /** ADMM step rho. Default 0.1. */
  rho?: number;
  /** ADMM step sigma. Default 1e-6. */
  sigma?: number;
  /** Relaxation parameter, in (0, 2). Default 1.6. */
  alpha?: number;
  /** Polishing regularisation. Default 1e-6. */
  delta?: number;
  /** Refine a solved solution by solving the active-set KKT system. Default false. */
  polish?: boolean;
  /** Iterative refinement steps when polishing. Default 3. */
  polishRefineIter?: number;
  /** Start each solve from the previous solution. Default true. */
  warmStart?: boolean;
  /** Print OSQP's banner and progress, to stderr (never stdout). Default false. */
  verbose?: boolean;
  /** Adapt rho during the solve. Default true. */
  adaptiveRho?: boolean;
  /** Iterations between rho adaptations; 0 lets OSQP pick from timing (not reproducible). Default 4 × checkTermination (100). */
  adaptiveRhoInterval?: number;
  /** Ruiz scaling iterations; 0 disables scaling. Default 10. */
  scaling?: number;
  /** Test termination on the scaled problem. Default false. */
  scaledTermination?: boolean;
  /** Iterations between termination checks; 0 disables them (runs to maxIter). Default 25. */
  checkTermination?: number;
  /** Wall-clock limit per solve in milliseconds (the first also counts setup); 0 = none. Default 0. */
  timeLimitMs?: number;
}

export type QpStatus =
  | 'solved'
  | 'solved_inaccurate'
  | 'max_iter_reached'
  | 'time_limit_reached'
  | 'primal_infeasible'
  | 'primal_infeasible_inaccurate'
  | 'dual_infeasible'
  | 'dual_infeasible_inaccurate'
  | 'non_convex'
  /** q has a NaN/±Infinity, l or u a NaN, l = +Infinity, u = −Infinity, or l > u: OSQP was not run. */
  | 'invalid_input'
  /** OSQP failed numerically mid-solve. */
  | 'solver_error';

export interface QpResult {
  /** Primal solution (length n); NaN when the status has no solution (infeasible, non_convex, invalid_input, solver_error). */
  readonly x: Float64Array;
  /** Multipliers of l ≤ Ax ≤ u (length m): Px + q + Aᵀy = 0, y > 0 at an active upper bound, y < 0 at an active lower one. */
  readonly y: Float64Array;
  readonly status: QpStatus;
  readonly iterations: number;
  /** ½xᵀPx + qᵀx; +Infinity if primal infeasible, −Infinity if unbounded, NaN if unknown. */
  readonly objective: number;
  /** Wall-clock time of this solve() call, in milliseconds. */
  readonly solveMs: number;
  /** ‖Ax − z‖∞ at the end (NaN without a solution). */
  readonly primalResidual: number;
  /** ‖Px + q + Aᵀy‖∞ at the end (NaN without a solution). */
  readonly dualResidual: number;
  /** OSQP's polish step (only tried when `polish` is set and the ADMM solve reached 'solved'). */
  readonly polish: 'successful' | 'unsuccessful' | 'unperformed';
  /** Times OSQP changed rho during this solve; each refactorises the KKT matrix. */
  readonly rhoUpdates: number;
  /** OSQP's own timing of this solve: the ADMM iterations (with any rho refactorisations), and the polish. */
  readonly iterateMs: number;
  readonly polishMs: number;
  /** Why, for invalid_input, non_convex and solver_error. */
  readonly reason?: string;
}

/** Vectors to replace in {@link QpSolver.update}; absent ones are kept. */
export interface QpUpdate {
  readonly q?: ArrayLike<number>;
  readonly l?: ArrayLike<number>;
  readonly u?: ArrayLike<number>;
}

interface NativeCsc {
  nrows: number;
  ncols: number;
  colptr: Int32Array;
  rowind: Int32Array;
  values: Float64Array;
}

interface NativeSolver {
  readonly n: number;
  readonly m: number;
  update(q?: Float64Array, l?: Float64Array, u?: Float64Array): void;
  warmStart(x: Float64Array, y: Float64Array): void;
  updateSettings(settings: QpSettings): void;
  solve(): QpResult;
}

interface NativeBinding {
  NativeQpSolver: new (
    problem: { p: NativeCsc; q: Float64Array; a: NativeCsc; l: Float64Array; u: Float64Array },
    settings: QpSettings,
  ) => NativeSolver;
}

const native = addonLoader<NativeBinding>(new URL('./osqp.node', import.meta.url), 'the native OSQP binding', 'needs cargo and cmake');

/** Loads the addon now, so a missing or broken build is an error at start-up rather than at the first solve. */
export function ensureOsqpLoaded(): void {
  native();
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function isArrayLike(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

function toFloat64(field: string, value: unknown): Float64Array {
  if (value instanceof Float64Array) return value;
  if (!isArrayLike(value)) {
    throw new TypeError(`${field} must be a Float64Array or an array of numbers, got ${describe(value)}`);
  }
  const out = new Float64Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v !== 'number') throw new TypeError(`${field}[${i}] must be a number, got ${describe(v)}`);
    out[i] = v;
  }
  return out;
}

function toInt32(field: string, value: unknown): Int32Array {
  if (value instanceof Int32Array) return value;
  if (!isArrayLike(value)) {
    throw new TypeError(`${field} must be an Int32Array or an array of integers, got ${describe(value)}`);
  }
  const out = new Int32Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
      throw new TypeError(`${field}[${i}] must be a non-negative 32-bit integer, got ${describe(v)}`);
    }
    out[i] = v;
  }
  return out;
}

function toDimension(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
    throw new TypeError(`${field} must be a non-negative integer, got ${describe(value)}`);
  }
  return value;
}

function toCsc(field: string, value: unknown): NativeCsc {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`${field} must be a CSC matrix {nrows, ncols, colptr, rowind, values}, got ${describe(value)}`);
  }
  const m = value as Record<string, unknown>;
  return {
    nrows: toDimension(`${field}.nrows`, m['nrows']),
    ncols: toDimension(`${field}.ncols`, m['ncols']),
    colptr: toInt32(`${field}.colptr`, m['colptr']),
    rowind: toInt32(`${field}.rowind`, m['rowind']),
    values: toFloat64(`${field}.values`, m['values']),
  };
}

type Check = (v: number) => boolean;
const positive: Check = (v) => v > 0;
const nonNegative: Check = (v) => v >= 0;
const count: Check = (v) => Number.isInteger(v) && v >= 0 && v <= 0x7fffffff;
const SETTINGS: Record<keyof QpSettings, readonly ['number', Check, string] | readonly ['boolean']> = {
  epsAbs: ['number', nonNegative, 'a number >= 0'],
  epsRel: ['number', nonNegative, 'a number >= 0'],
  epsPrimInf: ['number', positive, 'a number > 0'],
  epsDualInf: ['number', positive, 'a number > 0'],
  maxIter: ['number', (v) => count(v) && v >= 1, 'an integer from 1 to 2,147,483,647'],
  rho: ['number', positive, 'a number > 0'],
  sigma: ['number', positive, 'a number > 0'],
  alpha: ['number', (v) => v > 0 && v < 2, 'a number in (0, 2)'],
  delta: ['number', positive, 'a number > 0'],
  polish: ['boolean'],
  polishRefineIter: ['number', count, 'an integer >= 0'],
  warmStart: ['boolean'],
  verbose: ['boolean'],
  adaptiveRho: ['boolean'],
  adaptiveRhoInterval: ['number', count, 'an integer >= 0'],
  scaling: ['number', count, 'an integer >= 0'],
  scaledTermination: ['boolean'],
  checkTermination: ['number', count, 'an integer >= 0'],
  timeLimitMs: ['number', nonNegative, 'a number of milliseconds >= 0'],
};

function checkSettings(settings: unknown): QpSettings {
  if (settings === undefined) return {};
  if (typeof settings !== 'object' || settings === null) {
    throw new TypeError(`settings must be an object, got ${describe(settings)}`);
  }
  const out: Record<string, number | boolean> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    const spec = (SETTINGS as Record<string, (typeof SETTINGS)[keyof QpSettings] | undefined>)[key];
    if (!spec) {
      throw new TypeError(`settings.${key} is not a setting; known: ${Object.keys(SETTINGS).join(', ')}`);
    }
    const ok = spec[0] === 'boolean' ? typeof value === 'boolean' : typeof value === 'number' && Number.isFinite(value) && spec[1](value);
    if (!ok) {
      const want = spec[0] === 'boolean' ? 'a boolean' : spec[2];
      throw new TypeError(`settings.${key} must be ${want}, got ${describe(value)}`);
    }
    out[key] = value as number | boolean;
  }
  if (out['epsAbs'] === 0 && out['epsRel'] === 0) {
    throw new TypeError('settings.epsAbs and settings.epsRel cannot both be 0');
  }
  return out as QpSettings;
}

/** The settings {@link QpSolver.updateSettings} can change; the others are fixed at set-up. */
export const UPDATABLE_SETTINGS = [
  'epsAbs',
  'epsRel',
  'epsPrimInf',
  'epsDualInf',
  'maxIter',
  'rho',
  'alpha',
  'delta',
  'polish',
  'polishRefineIter',
  'scaledTermination',
  'checkTermination',
  'timeLimitMs',
] as const satisfies readonly (keyof QpSettings)[];
export type QpSettingsUpdate = Pick<QpSettings, (typeof UPDATABLE_SETTINGS)[number]>;

/**
 * An OSQP solver set up once for one P and A. Each {@link solve} reuses the
 * factorisation; {@link update} replaces q, l or u without refactorising.
 */
export class QpSolver {
  readonly #native: NativeSolver;

  constructor(problem: QpProblem, settings?: QpSettings) {
    if (typeof problem !== 'object' || problem === null) {
      throw new TypeError(`problem must be an object {P, q, A, l, u}, got ${describe(problem)}`);
    }
    const checked = {
      p: toCsc('P', problem.P),
      q: toFloat64('q', problem.q),
      a: toCsc('A', problem.A),
      l: toFloat64('l', problem.l),
      u: toFloat64('u', problem.u),
    };
    this.#native = new (native().NativeQpSolver)(checked, checkSettings(settings));
  }

  /** Number of variables. */
  get n(): number {
    return this.#native.n;
  }

  /** Number of constraints. */
  get m(): number {
    return this.#native.m;
  }

  /** Replaces any of q, l, u (lengths n, m, m). Invalid values are kept and reported by the next solve. */
  update(vectors: QpUpdate): void {
    if (typeof vectors !== 'object' || vectors === null) {
      throw new TypeError(`update() takes an object {q?, l?, u?}, got ${describe(vectors)}`);
    }
    const { q, l, u } = vectors;
    this.#native.update(
      q === undefined ? undefined : toFloat64('q', q),
      l === undefined ? undefined : toFloat64('l', l),
      u === undefined ? undefined : toFloat64('u', u),
    );
  }

  /**
   * Changes settings for the next solves without a new set-up (rho refactorises the KKT matrix).
   * Only {@link UPDATABLE_SETTINGS}; the adaptive-rho interval stays what set-up derived it from.
   */
  updateSettings(settings: QpSettingsUpdate): void {
    const checked = checkSettings(settings);
    const fixed = Object.keys(checked).filter((k) => !(UPDATABLE_SETTINGS as readonly string[]).includes(k));
    if (fixed.length > 0) {
      throw new TypeError(`settings.${fixed[0]} is fixed at set-up; updateSettings() takes ${UPDATABLE_SETTINGS.join(', ')}`);
    }
    this.#native.updateSettings(checked);
  }

  /** Starts the next solve from primal x (length n) and dual y (length m); both must be finite. */
  warmStart(x: ArrayLike<number>, y: ArrayLike<number>): void {
    this.#native.warmStart(toFloat64('x', x), toFloat64('y', y));
  }

  solve(): QpResult {
    return this.#native.solve();
  }
}

/** Sets up and solves one problem. */
export function solveQP(problem: QpProblem, settings?: QpSettings): QpResult {
  return new QpSolver(problem, settings).solve();
}

/** Builds a CSC matrix from dense rows, keeping only non-zero entries. */
export function cscFromDense(rows: readonly (readonly number[])[], ncols = rows[0]?.length ?? 0): CscMatrix {
  const colptr = [0];
  const rowind: number[] = [];
  const values: number[] = [];
  for (let j = 0; j < ncols; j++) {
    rows.forEach((row, i) => {
      const v = row[j] ?? 0;
      if (v !== 0) {
        rowind.push(i);
        values.push(v);
      }
    });
    colptr.push(rowind.length);
  }
  return { nrows: rows.length, ncols, colptr, rowind, values: Float64Array.from(values) };
}
