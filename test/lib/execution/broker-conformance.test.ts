/**
 * The shared conformance table (test/fixtures/execution/broker-conformance.json) against
 * execution.book-broker: each case's steps, in the venue's terms (background orders added and
 * executed, client orders), become what a market-data feed of a market without the client shows —
 * the top of book after every step and a trade print for every execution — and the broker's fills and
 * order states must be the case's. The cases the venue would answer differently say so in the table.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bookBroker } from '../../../operators/execution/book-broker.ts';
import { runOperator } from '../../../pipelines/harness/harness.ts';
import type { Fill, Order, OrderState, Quote, Trade } from '../../../schemas/types.generated.ts';
import { order as makeOrder, quote, T0, trade } from '../../helpers/records.ts';
import { plainBroker } from '../../helpers/algo-graph.ts';

type Step =
  | { add: { id: number; side: 'B' | 'S'; price: number; shares: number } }
  | { execute: { id: number; shares: number } }
  | { order: { id: string; side: 'BUY' | 'SELL'; qty: number; type: 'MARKET' | 'LIMIT'; price?: number; tif?: 'DAY' | 'IOC' } }
  | { cancel: { id: string; target: string } }
  | { replace: { id: string; target: string; qty: number; price: number } };
interface Case {
  name: string;
  steps: Step[];
  fills: [string, number, number, string][];
  states: [string, string, number, number][];
  venue: string;
}

const table = JSON.parse(readFileSync(new URL('../../fixtures/execution/broker-conformance.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};

/** The feeds a case's steps make: one batch per step, 100 µs apart. */
function feeds(steps: readonly Step[]) {
  const book = new Map<number, { side: 'B' | 'S'; price: number; shares: number }>();
  const orders: Order[][] = [];
  const quotes: Quote[][] = [];
  const trades: Trade[][] = [];
  let seq = 0;
  const top = (side: 'B' | 'S'): [number, number] => {
    const live = [...book.values()].filter((o) => o.side === side && o.shares > 0);
    if (live.length === 0) return [0, 0];
    const best = side === 'B' ? Math.max(...live.map((o) => o.price)) : Math.min(...live.map((o) => o.price));
    return [best, live.filter((o) => o.price === best).reduce((a, o) => a + o.shares, 0)];
  };
  const show = (t: number) => {
    const [[bid, bidSize], [ask, askSize]] = [top('B'), top('S')];
    quotes.push([quote('A', t, bid, ask, ++seq, { bid_size: bidSize, ask_size: askSize })]);
  };
  steps.forEach((step, i) => {
    const t = T0 + 100 * (i + 1);
    const client = (o: Partial<Order> & Pick<Order, 'order_id' | 'side' | 'qty'>) =>
      orders.push([makeOrder('A', o.side, o.qty, { ts_event: t, ts_known: t, ...o })]);
    if ('add' in step) {
      book.set(step.add.id, { ...step.add });
      show(t + 1);
    } else if ('execute' in step) {
      const resting = book.get(step.execute.id)!;
      resting.shares -= step.execute.shares;
      trades.push([trade('A', t, resting.price, step.execute.shares, ++seq, { aggressor: resting.side === 'B' ? 'SELL' : 'BUY' })]);
      show(t + 1);
    } else if ('order' in step) {
      const o = step.order;
      client({ order_id: o.id, side: o.side, qty: o.qty, order_type: o.type, limit_price: o.price ?? null, time_in_force: o.tif ?? 'DAY' });
    } else if ('cancel' in step) {
      client({ order_id: step.cancel.id, side: 'BUY', qty: 0, action: 'CANCEL', target_order_id: step.cancel.target });
    } else {
      const r = step.replace;
      client({
        order_id: r.id,
        side: 'BUY',
        qty: r.qty,
        order_type: 'LIMIT',
        limit_price: r.price,
        action: 'REPLACE',
        target_order_id: r.target,
      });
    }
  });
  return { orders, quotes, trades };
}

const zero = plainBroker;

describe('broker conformance table: execution.book-broker', () => {
  it('has cases, each saying how the venue answers', () => {
    expect(table.cases.length).toBeGreaterThanOrEqual(8);
    for (const c of table.cases) expect(c.venue, c.name).toMatch(/^(same|differs: .+)/);
  });
  for (const c of table.cases) {
    it(c.name, async () => {
      const run = await runOperator(bookBroker, zero, feeds(c.steps));
      expect((run.outputs['out'] as Fill[]).map((f) => [f.order_id, f.qty, f.price, f.liquidity])).toEqual(c.fills);
      // States up to the end of the run (orders still working then expire; the table stops before).
      const states = (run.outputs['states'] as OrderState[]).filter((s) => s.status !== 'EXPIRED');
      expect(states.map((s) => [s.order_id, s.status, s.filled_qty, s.remaining_qty])).toEqual(c.states);
    });
  }
});
