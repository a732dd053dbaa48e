/**
 * A conformance case against execution.book-broker: the case's steps become what a market-data feed of
 * the market without the client shows — the top of book after every background step and a trade
 * print for every background execution — and the client's steps become orders, one batch per step,
 * 100 µs apart, with no latency, impact or fees. With `depth`, the feed also shows the levels beyond
 * the top after every background step (BookDepth pictures), which the broker's takers walk.
 */
import { bookBroker } from '../../operators/execution/book-broker.ts';
import { runOperator } from '../../pipelines/harness/harness.ts';
import type { BookDepth, Fill, Order, OrderState, Quote, Trade } from '../../schemas/types.generated.ts';
import { plainBroker } from '../helpers/algo-graph.ts';
import { order as makeOrder, quote, T0, trade } from '../helpers/records.ts';
import type { FillRow, Side, StateRow, Step } from './cases.ts';

function feeds(steps: readonly Step[], withDepth: boolean) {
  const book = new Map<number, { side: Side; price: number; shares: number }>();
  const orders: Order[][] = [];
  const quotes: Quote[][] = [];
  const trades: Trade[][] = [];
  const depth: BookDepth[][] = [];
  let seq = 0;
  const top = (side: Side): [number, number] => {
    const live = [...book.values()].filter((o) => o.side === side && o.shares > 0);
    if (live.length === 0) return [0, 0];
    const best = side === 'B' ? Math.max(...live.map((o) => o.price)) : Math.min(...live.map((o) => o.price));
    return [best, live.filter((o) => o.price === best).reduce((a, o) => a + o.shares, 0)];
  };
  /** The levels of `side` beyond its top, best first; a side with none shows one level of size 0 (nothing there). */
  const beyond = (side: Side, touch: number): [number, number][] => {
    const sizes = new Map<number, number>();
    for (const o of book.values())
      if (o.side === side && o.shares > 0 && o.price !== touch) sizes.set(o.price, (sizes.get(o.price) ?? 0) + o.shares);
    const levels = [...sizes].sort(([a], [b]) => (side === 'B' ? b - a : a - b));
    return levels.length > 0 ? levels : [[side === 'B' ? Math.max(0.01, touch - 0.01) : touch + 0.01, 0]];
  };
  const show = (t: number) => {
    const [[bid, bidSize], [ask, askSize]] = [top('B'), top('S')];
    if (withDepth) {
      const rows: BookDepth[] = [];
      for (const [side, touch, name] of [
        ['B', bid, 'BID'],
        ['S', ask, 'ASK'],
      ] as const)
        beyond(side, touch).forEach(([price, size], i) => {
          rows.push({ ts_event: t, ts_known: t, symbol: 'A', seq: ++seq, side: name, level: i + 2, price, size });
        });
      depth.push(rows);
    }
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
    } else if ('reduce' in step) {
      book.get(step.reduce.id)!.shares -= step.reduce.shares;
      show(t + 1);
    } else if ('delete' in step) {
      book.get(step.delete.id)!.shares = 0;
      show(t + 1);
    } else if ('order' in step) {
      const o = step.order;
      client({
        order_id: o.id,
        side: o.side,
        qty: o.qty,
        order_type: o.type,
        limit_price: o.price ?? null,
        ref_price: o.ref ?? 100,
        time_in_force: o.tif ?? 'DAY',
      });
    } else if ('cancel' in step) {
      client({ order_id: step.cancel.id, side: 'BUY', qty: 0, action: 'CANCEL', target_order_id: step.cancel.target });
    } else {
      const r = step.replace;
      client({
        order_id: r.id,
        side: r.side ?? 'BUY',
        qty: r.qty,
        order_type: 'LIMIT',
        limit_price: r.price,
        action: 'REPLACE',
        target_order_id: r.target,
      });
    }
  });
  return { orders, quotes, trades, ...(withDepth ? { depth } : {}) };
}

/** The broker's fills and order states for a case's steps (states up to the end of the steps: orders still working then expire when the run ends, which the table leaves out). */
export async function runBroker(
  steps: readonly Step[],
  options: { depth?: boolean } = {},
): Promise<{ fills: FillRow[]; states: StateRow[]; reasons: [string, string][] }> {
  const run = await runOperator(bookBroker, plainBroker, feeds(steps, options.depth ?? false));
  const states = run.outputs['states'] as OrderState[];
  return {
    reasons: states.filter((s) => s.status === 'REJECTED').map((s) => [s.order_id, s.reason ?? ''] as [string, string]),
    fills: (run.outputs['out'] as Fill[]).map((f) => [f.order_id, f.qty, f.price, f.liquidity] as FillRow),
    states: states.filter((s) => s.status !== 'EXPIRED').map((s) => [s.order_id, s.status, s.filled_qty, s.remaining_qty] as StateRow),
  };
}
