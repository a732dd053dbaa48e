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
 *
 * The rebalancing itself is lib/optimise/rebalance.ts; this file holds the params and reports its
 * outcomes as targets, metrics and dead letters.
 */
import { z } from 'zod';
import { MINUTE } from '../../lib/core/time.ts';
import type { PortfolioState, TargetWeights } from '../../schemas/types.generated.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import type { UniverseMember } from '../sdk/context.ts';
import { handle, on } from '../sdk/handle.ts';
import { constraintParams, DEFAULT_CONSTRAINTS } from '../../lib/optimise/constraints.ts';
import { MvoRebalancer, type RebalanceConfig, type SolveReport } from '../../lib/optimise/rebalance.ts';
import { ensureOsqpLoaded } from '../../native/osqp/index.ts';

const constraints = constraintParams();

const inputs = definePorts({
  signals: { schema: 'Signal', description: 'Cross-sectional alpha of one snapshot (one batch per rebalance).' },
  bars: { schema: 'Bar', description: 'Bars whose closes give the returns the risk model is estimated on.' },
  portfolio: { schema: 'PortfolioState', feedback: true, optional: true, description: 'Current holdings: w_prev = qty·mark/equity.' },
});

const params = z
  .strictObject({
    gamma: z
      .number()
      .min(0)
      .default(1000)
      .describe('Risk aversion γ; Σ is per return period (15-minute variances are ~1e-5, hence γ in the hundreds to thousands).'),
    alpha_scale: z
      .number()
      .positive()
      .default(0.001)
      .describe(
        'Expected return over one return period per unit of signal (a z-score): μ = alpha_scale × signal, ~ IC × cross-sectional volatility.',
      ),
    factor_model: z
      .enum(['pca', 'sectors'])
      .default('pca')
      .describe('Risk factors: statistical (PCA of the returns) or the one-hot sectors of the universe.'),
    factors: z.int().min(1).max(100).default(5).describe('Number of PCA factors k.'),
    shrinkage: z
      .number()
      .min(0)
      .max(1)
      .default(0.3)
      .describe('Shrinkage of each specific variance toward their cross-sectional mean (0 none, 1 all equal).'),
    specific_floor: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe('Floor on each specific variance, as a fraction of their cross-sectional mean.'),
    return_minutes: z
      .int()
      .min(1)
      .max(60)
      .default(15)
      .describe('Length of the returns the risk is estimated on, in minutes (intraday: none spans the overnight gap).'),
    risk_window: z
      .int()
      .min(10)
      .max(100_000)
      .default(260)
      .describe('Trailing returns the risk model is estimated on (260 × 15 minutes ≈ 10 sessions).'),
    min_history: z
      .int()
      .min(3)
      .max(100_000)
      .default(50)
      .describe('Returns needed before the first solve; until then nothing is emitted (no trades).'),
    refit_every: z
      .int()
      .min(1)
      .max(100_000)
      .default(26)
      .describe('Rebalances between re-estimations of the risk model (each sets up a new solver); 26 × 15 minutes ≈ a session.'),
    tcost_bps: z
      .number()
      .min(0)
      .max(1000)
      .default(5)
      .describe('Cost of trading, in basis points of the weight traded: 5 charges 0.0005 per unit of weight bought or sold.'),
    constraints: constraints
      .default(DEFAULT_CONSTRAINTS)
      .describe(
        'Constraints on the weights: dollar_neutral, gross, max_weight, min_weight, turnover, long_only, sector_neutral, beta_neutral.',
      ),
    solver: z
      .strictObject({
        eps: z.number().min(1e-12).max(1).default(1e-6).describe('OSQP absolute and relative tolerance, from 1e-12.'),
        max_iter: z.int().min(1).max(10_000_000).default(20_000).describe('Most ADMM iterations per solve.'),
        polish: z.boolean().default(true).describe('Refine each solution on its active set.'),
      })
      .default({ eps: 1e-6, max_iter: 20_000, polish: true })
      .describe('OSQP settings: eps, max_iter, polish.'),
  })
  .superRefine((p, ctx) => {
    if (p.min_history > p.risk_window) {
      ctx.addIssue({ code: 'custom', path: ['min_history'], message: `must be <= risk_window (${p.risk_window})` });
    }
  });

type Params = z.infer<typeof params>;

export const mvo = defineOperator({
  type: 'risk.mvo',
  summary: 'Mean-variance target weights on OSQP with a factor risk model, costs and constraints.',
  inputs,
  output: 'TargetWeights',
  params,
  create: (p: Params, ctx) => {
    // A missing solver is a start-up error, not a dead letter at every rebalance.
    ensureOsqpLoaded();
    return ({ signals, bars, portfolio }) => {
      const rebalancer = new MvoRebalancer(rebalanceConfig(p, ctx.universe));
      const count = (name: string) => ctx.metrics.counter(name);
      const report = (solve: SolveReport, failed: boolean): void => {
        if (solve.refit) count('refits').inc();
        count('solves').inc();
        count('iterations').inc(solve.iterations);
        if (solve.warmStarted) count('warm_starts').inc();
        if (failed) count('solve_failed').inc();
        else if (solve.status === 'solved_inaccurate') count('solve_inaccurate').inc();
      };
      let current: PortfolioState | undefined;

      return handle<TargetWeights>(ctx, [
        on(signals, (batch, emit) => {
          const first = batch[0];
          if (!first) return;
          const r = rebalancer.rebalance(batch, ctx.clock.now(), current);
          for (const s of r.outside) ctx.deadLetter(s, `symbol ${s.symbol} is not in the universe`);
          if (r.kind === 'warming_up') return count('warming_up').inc();
          if (r.solve) report(r.solve, r.kind === 'kept');
          if (r.kind === 'kept') ctx.deadLetter(batch, r.reason);
          if (r.targets) emit([{ ts_event: first.ts_event, ts_known: first.ts_known, ...r.targets }]);
        }),
        on(bars, (batch) => {
          for (const b of batch) rebalancer.bar(b);
        }),
        on(
          portfolio,
          (batch) => {
            current = batch[batch.length - 1];
          },
          { feedback: true },
        ),
      ]);
    };
  },
});

function rebalanceConfig(p: Params, universe: readonly UniverseMember[]): RebalanceConfig {
  return {
    gamma: p.gamma,
    alphaScale: p.alpha_scale,
    factorModel: p.factor_model,
    factors: p.factors,
    shrinkage: p.shrinkage,
    specificFloor: p.specific_floor,
    returnPeriod: p.return_minutes * MINUTE,
    riskWindow: p.risk_window,
    minHistory: p.min_history,
    refitEvery: p.refit_every,
    tcostBps: p.tcost_bps,
    constraints: p.constraints,
    solver: { epsAbs: p.solver.eps, epsRel: p.solver.eps, maxIter: p.solver.max_iter, polish: p.solver.polish },
    universe: new Map(universe.map((u) => [u.symbol, u.sector])),
  };
}
