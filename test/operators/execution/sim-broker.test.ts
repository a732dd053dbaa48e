/**
 * execution.sim-broker recognises a replayed order by its deterministic id (orders: NODE-ts-SYMBOL)
 * and never executes it twice: the copy becomes a dead letter naming the id.
 */
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { simBroker } from '../../../operators/execution/sim-broker.ts';
import { Rng } from '../../../lib/core/rng.ts';
import type { Batch } from '../../../operators/sdk/spec.ts';
import { EventClock } from '../../../pipelines/runtime/event-clock.ts';
import { NodeContext } from '../../../pipelines/runtime/node-context.ts';
import type { DeadLetter, Fill, Order, Quote, Trade } from '../../../schemas/types.generated.ts';
import { MINUTE, T0, quote } from '../../helpers/memory-graph.ts';

describe('execution.sim-broker', () => {
  it('executes an order once: the same order id again is a dead letter, not a second fill', () => {
    const clock = new EventClock(T0);
    const deadLetters: DeadLetter[] = [];
    const ctx = new NodeContext('broker', clock.forNode(0), new Rng(1), {}, {
      calendar: { sessions: [{ open: T0, close: T0 + 390 * MINUTE }] }, universe: [], outDir: '/nonexistent',
      log: { info: () => {}, warn: () => {} }, onDeadLetter: (d) => deadLetters.push(d), openDataset: () => { throw new Error('no datasets'); },
    });
    const orders = new Subject<Batch<Order>>();
    const quotes = new Subject<Batch<Quote>>();
    const trades = new Subject<Batch<Trade>>();
    const fills: Fill[] = [];
    simBroker.create(simBroker.params.parse({ latency_us: 0 }), ctx)({ orders, quotes, trades }).subscribe((b) => fills.push(...b));
    const order: Order = {
      ts_event: T0 + MINUTE, ts_known: T0 + MINUTE, order_id: `orders-${T0 + MINUTE}-A`, symbol: 'A', side: 'BUY', qty: 10,
      order_type: 'MARKET', limit_price: null, ref_price: 100,
    };
    clock.advanceTo(T0 + MINUTE);
    orders.next([order]);
    quotes.next([quote('A', T0 + MINUTE + 10, 99.9, 100.1, 1)]);
    expect(fills.map((f) => f.order_id)).toEqual([order.order_id]);
    // The same order replayed (a restarted upstream process sends it again).
    orders.next([{ ...order }]);
    quotes.next([quote('A', T0 + MINUTE + 20, 99.9, 100.1, 2)]);
    expect(fills).toHaveLength(1);
    expect(deadLetters.map((d) => d.reason)).toEqual([`duplicate order id ${order.order_id}: already executed or working`]);
  });
});
