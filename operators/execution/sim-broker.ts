/**
 * execution.sim-broker — a simulated venue for backtests (rules in lib/execution/touch-matcher.ts). A
 * market order fills in full at the first quote known at least `latency_us` after the order, buying at
 * the ask and selling at the bid. A limit order rests until a trade prints through its price (strictly
 * below a buy, above a sell) and fills at its limit; a newer order for the same symbol replaces a
 * resting one. An IOC limit fills at the first quote after the latency when the touch is inside its
 * limit, else it is cancelled; CANCEL and REPLACE orders act on a working order. Fees in bps of
 * notional. Every change of an order's state goes out on the `states` port: NEW when accepted,
 * FILLED, CANCELLED (replaced, cancelled, or an IOC that could not fill), REJECTED (also a dead
 * letter) and EXPIRED for orders still working when the run ends.
 */
import { z } from 'zod';
import { TouchMatcher, type MatchResult } from '../../lib/execution/touch-matcher.ts';
import type { Fill, OrderState } from '../../schemas/types.generated.ts';
import { handlePorts, on, onColumns, type Emitters } from '../sdk/handle.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';

const inputs = definePorts({
  orders: { schema: 'Order', description: 'Orders to execute.' },
  quotes: { schema: 'Quote', description: 'Quotes market orders fill against.' },
  trades: { schema: 'Trade', optional: true, description: 'Trades that limit orders fill against.' },
});

const params = z.strictObject({
  latency_us: z.number().int().min(0).default(1000).describe('Microseconds from order to the first quote it can fill at.'),
  fee_bps: z.number().min(0).max(100).default(0.5).describe('Fee per fill, basis points of notional.'),
});

type Ports = { out: Fill; states: OrderState };

export const simBroker = defineOperator({
  type: 'execution.sim-broker',
  summary: 'Simulated broker: market orders at the touch after a latency, limit orders on trade-through, fees.',
  inputs,
  output: 'Fill',
  outputs: { states: 'OrderState' },
  params,
  create:
    (p, ctx) =>
    ({ orders, quotes, trades }) => {
      const matcher = new TouchMatcher({ latencyUs: p.latency_us, feeBps: p.fee_bps });
      const duplicates = ctx.metrics.counter('duplicate_orders');
      const report = (r: MatchResult, emit: Emitters<Ports>): void => {
        for (const { order, reason, duplicate } of r.rejected) {
          if (duplicate) duplicates.inc();
          ctx.deadLetter(order, reason);
        }
        emit.out(r.fills);
        emit.states(r.states);
      };
      return handlePorts<Ports>(
        ctx,
        ['out', 'states'],
        [
          on(orders, (batch, emit) => report(matcher.submit(batch, ctx.clock.now()), emit)),
          onColumns(quotes, (batch, emit) => report(matcher.onQuotes(batch, ctx.clock.now()), emit)),
          onColumns(trades, (batch, emit) => report(matcher.onTrades(batch, ctx.clock.now()), emit)),
        ],
        {
          end: (emit) => {
            const expired = matcher.expireAll(ctx.clock.now());
            if (expired.states.length > 0) ctx.metrics.counter('unfilled_at_end').inc(expired.states.length);
            report(expired, emit);
          },
        },
      );
    },
});
