/**
 * Solves an {@link MvoProblem} again and again as μ and w_prev change: one OSQP solver is set up (and
 * its KKT matrix factorised) at the first solve; later solves only update q, l and u and warm-start
 * from the last good solution. A new γ or Σ is a new MvoProblem, hence a new optimizer.
 *
 * @example
 * import { MvoProblem } from './problem.ts';
 * import type { RiskModel } from './factor-model.ts';
 * declare const risk: RiskModel, mu: number[], mu2: number[], wPrev: number[];
 * const opt = new MvoOptimizer(new MvoProblem({ gamma: 1, risk, constraints: { dollarNeutral: true } }));
 * const a = opt.solve(mu, wPrev);       // cold
 * const b = opt.solve(mu2, a.weights);  // warm, usually far fewer iterations
 */
import { QpSolver, type QpSettings, type QpStatus } from '../../native/osqp/index.ts';
import type { MvoProblem, MvoVectors } from './problem.ts';
import { refineSolution } from './refine.ts';

export interface MvoSolution {
  readonly status: QpStatus;
  /** The weights w (length n); NaN when the status has no solution. */
  readonly weights: Float64Array;
  /** μᵀw − γ·wᵀΣw − Σ cᵢ|Δwᵢ| at the weights; NaN without a solution. */
  readonly objective: number;
  readonly iterations: number;
  /**
   * Time of the solve in ms: with a `stopwatch` option, every OSQP stage and the refinement (without
   * building q, l, u); without one, OSQP's own time only (operators may not read a clock).
   */
  readonly solveMs: number;
  /** Whether the solve started from a previous solution. */
  readonly warmStarted: boolean;
  /** Whether the weights are OSQP's, refined exactly on their active set and KKT-checked (see refine.ts). */
  readonly refined: boolean;
  /** Why, when the problem never reached OSQP or OSQP explains its status. */
  readonly reason?: string;
}

/** Statuses whose x is a usable solution. */
export const SOLVED: ReadonlySet<QpStatus> = new Set(['solved', 'solved_inaccurate']);
/** Statuses whose x is worth refining: OSQP stopped near a solution. */
const NEAR: ReadonlySet<QpStatus> = new Set(['solved', 'solved_inaccurate', 'max_iter_reached', 'time_limit_reached']);

export interface MvoOptimizerOptions {
  /** A monotonic clock in ms (e.g. performance.now) for `solveMs`; tools pass one, operators cannot. */
  stopwatch?: () => number;
  /**
   * Refine OSQP's weights exactly on their active set and keep them when they pass the KKT check
   * (default true). A refined solution is reported as `solved` even when OSQP stopped early
   * (solved_inaccurate, max_iter_reached): the check is stricter than OSQP's tolerance.
   */
  refine?: boolean;
  /**
   * Looser tolerances (epsAbs = epsRel) to solve at first, loosest first (default [1e-3], OSQP's own default). After each,
   * the refinement is tried from one guess of the face; OSQP goes on (warm-started, same factorisation)
   * to the next only when it fails. The last stage is always `settings` itself, where the refinement
   * tries every guess. With refinement off, OSQP solves at `settings` alone.
   */
  stages?: readonly number[];
  /**
   * How hard the refinement tries at the loose stages: 'quick' (default) guesses the face once, at the
   * stage's tolerance, and gives up after 30 changes of it; 'thorough' tries every guess at every
   * stage (exact answers at any cost: `alpha risk solve`). The last stage always tries every guess.
   */
  effort?: 'quick' | 'thorough';
}

/** OSQP's tolerance at the first stage: enough for the refinement to find the face, in few iterations. */
export const DEFAULT_STAGES: readonly number[] = [1e-3];

export class MvoOptimizer {
  /** Set up (and its KKT matrix factorised) at the first solve; only q, l, u and tolerances change after. */
  #solver: QpSolver | undefined;
  /** The tolerance and polish the solver is set to now. */
  #current: { eps: number; polish: boolean } | undefined;
  /** The last solution's weights and OSQP's multipliers, to warm-start the next solve from. */
  #last: { w: Float64Array; y: Float64Array } | undefined;

  constructor(
    readonly problem: MvoProblem,
    readonly settings: QpSettings = {},
    readonly options: MvoOptimizerOptions = {},
  ) {}

  /**
   * Starts the next solve from another optimizer's last solution, when the two problems have the same
   * shape (a re-estimated risk model over the same universe and constraints).
   */
  warmFrom(other: MvoOptimizer): void {
    const last = other.#last;
    if (last && last.w.length === this.problem.n && last.y.length === this.problem.A.nrows) this.#last = last;
  }

  /** Set up on first need: the same problem solved with OSQP's Ruiz scaling on. */
  #scaled: MvoOptimizer | undefined;

  solve(mu: ArrayLike<number>, wPrev?: ArrayLike<number>): MvoSolution {
    const first = this.#solve(mu, wPrev);
    // Unscaled ADMM is ~5× faster here but now and then stalls (seen: a 4-name book at max_iter);
    // then one retry with scaling, unless the caller chose `scaling` explicitly.
    if (SOLVED.has(first.status) || first.status === 'invalid_input' || this.settings.scaling !== undefined) return first;
    this.#scaled ??= new MvoOptimizer(this.problem, { ...this.settings, scaling: 10 }, this.options);
    const retry = this.#scaled.solve(mu, wPrev);
    return SOLVED.has(retry.status)
      ? { ...retry, iterations: first.iterations + retry.iterations, solveMs: first.solveMs + retry.solveMs }
      : first;
  }

  #solve(mu: ArrayLike<number>, wPrev?: ArrayLike<number>): MvoSolution {
    const { n } = this.problem;
    const prev = wPrev ?? new Float64Array(n);
    if (mu.length !== n) throw new RangeError(`mu has ${mu.length} entries, expected ${n}`);
    if (prev.length !== n) throw new RangeError(`w_prev has ${prev.length} entries, expected ${n}`);
    const none = (status: QpStatus, reason: string): MvoSolution => ({
      status,
      weights: new Float64Array(n).fill(NaN),
      objective: NaN,
      iterations: 0,
      solveMs: 0,
      warmStarted: false,
      refined: false,
      reason,
    });
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(mu[i])) return none('invalid_input', `mu[${i}] is ${mu[i]}: expected a finite number`);
      if (!Number.isFinite(prev[i])) return none('invalid_input', `w_prev[${i}] is ${prev[i]}: expected a finite number`);
    }
    const v = this.problem.vectors(mu, prev);
    for (let r = 0; r < v.l.length; r++) {
      if (v.l[r]! > v.u[r]!) {
        return none('primal_infeasible', `${this.problem.rowName(r)}: lower bound ${v.l[r]} > upper bound ${v.u[r]}`);
      }
    }
    const refine = this.options.refine !== false;
    const final = this.settings.epsAbs ?? 1e-3;
    const stages = refine ? [...(this.options.stages ?? DEFAULT_STAGES).filter((e) => e > final), final] : [final];
    const warmStarted = this.#last !== undefined;
    const stopwatch = this.options.stopwatch;
    const started = stopwatch?.() ?? 0;
    let osqpMs = 0;
    let iterations = 0;
    for (const [k, eps] of stages.entries()) {
      const last = k === stages.length - 1;
      // OSQP's own polish at the loose stages would only be redone by the refinement.
      const polish = last ? (this.settings.polish ?? false) : false;
      const solver = this.#setUp(k === 0 ? v : undefined, eps, polish, last);
      if (k === 0) {
        if (this.#last) solver.warmStart(this.problem.primal(this.#last.w, prev), this.#last.y);
        else solver.warmStart(new Float64Array(this.problem.nvars), new Float64Array(v.l.length));
      }
      const r = solver.solve();
      iterations += r.iterations;
      osqpMs += r.solveMs;
      const near = NEAR.has(r.status) && r.x.every(Number.isFinite) && r.y.every(Number.isFinite);
      let weights: Float64Array = r.x.slice(0, n);
      const better =
        refine && near
          ? refineSolution(
              this.problem,
              mu,
              prev,
              weights,
              last || this.options.effort === 'thorough' ? {} : { tolerances: [eps], maxRounds: LOOSE_ROUNDS },
            )
          : undefined;
      if (better?.certified) weights = better.weights;
      // Tighten only while OSQP is near a solution that the refinement could not certify.
      if (!last && near && !better?.certified) continue;
      if ((better?.certified || SOLVED.has(r.status)) && near) this.#last = { w: weights, y: r.y };
      return {
        status: better?.certified ? 'solved' : r.status,
        weights,
        refined: better?.certified === true,
        objective: weights.every(Number.isFinite) ? this.problem.objective(mu, prev, weights) : NaN,
        iterations,
        solveMs: stopwatch ? stopwatch() - started : osqpMs,
        warmStarted,
        ...(r.reason !== undefined ? { reason: r.reason } : {}),
      };
    }
    throw new Error('unreachable: the last stage always returns');
  }

  /** The solver, set to tolerance eps (`settings`' own at the last stage) and given q, l, u when they are new. */
  #setUp(v: MvoVectors | undefined, eps: number, polish: boolean, last: boolean): QpSolver {
    const tolerances = last ? { epsAbs: this.settings.epsAbs ?? eps, epsRel: this.settings.epsRel ?? eps } : { epsAbs: eps, epsRel: eps };
    if (!this.#solver) {
      if (!v) throw new Error('unreachable: the first stage sets the solver up');
      this.#solver = new QpSolver(
        { P: this.problem.P, A: this.problem.A, q: v.q, l: v.l, u: v.u },
        { ...OSQP_DEFAULTS, rho: initialRho(this.problem.n), ...this.settings, ...tolerances, polish },
      );
    } else {
      if (this.#current === undefined || this.#current.eps !== eps || this.#current.polish !== polish) {
        this.#solver.updateSettings({ ...tolerances, polish });
      }
      if (v) this.#solver.update(v);
    }
    this.#current = { eps, polish };
    return this.#solver;
  }
}

/**
 * OSQP settings for this problem unless `settings` says otherwise (measured with bench:risk, k = 20):
 * - Ruiz scaling off: on this problem (P ~ γD tiny, A of ±1 and factor loadings) it multiplied ADMM
 *   iterations ~5× (n = 2,000: cold 1,477 → 140 ms).
 * - rho adapted every 20 iterations and termination checked every 10, instead of every 100 and 25:
 *   cold solves at n = 500 take 60 iterations instead of 225, warm ones at 1e-4 20 instead of 100.
 */
const OSQP_DEFAULTS: QpSettings = { warmStart: true, scaling: 0, adaptiveRhoInterval: 20, checkTermination: 10 };

/**
 * OSQP's first rho: 0.5/√n instead of its 0.1. The rows that tie every name together (dollar neutral,
 * gross, the factor rows) have norms growing like √n, and with scaling off the step that balances
 * primal and dual progress shrinks with them. Measured on bench:risk's problems at eps 1e-3 (median
 * iterations, cold): n = 100: 20 either way; n = 500: 50 with one rho update (a refactorisation) →
 * 20 without; n = 2,000: 40 with one update → 30 without. Adaptive rho still corrects a bad guess.
 */
export function initialRho(n: number): number {
  return Math.min(0.1, 0.5 / Math.sqrt(Math.max(1, n)));
}

/** Most changes of the face the refinement tries at a loose stage before OSQP goes on. */
const LOOSE_ROUNDS = 30;
