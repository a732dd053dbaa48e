/**
 * execution.twap wired to execution.book-broker (no latency, impact or fees): equal slices at even
 * times, IOC remainders carried to the next slice, replacement and cancel of a parent, the close,
 * and the shortfall report. Every expected value is worked out in the test.
 */
import { describe, expect, it } from 'vitest';
import { MINUTE } from '../../../lib/core/time.ts';
import type { Order } from '../../../schemas/types.generated.ts';
import { quotes, runAlgoGraph } from '../../helpers/algo-graph.ts';
import { expectNear } from '../../helpers/expect-near.ts';
import * as records from '../../helpers/records.ts';
import { T0 } from '../../helpers/records.ts';

const midAt = (minute: number): number => 100 + 0.01 * ((Math.ceil(minute - 0.5) - 1) % 2); // the last quote before `minute`
const parent = (atMinute: number, id: string, side: Order['side'], qty: number, extra: Partial<Order> = {}): Order =>
  records.order('A', side, qty, {
    ts_event: T0 + atMinute * MINUTE,
    ts_known: T0 + atMinute * MINUTE,
    order_id: id,
    ref_price: 100,
    ...extra,
  });
const session = { open: T0, close: T0 + 390 * MINUTE };

describe('execution.twap', () => {
  it('slices 1,000 over 20 minutes every 5 into four children of 250 at 10, 15, 20, 25 minutes, and reports the shortfall', async () => {
    const run = await runAlgoGraph({
      type: 'execution.twap',
      params: { horizon_minutes: 20, slice_minutes: 5 },
      orders: [[parent(10, 'P', 'BUY', 1000)]],
      quotes: quotes(60, 1000),
      sessions: [session],
    });
    expect(run.children.map((c) => [c.at, c.order.order_id, c.order.qty, c.order.time_in_force, c.order.side])).toEqual(
      [10, 15, 20, 25].map((m, i) => [T0 + m * MINUTE, `P/${i + 1}`, 250, 'IOC', 'BUY']),
    );
    // Each child takes the ask of the quote of the minute before: minutes 9, 14, 19, 24 → asks
    // 100.02, 100.01, 100.02, 100.01; average 100.015. Arrival mid (minute 9's) 100.01:
    // trading cost (100.015 − 100.01)·1000 = 5, shortfall 5 over 1000·100.01, delay (100.01 − 100)·1000 = 10.
    expectNear(
      run.fills.map((f) => f.price),
      [100.02, 100.01, 100.02, 100.01],
    );
    expect(run.reports).toHaveLength(1);
    const r = run.reports[0]!;
    expect([r.parent_order_id, r.algo, r.status, r.qty, r.filled_qty, r.children]).toEqual(['P', 'TWAP', 'FILLED', 1000, 1000, 4]);
    expect(r.arrival_mid).toBeCloseTo(midAt(10), 12);
    expect(r.arrival_mid).toBeCloseTo(100.01, 12);
    expect(r.avg_price).toBeCloseTo(100.015, 10);
    expect(r.trading_cost).toBeCloseTo(5, 8);
    expect(r.opportunity_cost).toBe(0);
    expect(r.shortfall).toBeCloseTo(5, 8);
    expect(r.shortfall_bps).toBeCloseTo((5 / (1000 * 100.01)) * 1e4, 8);
    expect(r.delay_cost).toBeCloseTo(10, 8);
    expect(r.ts_known).toBe(T0 + 25 * MINUTE);
  });

  it('carries what an IOC child could not fill to the next slice, then catches up every slice until filled', async () => {
    // 100 shown per quote: each child fills 100. Children k = 1..4 aim at 250·k: 250, 400, 550, 700;
    // then the whole 1,000 less 100·(k − 1) filled: 600, 500, 400, 300, 200, 100 at 30, 35, …, 55 minutes.
    const run = await runAlgoGraph({
      type: 'execution.twap',
      params: { horizon_minutes: 20, slice_minutes: 5 },
      orders: [[parent(10, 'P', 'BUY', 1000)]],
      quotes: quotes(120, 100),
      sessions: [session],
    });
    expect(run.children.map((c) => c.order.qty)).toEqual([250, 400, 550, 700, 600, 500, 400, 300, 200, 100]);
    expect(run.children.map((c) => (c.at - T0) / MINUTE)).toEqual([10, 15, 20, 25, 30, 35, 40, 45, 50, 55]);
    expect(run.fills.every((f) => f.qty === 100)).toBe(true);
    expect(run.reports.map((r) => [r.status, r.filled_qty, r.children])).toEqual([['FILLED', 1000, 10]]);
  });

  it('a new parent for the symbol replaces the one being worked: its unsent slices are dropped', async () => {
    const run = await runAlgoGraph({
      type: 'execution.twap',
      params: { horizon_minutes: 20, slice_minutes: 5 },
      orders: [[parent(10, 'P1', 'BUY', 1000)], [parent(17, 'P2', 'SELL', 300)]],
      quotes: quotes(60, 1000),
      sessions: [session],
    });
    // P1: 250 at 10 and 15, then replaced at 17; P2: 75 at 17, 22, 27, 32.
    expect(run.children.map((c) => [(c.at - T0) / MINUTE, c.order.order_id, c.order.qty])).toEqual([
      [10, 'P1/1', 250],
      [15, 'P1/2', 250],
      [17, 'P2/1', 75],
      [22, 'P2/2', 75],
      [27, 'P2/3', 75],
      [32, 'P2/4', 75],
    ]);
    const p1 = run.reports.find((r) => r.parent_order_id === 'P1')!;
    // Unfilled 500 valued at minute 16's mid 100.00 against the arrival 100.01: (100 − 100.01)·500 = −5.
    expect([p1.status, p1.filled_qty, p1.ts_known]).toEqual(['REPLACED', 500, T0 + 17 * MINUTE]);
    expect(p1.end_mid).toBeCloseTo(100, 12);
    expect(p1.opportunity_cost).toBeCloseTo(-5, 8);
    // Fills at asks 100.02 (minute 9) and 100.01 (minute 14): trading (100.015 − 100.01)·500 = 2.5.
    expect(p1.trading_cost).toBeCloseTo(2.5, 8);
    expect(p1.shortfall).toBeCloseTo(-2.5, 8);
    expect(run.reports.find((r) => r.parent_order_id === 'P2')!.status).toBe('FILLED');
  });

  it('a CANCEL of the parent stops its work; a CANCEL of an unknown id changes nothing', async () => {
    const run = await runAlgoGraph({
      type: 'execution.twap',
      params: { horizon_minutes: 20, slice_minutes: 5 },
      orders: [
        [parent(10, 'P', 'BUY', 1000)],
        [parent(12, 'C0', 'BUY', 0, { action: 'CANCEL', target_order_id: 'nope' })],
        [parent(16, 'C', 'BUY', 0, { action: 'CANCEL', target_order_id: 'P' })],
      ],
      quotes: quotes(60, 1000),
      sessions: [session],
    });
    expect(run.children.map((c) => c.order.order_id)).toEqual(['P/1', 'P/2']);
    expect(run.reports.map((r) => [r.parent_order_id, r.status, r.filled_qty])).toEqual([['P', 'CANCELLED', 500]]);
  });

  it('ends each schedule by the close, and expires what is unfilled at the close', async () => {
    // Close at 30 minutes: a 60-minute horizon from 20 is cut to [20, 30): slices at 20 and 25, 500 each
    // on the schedule; 100 shown: 500, then 1,000 − 100 = 900; at the close 800 are unfilled.
    const run = await runAlgoGraph({
      type: 'execution.twap',
      params: { horizon_minutes: 60, slice_minutes: 5 },
      orders: [[parent(20, 'P', 'BUY', 1000)], [parent(31, 'Late', 'BUY', 1000, { ts_event: T0 + 31 * MINUTE })]],
      quotes: quotes(40, 100),
      sessions: [{ open: T0, close: T0 + 30 * MINUTE }],
    });
    expect(run.children.map((c) => [(c.at - T0) / MINUTE, c.order.qty])).toEqual([
      [20, 500],
      [25, 900],
    ]);
    const r = run.reports[0]!;
    expect([run.reports.length, r.status, r.filled_qty, r.ts_known]).toEqual([1, 'EXPIRED', 200, T0 + 30 * MINUTE]);
    // Arrival: minute 19's mid 100.01; at the close, minute 29's mid 100.01: no opportunity cost.
    expect(r.opportunity_cost).toBeCloseTo((midAt(30) - midAt(20)) * 800, 8);
    // The parent after the close is refused, by name.
    expect(run.deadLetters.map((d) => [d.node, d.reason])).toEqual([
      ['algo', 'parent outside a trading session: one at or after the close is not worked (TWAP)'],
    ]);
  });

  it('refuses a parent with no quote for its symbol yet, and a parent id seen before', async () => {
    const run = await runAlgoGraph({
      type: 'execution.twap',
      params: { horizon_minutes: 20, slice_minutes: 5 },
      orders: [
        [records.order('B', 'BUY', 10, { ts_event: T0 + 5 * MINUTE, ts_known: T0 + 5 * MINUTE, order_id: 'B1' })],
        [parent(10, 'P', 'BUY', 100)],
        [parent(11, 'P', 'BUY', 100)],
      ],
      quotes: quotes(60, 1000),
      sessions: [session],
    });
    expect(run.deadLetters.map((d) => d.reason)).toEqual([
      'no arrival price: no quote for B yet (TWAP)',
      'duplicate parent: order id P already seen (TWAP)',
    ]);
  });

  it('parents handed on in one slice (no quote or timer between) each arrive at their own ts_known', async () => {
    const run = await runAlgoGraph({
      type: 'execution.twap',
      params: { horizon_minutes: 20, slice_minutes: 5 },
      orders: [[parent(10, 'P1', 'BUY', 100), parent(10.25, 'P2', 'BUY', 100)]],
      quotes: quotes(60, 1000),
      sessions: [session],
    });
    // Nothing from another source between 10:00 and 10:15, so the runner hands both on at 10:00;
    // P2 still arrives, and sends its first child, at 10:15.
    const p2 = run.reports.find((r) => r.parent_order_id === 'P2')!;
    const at = T0 + 10.25 * MINUTE;
    expect([p2.arrival_ts, run.children.find((c) => c.order.order_id === 'P2/1')!.at]).toEqual([at, at]);
    expect(run.reports.find((r) => r.parent_order_id === 'P1')!.status).toBe('REPLACED');
  });
});
