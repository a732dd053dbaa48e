/**
 * execution.orders — turns target weights into orders: the difference between the target position
 * (weight × equity / mid) and the current one, rounded to lots, skipping trades below a minimum
 * notional. Equity and positions come from the portfolio through a feedback port; prices from quotes.
 * Order ids are deterministic (node, time, symbol), so a replayed order is recognisable.
 */
import { z } from 'zod';
import { LatestValues } from '../../lib/core/latest-values.ts';
import type { Order, PortfolioState, TargetWeights } from '../../schemas/types.generated.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import { handle, on, onColumns } from '../sdk/handle.ts';
import { forEachMid } from '../sdk/quote-columns.ts';

const inputs = definePorts({
  targets: { schema: 'TargetWeights', description: 'Target weights of a rebalance.' },
  quotes: { schema: 'Quote', description: 'Quotes, for the mid price each target is sized at.' },
  portfolio: { schema: 'PortfolioState', feedback: true, description: 'Current equity and positions.' },
});

const params = z.strictObject({
  lot_size: z.number().int().min(1).default(1).describe('Shares per lot; quantities are whole lots.'),
  min_notional: z.number().min(0).default(1000).describe('Trades smaller than this (currency) are skipped.'),
  order_type: z.enum(['MARKET', 'LIMIT']).default('MARKET').describe('Order type sent to the broker.'),
  limit_offset_bps: z.number().min(0).default(0).describe('LIMIT only: price this far inside the mid (buy below, sell above).'),
});

export const orders = defineOperator({
  type: 'execution.orders',
  summary: 'Orders for the difference between target and current positions, in lots, above a minimum notional.',
  inputs,
  output: 'Order',
  params,
  create:
    (p, ctx) =>
    ({ targets, quotes, portfolio }) => {
      const mids = new LatestValues();
      let state: PortfolioState | undefined;
      const skipped = ctx.metrics.counter('skipped_small');
      const onTargets = (t: TargetWeights): Order[] => {
        if (!state) {
          ctx.deadLetter(t, 'no portfolio state yet: cannot size orders');
          return [];
        }
        const held = new Map(state.positions.map((pos) => [pos.symbol, pos.qty]));
        const out: Order[] = [];
        t.symbols.forEach((symbol, i) => {
          const mid = mids.get(symbol);
          const w = t.weights[i]!;
          if (mid === undefined || !Number.isFinite(w)) {
            ctx.deadLetter(
              { symbol, weight: w, ts_known: t.ts_known, ts_event: t.ts_event },
              mid === undefined ? 'no price for symbol' : `non-finite weight ${w}`,
            );
            return;
          }
          const target = Math.round((w * state!.equity) / mid / p.lot_size) * p.lot_size;
          const delta = target - (held.get(symbol) ?? 0);
          if (delta === 0) return;
          if (Math.abs(delta) * mid < p.min_notional) {
            skipped.inc();
            return;
          }
          const side = delta > 0 ? 'BUY' : 'SELL';
          const limit = p.order_type === 'LIMIT' ? roundCents(mid * (1 + (side === 'BUY' ? -1 : 1) * p.limit_offset_bps * 1e-4)) : null;
          out.push({
            ts_event: t.ts_event,
            ts_known: t.ts_known,
            order_id: `${ctx.node}-${t.ts_known}-${symbol}`,
            symbol,
            side,
            qty: Math.abs(delta),
            order_type: p.order_type,
            limit_price: limit,
            ref_price: mid,
            time_in_force: 'DAY',
            action: 'NEW',
            target_order_id: null,
          });
        });
        return out;
      };
      return handle<Order>(ctx, [
        onColumns(quotes, (batch) => forEachMid(batch, (symbol, mid) => mids.set(symbol, mid))),
        on(
          portfolio,
          (batch: readonly PortfolioState[]) => {
            state = batch[batch.length - 1];
          },
          { feedback: true },
        ),
        on(targets, (batch: readonly TargetWeights[], emit) => batch.forEach((t) => emit(onTargets(t)))),
      ]);
    },
});

function roundCents(x: number): number {
  return Math.round(x * 100) / 100;
}
