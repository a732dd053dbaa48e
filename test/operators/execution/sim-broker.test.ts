/**
 * execution.sim-broker: market orders fill at the touch of the first quote known after the latency,
 * limit orders on a trade through their price, a replayed order id never fills twice, and every
 * change of an order's state is a record on the `states` port.
 */
import { describe, expect, it } from 'vitest';
import { simBroker } from '../../../operators/execution/sim-broker.ts';
import { runOperator } from '../../../pipelines/harness/harness.ts';
import type { Fill, Order, OrderState } from '../../../schemas/types.generated.ts';
import { MINUTE } from '../../../lib/core/time.ts';
import * as records from '../../helpers/records.ts';
import { T0, quote, trade } from '../../helpers/records.ts';

/** A market order to buy 10, sent at `at`, with the id execution.orders would give it. */
const order = (at: number, symbol: string, extra: Partial<Order> = {}): Order =>
  records.order(symbol, 'BUY', 10, { ts_event: at, ts_known: at, order_id: `orders-${at}-${symbol}`, ...extra });
const states = (run: { outputs: Record<string, unknown[]> }): [string, string, number, number][] =>
  (run.outputs['states'] as OrderState[]).map((s) => [s.order_id, s.status, s.filled_qty, s.remaining_qty]);

describe('execution.sim-broker', () => {
  it('executes an order once: the same order id again is a dead letter and a REJECTED state, not a second fill', async () => {
    const o = order(T0 + MINUTE, 'A');
    const run = await runOperator(
      simBroker,
      { latency_us: 0 },
      {
        orders: [[o], [{ ...o, ts_known: T0 + MINUTE + 15 }]],
        quotes: [[quote('A', T0 + MINUTE + 10, 99.9, 100.1, 1)], [quote('A', T0 + MINUTE + 20, 99.9, 100.1, 2)]],
      },
    );
    expect((run.outputs['out'] as Fill[]).map((f) => [f.order_id, f.price, f.qty])).toEqual([[o.order_id, 100.1, 10]]);
    expect(run.deadLetters.map((d) => d.reason)).toEqual([`duplicate order id ${o.order_id}: already executed or working`]);
    expect(states(run)).toEqual([
      [o.order_id, 'NEW', 0, 10],
      [o.order_id, 'FILLED', 10, 0],
      [o.order_id, 'REJECTED', 0, 0],
    ]);
  });

  it('fills a market order at the first quote at least latency_us after it, at the ask for a buy and the bid for a sell', async () => {
    const buy = order(T0, 'A');
    const sell = order(T0, 'B', { side: 'SELL' });
    const run = await runOperator(
      simBroker,
      { latency_us: 1000, fee_bps: 1 },
      {
        orders: [[buy, sell]],
        quotes: [
          [quote('A', T0 + 999, 10, 10.2, 1)], // too early for the latency
          [quote('A', T0 + 1000, 11, 11.2, 2), quote('B', T0 + 1000, 20, 20.4, 3)],
        ],
      },
    );
    const fills = run.outputs['out'] as Fill[];
    expect(fills.map((f) => [f.symbol, f.price, f.ts_known, f.liquidity])).toEqual([
      ['A', 11.2, T0 + 1000, 'TAKER'],
      ['B', 20, T0 + 1000, 'TAKER'],
    ]);
    // 1 bp of notional.
    expect(fills.map((f) => f.fee)).toEqual([10 * 11.2 * 1e-4, 10 * 20 * 1e-4]);
  });

  it('fills a resting limit only on a trade strictly through it, and a newer limit cancels the resting one', async () => {
    const first = order(T0, 'A', { order_type: 'LIMIT', limit_price: 10 });
    const second = order(T0 + 5, 'A', { order_type: 'LIMIT', limit_price: 9.5 });
    const run = await runOperator(
      simBroker,
      { latency_us: 0 },
      {
        orders: [[first], [second]],
        quotes: [],
        trades: [[trade('A', T0 + 10, 9.5, 100, 1)], [trade('A', T0 + 20, 9.49, 100, 2)]],
      },
    );
    expect((run.outputs['out'] as Fill[]).map((f) => [f.order_id, f.price, f.liquidity])).toEqual([[second.order_id, 9.5, 'MAKER']]);
    expect(states(run)).toEqual([
      [first.order_id, 'NEW', 0, 10],
      [first.order_id, 'CANCELLED', 0, 0],
      [second.order_id, 'NEW', 0, 10],
      [second.order_id, 'FILLED', 10, 0],
    ]);
  });

  it('expires what is still working when the run ends', async () => {
    const o = order(T0, 'A', { order_type: 'LIMIT', limit_price: 1 });
    const run = await runOperator(simBroker, {}, { orders: [[o]], quotes: [] });
    expect(states(run)).toEqual([
      [o.order_id, 'NEW', 0, 10],
      [o.order_id, 'EXPIRED', 0, 0],
    ]);
    expect(run.metrics).toMatchObject({ unfilled_at_end: 1 });
  });
});
