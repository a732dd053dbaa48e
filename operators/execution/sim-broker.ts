/**
 * execution.sim-broker — a simulated venue for backtests. A market order fills in full at the first
 * quote known at least `latency_us` after the order, buying at the ask and selling at the bid. A limit
 * order rests until a trade prints through its price (strictly below a buy, above a sell) and fills
 * at its limit; a newer order for the same symbol replaces a resting one. Fees in bps of notional.
 * Every change of an order's state goes out on the `states` port: NEW when accepted, FILLED, CANCELLED
 * when replaced, REJECTED (also a dead letter) and EXPIRED for orders still working when the run ends.
 */
import { z } from 'zod';
import type { Fill, Order, OrderState, OrderStatus, Quote, Trade } from '../../schemas/types.generated.ts';
import { defineOperator } from '../sdk/spec.ts';
import { handlePorts, on, type Emitters } from '../sdk/handle.ts';

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
  outputs: { states: 'OrderState' },
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
    const state = (o: Order, status: OrderStatus, filled: number, reason: string | null, ts_event = o.ts_event): OrderState => ({
      ts_event, ts_known: ctx.clock.now(), order_id: o.order_id, symbol: o.symbol, side: o.side, status,
      filled_qty: filled, remaining_qty: status === 'NEW' || status === 'PARTIALLY_FILLED' ? o.qty - filled : 0, reason,
    });
    const onOrders = (batch: readonly Order[], emit: Emitters<Ports>): void => {
      const states: OrderState[] = [];
      const reject = (o: Order, reason: string): void => {
        ctx.deadLetter(o, reason);
        states.push(state(o, 'REJECTED', 0, reason));
      };
      for (const o of batch) {
        if (seen.has(o.order_id)) {
          duplicates.inc();
          reject(o, `duplicate order id ${o.order_id}: already executed or working`);
          continue;
        }
        seen.add(o.order_id);
        if (!(o.qty > 0)) {
          reject(o, `bad quantity ${o.qty}`);
          continue;
        }
        if (o.order_type === 'LIMIT') {
          if (!(o.limit_price !== null && o.limit_price > 0)) {
            reject(o, `limit order without a positive limit price (${o.limit_price})`);
            continue;
          }
          const replaced = limits.get(o.symbol);
          if (replaced) states.push(state(replaced, 'CANCELLED', 0, `replaced by order ${o.order_id}`, o.ts_event));
          limits.set(o.symbol, o);
        } else {
          const queue = market.get(o.symbol);
          if (queue) queue.push(o);
          else market.set(o.symbol, [o]);
        }
        states.push(state(o, 'NEW', 0, null));
      }
      emit.states(states);
    };
    const filled = (fills: Fill[], orders: Order[], emit: Emitters<Ports>): void => {
      emit.out(fills);
      emit.states(fills.map((f, i) => state(orders[i]!, 'FILLED', f.qty, null, f.ts_event)));
    };
    const onQuotes = (batch: readonly Quote[], emit: Emitters<Ports>): void => {
      if (market.size === 0) return;
      const out: Fill[] = [];
      const done: Order[] = [];
      for (const q of batch) {
        const queue = market.get(q.symbol);
        if (!queue) continue;
        while (queue.length > 0 && q.ts_known >= queue[0]!.ts_known + p.latency_us) {
          const o = queue.shift()!;
          out.push(fill(o, o.side === 'BUY' ? q.ask : q.bid, q, 'TAKER'));
          done.push(o);
        }
        if (queue.length === 0) market.delete(q.symbol);
      }
      filled(out, done, emit);
    };
    const onTrades = (batch: readonly Trade[], emit: Emitters<Ports>): void => {
      if (limits.size === 0) return;
      const out: Fill[] = [];
      const done: Order[] = [];
      for (const t of batch) {
        const o = limits.get(t.symbol);
        if (!o || t.ts_known < o.ts_known + p.latency_us || t.version > 1) continue;
        const through = o.side === 'BUY' ? t.price < o.limit_price! : t.price > o.limit_price!;
        if (!through) continue;
        limits.delete(t.symbol);
        out.push(fill(o, o.limit_price!, t, 'MAKER'));
        done.push(o);
      }
      filled(out, done, emit);
    };
    return handlePorts<Ports>(ctx, ['out', 'states'], [
      on(orders, onOrders),
      on(quotes, onQuotes),
      on(trades, onTrades),
    ], {
      end: (emit) => {
        const working = [...[...market.values()].flat(), ...limits.values()];
        if (working.length > 0) ctx.metrics.counter('unfilled_at_end').inc(working.length);
        emit.states(working.map((o) => state(o, 'EXPIRED', 0, 'still working when the run ended', ctx.clock.now())));
      },
    });
  },
});

type Ports = { out: Fill; states: OrderState };
