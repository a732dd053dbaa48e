/**
 * execution.bar-broker: an order fills at the close of the next bar of its symbol, a buy slippage_bps
 * above and a sell below, with fee_bps of the notional; a LIMIT only at or inside its limit; a newer
 * order replaces a waiting one; bad orders are dead letters; orders still waiting at the end expire.
 * Every expected price and fee is computed here from the bars' closes.
 */
import { describe, expect, it } from 'vitest';
import { MINUTE } from '../../../lib/core/time.ts';
import { barBroker } from '../../../operators/execution/bar-broker.ts';
import { runOperator } from '../../../pipelines/harness/harness.ts';
import type { Fill, Order, OrderState } from '../../../schemas/types.generated.ts';
import * as records from '../../helpers/records.ts';
import { bar, T0 } from '../../helpers/records.ts';

const order = (at: number, symbol: string, side: Order['side'], qty: number, extra: Partial<Order> = {}): Order =>
  records.order(symbol, side, qty, { ts_event: at, ts_known: at, order_id: `o-${at}-${symbol}`, ...extra });
const states = (run: { outputs: Record<string, unknown[]> }): [string, string, number, number][] =>
  (run.outputs['states'] as OrderState[]).map((s) => [s.order_id, s.status, s.filled_qty, s.remaining_qty]);

describe('execution.bar-broker', () => {
  it("fills at the close of the next bar of the order's symbol, with slippage and fees", async () => {
    const buy = order(T0 + 10 * MINUTE, 'A', 'BUY', 100);
    const sell = order(T0 + 10 * MINUTE, 'B', 'SELL', 40);
    const run = await runOperator(
      barBroker,
      { fee_bps: 2, slippage_bps: 10 },
      {
        orders: [[buy, sell]],
        bars: [
          [bar('A', T0 + 5 * MINUTE, 50)], // before the orders: no fill
          [bar('C', T0 + 11 * MINUTE, 7)], // another symbol
          [bar('A', T0 + 12 * MINUTE, 51), bar('B', T0 + 12 * MINUTE, 20)],
          [bar('A', T0 + 13 * MINUTE, 60)], // the order has filled already
        ],
      },
    );
    const fills = run.outputs['out'] as Fill[];
    // Buy 10 bps above 51, sell 10 bps below 20; fee 2 bps of qty × price.
    const pa = 51 * 1.001;
    const pb = 20 * 0.999;
    expect(fills.map((f) => [f.order_id, f.symbol, f.side, f.qty, f.ts_known])).toEqual([
      [buy.order_id, 'A', 'BUY', 100, T0 + 12 * MINUTE],
      [sell.order_id, 'B', 'SELL', 40, T0 + 12 * MINUTE],
    ]);
    expect(fills[0]!.price).toBeCloseTo(pa, 12);
    expect(fills[1]!.price).toBeCloseTo(pb, 12);
    expect(fills[0]!.fee).toBeCloseTo(100 * pa * 2e-4, 12);
    expect(fills[1]!.fee).toBeCloseTo(40 * pb * 2e-4, 12);
    expect(states(run)).toEqual([
      [buy.order_id, 'NEW', 0, 100],
      [sell.order_id, 'NEW', 0, 40],
      [buy.order_id, 'FILLED', 100, 0],
      [sell.order_id, 'FILLED', 40, 0],
    ]);
  });

  it('fills a LIMIT order only at or inside its limit, else cancels it; a newer order replaces a waiting one', async () => {
    const cheap = order(T0 + MINUTE, 'A', 'BUY', 10, { order_type: 'LIMIT', limit_price: 49.99 });
    const ok = order(T0 + MINUTE, 'B', 'SELL', 10, { order_type: 'LIMIT', limit_price: 19 });
    const first = order(T0 + MINUTE, 'C', 'BUY', 5);
    const second = order(T0 + 2 * MINUTE, 'C', 'BUY', 7);
    const run = await runOperator(
      barBroker,
      { fee_bps: 0 },
      {
        orders: [[cheap, ok, first], [second]],
        bars: [[bar('A', T0 + 3 * MINUTE, 50), bar('B', T0 + 3 * MINUTE, 20), bar('C', T0 + 3 * MINUTE, 30)]],
      },
    );
    expect((run.outputs['out'] as Fill[]).map((f) => [f.order_id, f.price, f.qty])).toEqual([
      [ok.order_id, 20, 10],
      [second.order_id, 30, 7],
    ]);
    expect(states(run)).toEqual([
      [cheap.order_id, 'NEW', 0, 10],
      [ok.order_id, 'NEW', 0, 10],
      [first.order_id, 'NEW', 0, 5],
      [first.order_id, 'CANCELLED', 0, 5],
      [second.order_id, 'NEW', 0, 7],
      [cheap.order_id, 'CANCELLED', 0, 10],
      [ok.order_id, 'FILLED', 10, 0],
      [second.order_id, 'FILLED', 7, 0],
    ]);
  });

  it('refuses bad orders as dead letters and expires what is still waiting at the end', async () => {
    const fractional = order(T0 + MINUTE, 'A', 'BUY', 1.5);
    const replace = order(T0 + MINUTE, 'B', 'BUY', 1, { action: 'REPLACE', target_order_id: 'x' });
    const waiting = order(T0 + MINUTE, 'C', 'SELL', 3);
    const run = await runOperator(
      barBroker,
      {},
      { orders: [[fractional, replace, waiting, waiting]], bars: [[bar('A', T0 + 2 * MINUTE, 10)]] },
    );
    expect(run.outputs['out']).toEqual([]);
    expect(run.deadLetters.map((d) => d.reason)).toEqual([
      'quantity 1.5: expected a positive whole number of shares',
      'action REPLACE: the bar broker takes NEW and CANCEL orders',
      `duplicate order id ${waiting.order_id}`,
    ]);
    expect(states(run).slice(-1)).toEqual([[waiting.order_id, 'EXPIRED', 0, 3]]);
  });
});
