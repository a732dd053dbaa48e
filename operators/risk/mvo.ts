/**
 * risk.mvo — mean-variance target weights on OSQP, a drop-in for portfolio.proportional: maximise
 * μᵀw − γ·wᵀΣw − c·Σ|w − w_prev| under dollar/sector/beta neutrality, gross, per-name and turnover limits.
 *
 * - μ = alpha_scale × signal. Σ is a factor model (PCA, or sector exposures) of intraday returns of
 *   the bar closes, re-estimated every `refit_every` rebalances; μ and Σ are both per return period.
 * - Until the window holds `min_history` returns nothing is emitted (no trades).
 * - One OSQP solver per risk estimate: between refits only q, l, u change, warm-started.
 * - A failed solve (any status but solved, or solved_inaccurate breaking a constraint by > 1e-4) or a
 *   non-finite alpha is a dead letter; the previous targets are emitted again and the run goes on.
 */
import { z } from 'zod';
import { MINUTE } from '../../lib/core/time.ts';
import type { Bar, PortfolioState, Signal, TargetWeights } from '../../schemas/types.generated.ts';
import { defineOperator } from '../sdk/spec.ts';
import { handle, on, type Emit } from '../sdk/handle.ts';
import { exposureRiskModel, marketBetas, pcaRiskModel, sectorExposures } from '../../lib/optimise/factor-model.ts';
import { MvoProblem } from '../../lib/optimise/problem.ts';
import { constraintParams, DEFAULT_CONSTRAINTS, toMvoConstraints } from '../../lib/optimise/constraints.ts';
import { MvoOptimizer, SOLVED } from '../../lib/optimise/optimizer.ts';
import { ReturnsWindow } from '../../lib/optimise/returns-window.ts';
import { ensureOsqpLoaded } from '../../native/osqp/index.ts';
import type { Observable } from 'rxjs';
import type { OperatorContext } from '../sdk/context.ts';
import type { Batch } from '../sdk/spec.ts';

/** How far a solved_inaccurate solution may break a constraint and still be traded. */
const INACCURATE_TOLERANCE = 1e-4;

const constraints = constraintParams();

const params = z.strictObject({
  gamma: z.number().min(0).default(1000).describe('Risk aversion γ; Σ is per return period (15-minute variances are ~1e-5, hence γ in the hundreds to thousands).'),
  alpha_scale: z.number().positive().default(0.001).describe('Expected return over one return period per unit of signal (a z-score): μ = alpha_scale × signal, ~ IC × cross-sectional volatility.'),
  factor_model: z.enum(['pca', 'sectors']).default('pca').describe('Risk factors: statistical (PCA of the returns) or the one-hot sectors of the universe.'),
  factors: z.int().min(1).max(100).default(5).describe('Number of PCA factors k.'),
  shrinkage: z.number().min(0).max(1).default(0.3).describe('Shrinkage of each specific variance toward their cross-sectional mean (0 none, 1 all equal).'),
  specific_floor: z.number().min(0).max(1).default(0.1).describe('Floor on each specific variance, as a fraction of their cross-sectional mean.'),
  return_minutes: z.int().min(1).max(60).default(15).describe('Length of the returns the risk is estimated on, in minutes (intraday: none spans the overnight gap).'),
  risk_window: z.int().min(10).max(100_000).default(260).describe('Trailing returns the risk model is estimated on (260 × 15 minutes ≈ 10 sessions).'),
  min_history: z.int().min(3).max(100_000).default(50).describe('Returns needed before the first solve; until then nothing is emitted (no trades).'),
  refit_every: z.int().min(1).max(100_000).default(26).describe('Rebalances between re-estimations of the risk model (each sets up a new solver); 26 × 15 minutes ≈ a session.'),
  tcost_bps: z.number().min(0).max(1000).default(5).describe('Cost of trading, in basis points of the weight traded: 5 charges 0.0005 per unit of weight bought or sold.'),
  constraints: constraints.default(DEFAULT_CONSTRAINTS).describe('Constraints on the weights: dollar_neutral, gross, max_weight, min_weight, turnover, long_only, sector_neutral, beta_neutral.'),
  solver: z.strictObject({
    eps: z.number().positive().max(1).default(1e-6).describe('OSQP absolute and relative tolerance.'),
    max_iter: z.int().min(1).max(10_000_000).default(20_000).describe('Most ADMM iterations per solve.'),
    polish: z.boolean().default(true).describe('Refine each solution on its active set.'),
  }).default({ eps: 1e-6, max_iter: 20_000, polish: true }).describe('OSQP settings: eps, max_iter, polish.'),
}).superRefine((p, ctx) => {
  if (p.min_history > p.risk_window) ctx.addIssue({ code: 'custom', path: ['min_history'], message: `must be <= risk_window (${p.risk_window})` });
});

type Params = z.infer<typeof params>;

export const mvo = defineOperator({
  type: 'risk.mvo',
  summary: 'Mean-variance target weights on OSQP with a factor risk model, costs and constraints.',
  inputs: {
    signals: { schema: 'Signal', description: 'Cross-sectional alpha of one snapshot (one batch per rebalance).' },
    bars: { schema: 'Bar', description: 'Bars whose closes give the returns the risk model is estimated on.' },
    portfolio: { schema: 'PortfolioState', feedback: true, optional: true, description: 'Current holdings: w_prev = qty·mark/equity.' },
  },
  output: 'TargetWeights',
  params,
  create: (p: Params, ctx) => {
    // A missing solver is a start-up error, not a dead letter at every rebalance.
    ensureOsqpLoaded();
    return ({ signals, bars, portfolio }) => mvoStream(p, ctx, signals, bars, portfolio);
  },
});

function mvoStream(
  p: Params, ctx: OperatorContext,
  signals: Observable<Batch<Signal>>, bars: Observable<Batch<Bar>>, portfolio: Observable<Batch<PortfolioState>> | undefined,
): Observable<Batch<TargetWeights>> {
  const window = new ReturnsWindow(p.return_minutes * MINUTE, p.risk_window);
  const c = p.constraints;
  const settings = { epsAbs: p.solver.eps, epsRel: p.solver.eps, maxIter: p.solver.max_iter, polish: p.solver.polish };
  const count = (name: string) => ctx.metrics.counter(name);
  const sectorOf = new Map(ctx.universe.map((u) => [u.symbol, u.sector]));
  let current: PortfolioState | undefined;
  let fitted: { key: string; at: number; problem: MvoProblem; optimizer: MvoOptimizer } | undefined;
  let previous: { symbols: string[]; weights: number[] } | undefined;
  let rebalances = 0;

  const fit = (symbols: string[], key: string): NonNullable<typeof fitted> => {
    const returns = window.returns(symbols, ctx.clock.now(), p.risk_window);
    const risk = p.factor_model === 'pca'
      ? pcaRiskModel(returns, { factors: p.factors, shrinkage: p.shrinkage, floor: p.specific_floor })
      : exposureRiskModel(returns, sectorExposures(symbols.map((s) => sectorOf.get(s) ?? '')).B, { shrinkage: p.shrinkage, floor: p.specific_floor });
    const problem = new MvoProblem({
      gamma: p.gamma, risk, tcost: p.tcost_bps / 10_000,
      constraints: toMvoConstraints(c, () => symbols.map((s) => sectorOf.get(s) ?? ''), () => marketBetas(returns)),
    });
    count('refits').inc();
    const optimizer = new MvoOptimizer(problem, settings);
    if (fitted) optimizer.warmFrom(fitted.optimizer);
    return { key, at: rebalances, problem, optimizer };
  };

  const onSignals = (batch: readonly Signal[], emit: Emit<TargetWeights>): void => {
    const first = batch[0];
    if (!first) return;
    rebalances++;
    const stamp = { ts_event: first.ts_event, ts_known: first.ts_known };
    const keep = (reason: string): void => {
      ctx.deadLetter(batch, reason);
      if (previous) emit([{ ...stamp, symbols: [...previous.symbols], weights: [...previous.weights] }]);
    };
    const bad = batch.filter((s) => !Number.isFinite(s.value));
    if (bad.length > 0) return keep(`non-finite alpha for ${bad.map((s) => `${s.symbol} (${s.value})`).join(', ')}: previous targets kept`);

    const symbols = sectorOf.size > 0 ? [...sectorOf.keys()] : batch.map((s) => s.symbol);
    const index = new Map(symbols.map((s, i) => [s, i]));
    const mu = new Float64Array(symbols.length); // no signal: no view (μ = 0)
    for (const s of batch) {
      const i = index.get(s.symbol);
      if (i === undefined) ctx.deadLetter(s, `symbol ${s.symbol} is not in the universe`);
      else mu[i] = p.alpha_scale * s.value;
    }
    if (window.count(ctx.clock.now()) < p.min_history) { count('warming_up').inc(); return; }

    const key = symbols.join('\n');
    if (!fitted || fitted.key !== key || rebalances - fitted.at >= p.refit_every) fitted = fit(symbols, key);
    const held = new Map<string, number>();
    if (current && current.equity > 0) for (const pos of current.positions) held.set(pos.symbol, (pos.qty * pos.mark) / current.equity);
    const wPrev = symbols.map((s) => held.get(s) ?? 0);

    const r = fitted.optimizer.solve(mu, wPrev);
    count('solves').inc();
    count('iterations').inc(r.iterations);
    if (r.warmStarted) count('warm_starts').inc();
    const broken = SOLVED.has(r.status) ? fitted.problem.violation(r.weights, wPrev) : undefined;
    if (!broken || broken.by > INACCURATE_TOLERANCE) {
      count('solve_failed').inc();
      const why = broken ? `${broken.constraint} broken by ${broken.by.toExponential(2)}` : r.reason;
      return keep(`solver status ${r.status}${why ? ` (${why})` : ''}: previous targets kept`);
    }
    if (r.status === 'solved_inaccurate') count('solve_inaccurate').inc();
    const out = { symbols: [...symbols], weights: [...r.weights] };
    // Names held outside the universe are closed.
    for (const [symbol, w] of held) if (!index.has(symbol) && w !== 0) { out.symbols.push(symbol); out.weights.push(0); }
    previous = out;
    emit([{ ...stamp, symbols: [...out.symbols], weights: [...out.weights] }]);
  };

  return handle<TargetWeights>(ctx, [
    on(signals, onSignals),
    on(bars, (batch) => { for (const b of batch) window.add(b.symbol, b.ts_event, b.close); }),
    on(portfolio, (batch) => { current = batch[batch.length - 1]; }, { feedback: true }),
  ]);
}
