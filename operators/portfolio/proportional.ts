/**
 * portfolio.proportional — dollar-neutral target weights proportional to the alpha, scaled to a gross
 * leverage target and capped per name, moved part of the way from the current weights (read from the
 * portfolio through a feedback port) to damp turnover.
 */
import { z } from 'zod';
import type { PortfolioState, Signal, TargetWeights } from '../../schemas/types.generated.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import { handle, on } from '../sdk/handle.ts';
import { proportionalWeights } from '../../lib/portfolio/proportional-weights.ts';

const inputs = definePorts({
  signals: { schema: 'Signal', description: 'Cross-sectional alpha of one snapshot (one batch per rebalance).' },
  portfolio: { schema: 'PortfolioState', feedback: true, optional: true, description: 'Current holdings, for the damping.' },
});

const params = z.strictObject({
  gross: z.number().positive().max(10).default(1).describe('Target gross leverage, sum of |w|.'),
  max_weight: z.number().positive().max(1).default(0.05).describe('Cap on |w| per name.'),
  blend: z
    .number()
    .gt(0)
    .max(1)
    .default(0.5)
    .describe('Fraction of the way from current to target weights at each rebalance (1 = all the way).'),
});

export const proportional = defineOperator({
  type: 'portfolio.proportional',
  summary: 'Dollar-neutral weights proportional to alpha, with a gross target, a per-name cap and damping.',
  inputs,
  output: 'TargetWeights',
  params,
  create:
    (p, ctx) =>
    ({ signals, portfolio }) => {
      let current: PortfolioState | undefined;
      const onSignals = (batch: readonly Signal[]): TargetWeights[] => {
        const symbols = batch.map((s) => s.symbol);
        const target = proportionalWeights(
          batch.map((s) => s.value),
          p.gross,
          p.max_weight,
        );
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
        on(
          portfolio,
          (batch) => {
            current = batch[batch.length - 1];
          },
          { feedback: true },
        ),
      ]);
    },
});
