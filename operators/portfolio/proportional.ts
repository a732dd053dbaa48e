/**
 * portfolio.proportional — dollar-neutral target weights proportional to the alpha, scaled to a gross
 * leverage target and capped per name, moved part of the way from the current weights (read from the
 * portfolio through a feedback port) to damp turnover.
 */
import { z } from 'zod';
import type { PortfolioState, Signal, TargetWeights } from '../../schemas/types.generated.ts';
import { defineOperator } from '../sdk/spec.ts';
import { handle, on } from '../sdk/handle.ts';

const params = z.strictObject({
  gross: z.number().positive().max(10).default(1).describe('Target gross leverage, sum of |w|.'),
  max_weight: z.number().positive().max(1).default(0.05).describe('Cap on |w| per name.'),
  blend: z.number().gt(0).max(1).default(0.5).describe('Fraction of the way from current to target weights at each rebalance (1 = all the way).'),
});

/** Dollar-neutral weights ∝ alpha with Σ|w| ≤ gross (= gross when the caps allow) and |w| ≤ cap. */
export function proportionalWeights(alpha: readonly number[], gross: number, cap: number): number[] {
  const n = alpha.length;
  if (n < 2) return alpha.map(() => 0);
  // Work on alpha / max|alpha|, so tiny (even denormal) inputs keep full precision; weights do not
  // depend on the alpha's scale anyway. A spread lost in rounding is no signal.
  const scale = Math.max(...alpha.map(Math.abs));
  if (!(scale > 0) || !Number.isFinite(scale)) return alpha.map(() => 0);
  const unit = alpha.map((a) => a / scale);
  const mean = unit.reduce((a, b) => a + b, 0) / n;
  let w = unit.map((a) => a - mean);
  if (Math.max(...w.map(Math.abs)) <= 1e-12) return alpha.map(() => 0);
  for (let iter = 0; iter < 50; iter++) {
    const abs = w.reduce((a, b) => a + Math.abs(b), 0);
    if (abs === 0) return w.map(() => 0);
    w = w.map((x) => Math.max(-cap, Math.min(cap, (x * gross) / abs)));
    const m = w.reduce((a, b) => a + b, 0) / n;
    w = w.map((x) => x - m);
    const g = w.reduce((a, b) => a + Math.abs(b), 0);
    if (w.every((x) => Math.abs(x) <= cap + 1e-12) && Math.abs(g - gross) < 1e-9) break;
  }
  const capped = w.map((x) => Math.max(-cap, Math.min(cap, x)));
  // When the caps make the gross target unreachable the last clip can leave a net position: shrink the
  // larger side to the smaller, which keeps every weight within its cap and the book exactly neutral.
  const long = capped.reduce((a, x) => a + Math.max(0, x), 0);
  const short = capped.reduce((a, x) => a - Math.min(0, x), 0);
  if (long === 0 || short === 0) return capped.map(() => 0);
  return capped.map((x) => (x > 0 && long > short ? (x * short) / long : x < 0 && short > long ? (x * long) / short : x));
}

export const proportional = defineOperator({
  type: 'portfolio.proportional',
  summary: 'Dollar-neutral weights proportional to alpha, with a gross target, a per-name cap and damping.',
  inputs: {
    signals: { schema: 'Signal', description: 'Cross-sectional alpha of one snapshot (one batch per rebalance).' },
    portfolio: { schema: 'PortfolioState', feedback: true, optional: true, description: 'Current holdings, for the damping.' },
  },
  output: 'TargetWeights',
  params,
  create: (p, ctx) => ({ signals, portfolio }) => {
    let current: PortfolioState | undefined;
    const onSignals = (batch: readonly Signal[]): TargetWeights[] => {
      const symbols = batch.map((s) => s.symbol);
      const target = proportionalWeights(batch.map((s) => s.value), p.gross, p.max_weight);
      const held = new Map<string, number>();
      if (current && current.equity > 0) for (const pos of current.positions) held.set(pos.symbol, (pos.qty * pos.mark) / current.equity);
      const weights = target.map((w, i) => {
        const now = held.get(symbols[i]!) ?? 0;
        return now + p.blend * (w - now);
      });
      // Names held but absent from the signal are closed.
      for (const [symbol, w] of held) {
        if (!symbols.includes(symbol) && w !== 0) {
          symbols.push(symbol);
          weights.push(0);
        }
      }
      const first = batch[0]!;
      return [{ ts_event: first.ts_event, ts_known: first.ts_known, symbols, weights }];
    };
    return handle<TargetWeights>(ctx, [
      on(signals, (batch, emit) => emit(onSignals(batch))),
      on(portfolio, (batch) => { current = batch[batch.length - 1]; }, { feedback: true }),
    ]);
  },
});
