/**
 * Mean-variance rebalancing in event time, as `risk.mvo` runs it: bar closes go into a window of
 * intraday returns; each batch of signals (one snapshot) becomes μ = alphaScale × signal over the
 * universe, and the targets maximise μᵀw − γ·wᵀΣw − c·Σ|w − w_prev| under the constraints, with Σ a
 * factor model of the window (PCA, or the sectors) and w_prev the portfolio's weights.
 *
 * - Nothing is solved until the window holds `minHistory` returns.
 * - Σ is re-estimated, with a new solver warm-started from the last, every `refitEvery` rebalances
 *   and whenever the symbols change; in between only μ and w_prev change.
 * - A non-finite alpha, or a solve that fails (any status but solved, or solved_inaccurate breaking a
 *   constraint by more than 1e-4), keeps the previous targets, with the reason.
 * - Names held outside the universe get a target of 0 (closed).
 *
 * No clock, metrics or I/O: the caller passes the time and reports the outcome.
 */
import type { QpSettings, QpStatus } from '../../native/osqp/index.ts';
import type { Bar, PortfolioState, Signal } from '../../schemas/types.generated.ts';
import type { Micros } from '../core/time.ts';
import { toMvoConstraints, type ConstraintValues } from './constraints.ts';
import { exposureRiskModel, marketBetas, pcaRiskModel, sectorExposures } from './factor-model.ts';
import { MvoOptimizer, SOLVED } from './optimizer.ts';
import { MvoProblem } from './problem.ts';
import { ReturnsWindow } from './returns-window.ts';

/** How far a solved_inaccurate solution may break a constraint and still be traded. */
export const INACCURATE_TOLERANCE = 1e-4;

export interface RebalanceConfig {
  /** Risk aversion γ (Σ is per return period). */
  gamma: number;
  /** Expected return over one return period per unit of signal. */
  alphaScale: number;
  factorModel: 'pca' | 'sectors';
  /** Number of PCA factors. */
  factors: number;
  /** Shrinkage of the specific variances toward their mean, and their floor as a fraction of it. */
  shrinkage: number;
  specificFloor: number;
  /** Length of one return. */
  returnPeriod: Micros;
  /** Returns the risk model is estimated on; minHistory of them are needed before the first solve. */
  riskWindow: number;
  minHistory: number;
  /** Rebalances between re-estimations of the risk model. */
  refitEvery: number;
  /** Cost of trading, in bps of the weight traded. */
  tcostBps: number;
  constraints: ConstraintValues;
  solver: QpSettings;
  /** The universe: its symbols, in order, and their sectors; empty: the symbols of each snapshot. */
  universe: ReadonlyMap<string, string>;
}

export interface Targets {
  symbols: string[];
  weights: number[];
}

/** What one solve did, for the caller's metrics. */
export interface SolveReport {
  refit: boolean;
  status: QpStatus;
  iterations: number;
  warmStarted: boolean;
}

/** The outcome of one snapshot; `outside` holds its signals for symbols outside the universe (unused). */
export type Rebalance =
  | { kind: 'warming_up'; outside: readonly Signal[] }
  /** The previous targets again (undefined before the first), and why. */
  | { kind: 'kept'; reason: string; targets: Targets | undefined; outside: readonly Signal[]; solve?: SolveReport }
  | { kind: 'solved'; targets: Targets; outside: readonly Signal[]; solve: SolveReport };

interface Fitted {
  key: string;
  at: number;
  problem: MvoProblem;
  optimizer: MvoOptimizer;
}

export class MvoRebalancer {
  readonly #window: ReturnsWindow;
  #fitted: Fitted | undefined;
  #previous: Targets | undefined;
  #rebalances = 0;

  constructor(readonly config: RebalanceConfig) {
    this.#window = new ReturnsWindow(config.returnPeriod, config.riskWindow);
  }

  bar(b: Pick<Bar, 'symbol' | 'ts_event' | 'close'>): void {
    this.#window.add(b.symbol, b.ts_event, b.close);
  }

  /** Targets for one snapshot of signals at `now`, from the holdings of `portfolio`. */
  rebalance(signals: readonly Signal[], now: Micros, portfolio: PortfolioState | undefined): Rebalance {
    const c = this.config;
    this.#rebalances++;
    const bad = signals.filter((s) => !Number.isFinite(s.value));
    if (bad.length > 0) return this.#keep(`non-finite alpha for ${bad.map((s) => `${s.symbol} (${s.value})`).join(', ')}`, []);

    const symbols = c.universe.size > 0 ? [...c.universe.keys()] : signals.map((s) => s.symbol);
    const index = new Map(symbols.map((s, i) => [s, i]));
    const mu = new Float64Array(symbols.length); // no signal: no view (μ = 0)
    const outside: Signal[] = [];
    for (const s of signals) {
      const i = index.get(s.symbol);
      if (i === undefined) outside.push(s);
      else mu[i] = c.alphaScale * s.value;
    }
    if (this.#window.count(now) < c.minHistory) return { kind: 'warming_up', outside };

    const key = symbols.join('\n');
    const refit = !this.#fitted || this.#fitted.key !== key || this.#rebalances - this.#fitted.at >= c.refitEvery;
    if (refit) this.#fitted = this.#fit(symbols, key, now);
    const fitted = this.#fitted!;
    const held = holdings(portfolio);
    const wPrev = symbols.map((s) => held.get(s) ?? 0);

    const r = fitted.optimizer.solve(mu, wPrev);
    const solve: SolveReport = { refit, status: r.status, iterations: r.iterations, warmStarted: r.warmStarted };
    const broken = SOLVED.has(r.status) ? fitted.problem.violation(r.weights, wPrev) : undefined;
    if (!broken || broken.by > INACCURATE_TOLERANCE) {
      const why = broken ? `${broken.constraint} broken by ${broken.by.toExponential(2)}` : r.reason;
      return { ...this.#keep(`solver status ${r.status}${why ? ` (${why})` : ''}`, outside), solve };
    }
    const out = { symbols: [...symbols], weights: [...r.weights] };
    for (const [symbol, w] of held)
      if (!index.has(symbol) && w !== 0) {
        out.symbols.push(symbol);
        out.weights.push(0);
      }
    this.#previous = out;
    return { kind: 'solved', targets: copy(out), outside, solve };
  }

  #keep(why: string, outside: readonly Signal[]): Rebalance & { kind: 'kept' } {
    return { kind: 'kept', reason: `${why}: previous targets kept`, targets: this.#previous && copy(this.#previous), outside };
  }

  #fit(symbols: string[], key: string, now: Micros): Fitted {
    const c = this.config;
    const returns = this.#window.returns(symbols, now, c.riskWindow);
    const sectors = (): string[] => symbols.map((s) => c.universe.get(s) ?? '');
    const specific = { shrinkage: c.shrinkage, floor: c.specificFloor };
    const risk =
      c.factorModel === 'pca'
        ? pcaRiskModel(returns, { factors: c.factors, ...specific })
        : exposureRiskModel(returns, sectorExposures(sectors()).B, specific);
    const problem = new MvoProblem({
      gamma: c.gamma,
      risk,
      tcost: c.tcostBps / 10_000,
      constraints: toMvoConstraints(c.constraints, sectors, () => marketBetas(returns)),
    });
    const optimizer = new MvoOptimizer(problem, c.solver);
    if (this.#fitted) optimizer.warmFrom(this.#fitted.optimizer);
    return { key, at: this.#rebalances, problem, optimizer };
  }
}

/** Weight of each position of a portfolio: qty × mark / equity (none without a positive equity). */
export function holdings(portfolio: PortfolioState | undefined): Map<string, number> {
  const held = new Map<string, number>();
  if (portfolio && portfolio.equity > 0) for (const p of portfolio.positions) held.set(p.symbol, (p.qty * p.mark) / portfolio.equity);
  return held;
}

function copy(t: Targets): Targets {
  return { symbols: [...t.symbols], weights: [...t.weights] };
}
