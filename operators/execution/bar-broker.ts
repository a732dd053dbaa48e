/**
 * execution.bar-broker — a simulated broker for bar data, such as daily closes (rules in
 * lib/execution/bar-matcher.ts): an order fills in full at the close of the next bar of its symbol
 * that arrives after it, a buy `slippage_bps` above the close and a sell below; a LIMIT order only
 * when that price is at or inside its limit, else it is cancelled. Fees in bps of notional. Every
 * change of an order's state goes out on `states`; orders still waiting at the end are EXPIRED.
 */
import { z } from 'zod';
import { type BarMatchResult, BarMatcher } from '../../lib/execution/bar-matcher.ts';
import type { Fill, OrderState } from '../../schemas/types.generated.ts';
import { type Emitters, handlePorts, on } from '../sdk/handle.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';

const inputs = definePorts({
  orders: { schema: 'Order', description: 'Orders to execute.' },
  bars: { schema: 'Bar', description: 'Bars whose closes orders fill at.' },
});

const params = z.strictObject({
  fee_bps: z.number().min(0).max(100).default(1).describe('Fee per fill, basis points of notional.'),
  slippage_bps: z.number().min(0).max(1000).default(0).describe('A buy fills this many bps above the close, a sell below.'),
});

type Ports = { out: Fill; states: OrderState };

export const barBroker = defineOperator({
  type: 'execution.bar-broker',
  summary: "Simulated broker on bars: orders fill at the next bar's close (plus slippage), fees.",
  inputs,
  output: 'Fill',
  outputs: { states: 'OrderState' },
  params,
  create:
    (p, ctx) =>
    ({ orders, bars }) => {
      const matcher = new BarMatcher({ feeBps: p.fee_bps, slippageBps: p.slippage_bps });
      const report = (r: BarMatchResult, emit: Emitters<Ports>): void => {
        for (const { order, reason } of r.rejected) ctx.deadLetter(order, reason);
        emit.out(r.fills);
        emit.states(r.states);
      };
      return handlePorts<Ports>(
        ctx,
        ['out', 'states'],
        [
          on(orders, (batch, emit) => report(matcher.submit(batch, ctx.clock.now()), emit)),
          on(bars, (batch, emit) => report(matcher.onBars(batch), emit)),
        ],
        { end: (emit) => report(matcher.expireAll(ctx.clock.now()), emit) },
      );
    },
});
