/**
 * execution.sim-broker — a simulated venue for backtests. A market order fills in full at the first
 * quote known at least `latency_us` after the order, buying at the ask and selling at the bid. A limit
 * order rests until a trade prints through its price (strictly below a buy, above a sell) and fills
 * at its limit; a newer order for the same symbol replaces a resting one. Fees in bps of notional.
 */
import { z } from 'zod';
import type { Fill, Order, Quote, Trade } from '../../schemas/types.generated.ts';
import { defineOperator } from '../sdk/spec.ts';
import { handle, on, type Emit } from '../sdk/handle.ts';

const params = z.strictObject({
  latency_us: z.number().int().min(0).default(1000).describe('Microseconds from order to the first quote it can fill at.'),
  fee_bps: z.number().min(0).max(100).default(0.5).describe('Fee per fill, basis points of notional.'),
});

export const simBroker = defineOperator({
  type: 'execution.sim-broker',
  summary: 'Simulated broker: market orders at the touch after a latency, limit orders on trade-through, fees.',
  inputs: {
    orders: { schema: 'Order', description: 'Orders to execute.' },
    quotes: { schema: 'Quote', description: 'Quotes market orders fill against.' },
    trades: { schema: 'Trade', optional: true, description: 'Trades that limit orders fill against.' },
  },
  output: 'Fill',
  params,
  create: (p, ctx) => ({ orders, quotes, trades }) => {
    const market = new Map<string, Order[]>();
    const limits = new Map<string, Order>();
    const seen = new Set<string>();
    const duplicates = ctx.metrics.counter('duplicate_orders');
    const fill = (o: Order, price: number, ts: { ts_event: number; ts_known: number }, liquidity: Fill['liquidity']): Fill => ({
      ts_event: ts.ts_event, ts_known: ts.ts_known, fill_id: `${o.order_id}#1`, order_id: o.order_id, symbol: o.symbol,
      side: o.side, qty: o.qty, price, fee: o.qty * price * p.fee_bps * 1e-4, liquidity,
    });
    const onOrders = (batch: readonly Order[]): void => {
      for (const o of batch) {
        if (seen.has(o.order_id)) {
          duplicates.inc();
          ctx.deadLetter(o, `duplicate order id ${o.order_id}: already executed or working`);
          continue;
        }
        seen.add(o.order_id);
        if (!(o.qty > 0)) {
          ctx.deadLetter(o, `bad quantity ${o.qty}`);
          continue;
        }
        if (o.order_type === 'LIMIT') {
          if (!(o.limit_price !== null && o.limit_price > 0)) {
            ctx.deadLetter(o, `limit order without a positive limit price (${o.limit_price})`);
            continue;
          }
          limits.set(o.symbol, o);
        } else {
          const queue = market.get(o.symbol);
          if (queue) queue.push(o);
          else market.set(o.symbol, [o]);
        }
      }
    };
    const onQuotes = (batch: readonly Quote[], emit: Emit<Fill>): void => {
      if (market.size === 0) return;
      const out: Fill[] = [];
      for (const q of batch) {
        const queue = market.get(q.symbol);
        if (!queue) continue;
        while (queue.length > 0 && q.ts_known >= queue[0]!.ts_known + p.latency_us) {
          const o = queue.shift()!;
          out.push(fill(o, o.side === 'BUY' ? q.ask : q.bid, q, 'TAKER'));
        }
        if (queue.length === 0) market.delete(q.symbol);
      }
      emit(out);
    };
    const onTrades = (batch: readonly Trade[], emit: Emit<Fill>): void => {
      if (limits.size === 0) return;
      const out: Fill[] = [];
      for (const t of batch) {
        const o = limits.get(t.symbol);
        if (!o || t.ts_known < o.ts_known + p.latency_us || t.version > 1) continue;
        const through = o.side === 'BUY' ? t.price < o.limit_price! : t.price > o.limit_price!;
        if (!through) continue;
        limits.delete(t.symbol);
        out.push(fill(o, o.limit_price!, t, 'MAKER'));
      }
      emit(out);
    };
    return handle<Fill>(ctx, [
      on(orders, onOrders),
      on(quotes, onQuotes),
      on(trades, onTrades),
    ], {
      end: () => {
        const working = [...market.values()].reduce((a, q) => a + q.length, 0) + limits.size;
        if (working > 0) ctx.metrics.counter('unfilled_at_end').inc(working);
      },
    });
  },
});
