import { describe, expect, it } from 'vitest';
import { OuchStates, type OuchMessage } from '../../../lib/execution/ouch-states.ts';
import type { Order } from '../../../schemas/types.generated.ts';
import * as records from '../../helpers/records.ts';

const MIDNIGHT = Date.UTC(2024, 0, 2, 5) * 1000; // New York midnight, 2024-01-02 (EST)
const token = (id: string) => `T-${id}`;
const order = (id: string, extra: Partial<Order> = {}): Order =>
  records.order('ABC', 'BUY', 500, {
    ts_event: 1,
    ts_known: 1,
    order_id: id,
    ref_price: 10,
    order_type: 'LIMIT',
    limit_price: 10,
    ...extra,
  });
const NS = 34_200_000_000_000; // 09:30 in ns since midnight
const msg = (type: string, fields: Record<string, string | number>): OuchMessage => ({ type, timestamp: NS, ...fields });

describe('OuchStates', () => {
  it('maps Accepted, Executed and Canceled to NEW, a Fill with PARTIALLY_FILLED, then CANCELLED, stamped in exchange time', () => {
    const s = new OuchStates({ feeBps: 2, token, midnight: MIDNIGHT });
    s.sent(order('a'));
    const acc = s.onMessage(msg('A', { order_token: 'T-a', shares: 500, price: 100000 }), 99);
    expect(acc.states).toEqual([
      {
        ts_event: MIDNIGHT + NS / 1000,
        ts_known: 99,
        order_id: 'a',
        symbol: 'ABC',
        side: 'BUY',
        status: 'NEW',
        filled_qty: 0,
        remaining_qty: 500,
        reason: null,
      },
    ]);
    const ex = s.onMessage(
      msg('E', { order_token: 'T-a', executed_shares: 200, execution_price: 99900, liquidity_flag: 'A', match_number: 17 }),
      100,
    );
    expect(ex.fills).toEqual([
      {
        ts_event: MIDNIGHT + NS / 1000,
        ts_known: 100,
        fill_id: 'a#17',
        order_id: 'a',
        symbol: 'ABC',
        side: 'BUY',
        qty: 200,
        price: 9.99,
        fee: (200 * 9.99 * 2) / 1e4,
        liquidity: 'MAKER',
      },
    ]);
    expect(ex.states.map((x) => [x.status, x.filled_qty, x.remaining_qty])).toEqual([['PARTIALLY_FILLED', 200, 300]]);
    expect(s.working().map((o) => o.order_id)).toEqual(['a']);
    const c = s.onMessage(msg('C', { order_token: 'T-a', decrement_shares: 300, reason: 'I' }), 101);
    expect(c.states.map((x) => [x.status, x.filled_qty, x.remaining_qty, x.reason])).toEqual([
      ['CANCELLED', 200, 0, "'I' immediate or cancel"],
    ]);
    expect(s.working()).toEqual([]);
  });

  it('fills in full as TAKER, and a partial decrement keeps the status', () => {
    const s = new OuchStates({ feeBps: 0, token, midnight: MIDNIGHT });
    s.sent(order('b', { qty: 300 }));
    s.onMessage(msg('A', { order_token: 'T-b', shares: 300 }), 1);
    expect(
      s.onMessage(msg('C', { order_token: 'T-b', decrement_shares: 100, reason: 'U' }), 2).states.map((x) => [x.status, x.remaining_qty]),
    ).toEqual([['NEW', 200]]);
    const r = s.onMessage(
      msg('E', { order_token: 'T-b', executed_shares: 200, execution_price: 123456, liquidity_flag: 'R', match_number: 3 }),
      3,
    );
    expect(r.fills.map((f) => [f.fill_id, f.price, f.liquidity])).toEqual([['b#3', 12.3456, 'TAKER']]);
    expect(r.states.map((x) => [x.status, x.filled_qty, x.remaining_qty])).toEqual([['FILLED', 200, 0]]);
  });

  it('rejects: a mapping error at once, a venue rejection with its code spelled out; both are dead letters', () => {
    const s = new OuchStates({ feeBps: 0, token, midnight: MIDNIGHT });
    const bad = order('x', { qty: 1.5 });
    const refused = s.refused(bad, 'qty 1.5 is not a whole number', 7);
    expect(refused.states.map((x) => [x.order_id, x.status, x.reason, x.ts_event])).toEqual([
      ['x', 'REJECTED', 'qty 1.5 is not a whole number', 7],
    ]);
    expect(refused.rejected).toEqual([{ order: bad, reason: 'qty 1.5 is not a whole number', at: { ts_event: 7, ts_known: 7 } }]);
    s.sent(order('y', { symbol: 'NOPE' }));
    const j = s.onMessage(msg('J', { order_token: 'T-y', reason: 'S' }), 8);
    expect(j.states.map((x) => [x.status, x.reason])).toEqual([['REJECTED', "rejected by the venue: 'S' unknown symbol"]]);
    expect(j.rejected.map((r) => r.order.order_id)).toEqual(['y']);
    // 'O' carries no detail on the wire (the venue's bound on resting orders, a malformed token): say where it is.
    s.sent(order('z'));
    const o = s.onMessage(msg('J', { order_token: 'T-z', reason: 'O' }), 9);
    expect(o.states[0]!.reason).toMatch(/^rejected by the venue: 'O' other \(OUCH 4\.2 gives no detail: the venue's own records say why/);
  });

  it('maps Replaced to the old order CANCELLED and the new one NEW; a CANCEL order is tracked by its target', () => {
    const s = new OuchStates({ feeBps: 0, token, midnight: MIDNIGHT });
    s.sent(order('old'));
    s.onMessage(msg('A', { order_token: 'T-old', shares: 500 }), 1);
    s.sent(order('new', { action: 'REPLACE', target_order_id: 'old', qty: 400 }));
    const r = s.onMessage(msg('U', { replacement_order_token: 'T-new', previous_order_token: 'T-old', shares: 400 }), 2);
    expect(r.states.map((x) => [x.order_id, x.status, x.remaining_qty, x.reason])).toEqual([
      ['old', 'CANCELLED', 0, 'replaced by order new'],
      ['new', 'NEW', 400, null],
    ]);
    s.sent(order('cx', { action: 'CANCEL', target_order_id: 'new' }));
    const c = s.onMessage(msg('C', { order_token: 'T-new', decrement_shares: 400, reason: 'U' }), 3);
    expect(c.states.map((x) => [x.order_id, x.status])).toEqual([['new', 'CANCELLED']]);
  });

  it('counts messages for tokens it did not send, and notes a Broken Trade', () => {
    const s = new OuchStates({ feeBps: 0, token, midnight: MIDNIGHT });
    expect(
      s.onMessage(msg('E', { order_token: 'T-zz', executed_shares: 1, execution_price: 1, liquidity_flag: 'R', match_number: 1 }), 1),
    ).toMatchObject({ fills: [], unmatched: 1 });
    expect(s.onMessage(msg('B', { order_token: 'T-zz', match_number: 1, reason: 'E' }), 1).notes).toHaveLength(1);
    expect(s.onMessage(msg('S', { event_code: 'S' }), 1)).toMatchObject({ fills: [], states: [], unmatched: 0, breaks: [] });
  });

  it('makes every message naming a token it does not know a break naming the token: the venue and the run disagree on what is open', () => {
    const s = new OuchStates({ feeBps: 0, token, midnight: MIDNIGHT, finishedKept: 7 });
    const unknown = (m: OuchMessage): string[] => {
      const r = s.onMessage(m, 1);
      expect(r.states).toEqual([]);
      expect(r.unmatched).toBe(r.breaks.length);
      return r.breaks.map((b) => b.reason);
    };
    const tail =
      'which this run does not know (it did not send it, or it finished more than 7 orders ago): the venue and this run disagree on which orders are open; reconcile with the venue';
    expect(unknown(msg('C', { order_token: 'T-gone', decrement_shares: 100, reason: 'T' }))).toEqual([
      `Canceled 'C' names order token T-gone, ${tail}`,
    ]);
    expect(unknown(msg('D', { order_token: 'T-gone', decrement_shares: 100, reason: 'U' }))).toEqual([
      `AIQ Canceled 'D' names order token T-gone, ${tail}`,
    ]);
    expect(unknown(msg('A', { order_token: 'T-new', shares: 100 }))).toEqual([`Accepted 'A' names order token T-new, ${tail}`]);
    expect(unknown(msg('J', { order_token: 'T-new', reason: 'S' }))).toEqual([`Rejected 'J' names order token T-new, ${tail}`]);
    expect(unknown(msg('E', { order_token: 'T-x', executed_shares: 1, execution_price: 1, liquidity_flag: 'R', match_number: 1 }))).toEqual(
      [`Executed 'E' names order token T-x, ${tail}`],
    );
    expect(unknown(msg('U', { previous_order_token: 'T-p', replacement_order_token: 'T-r', shares: 1 }))).toEqual([
      `Replaced 'U' names order token T-p, ${tail}`,
      `Replaced 'U' names order token T-r, ${tail}`,
    ]);
    // The message itself is the dead letter's input.
    expect(s.onMessage(msg('C', { order_token: 'T-gone', decrement_shares: 100, reason: 'T' }), 1).breaks[0]!.message).toMatchObject({
      type: 'C',
      order_token: 'T-gone',
    });
  });
});

describe('OuchStates memory over a long session', () => {
  it('keeps finished orders apart, answers a late message on one with a note, and forgets the oldest beyond finishedKept', () => {
    const s = new OuchStates({ feeBps: 0, token, midnight: MIDNIGHT, finishedKept: 3 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      s.sent(order(id));
      s.onMessage(msg('A', { order_token: `T-${id}`, shares: 500, price: 100000 }), 1);
    }
    s.onMessage(msg('E', { order_token: 'T-a', executed_shares: 500, execution_price: 100000, liquidity_flag: 'R', match_number: 1 }), 2);
    for (const id of ['b', 'c', 'd']) s.onMessage(msg('C', { order_token: `T-${id}`, decrement_shares: 500, reason: 'U' }), 3);
    expect(s.working().map((o) => o.order_id)).toEqual(['e']);
    // d, c and b are the three most recent finished: a late execution on d is a fill and a note, not unmatched.
    const late = s.onMessage(
      msg('E', { order_token: 'T-d', executed_shares: 100, execution_price: 100000, liquidity_flag: 'R', match_number: 2 }),
      4,
    );
    expect(late.unmatched).toBe(0);
    expect(late.fills.map((f) => [f.order_id, f.qty])).toEqual([['d', 100]]);
    expect(late.notes).toEqual(["OUCH 'E': order d is CANCELLED: cannot fill"]);
    expect(late.breaks.map((b) => b.reason)).toEqual([
      'an execution of 100 shares for order d, which is CANCELLED: booked as the venue reports it; reconcile with the venue',
    ]);
    expect([...'abcde'].map((id) => s.tracks(`T-${id}`))).toEqual([false, true, true, true, true]);
    // a, the oldest finished, is forgotten: its messages are unmatched, as another run's would be.
    expect(s.onMessage(msg('C', { order_token: 'T-a', decrement_shares: 0, reason: 'U' }), 5).unmatched).toBe(1);
  });

  it('makes each venue answer that contradicts its order a break (a dead letter): it booked them without a word', () => {
    const s = new OuchStates({ feeBps: 0, token, midnight: MIDNIGHT });
    const exec = (t: string, shares: number, price: number, match: number) =>
      msg('E', { order_token: t, executed_shares: shares, execution_price: price, liquidity_flag: 'R', match_number: match });
    s.sent(order('a', { qty: 100 }));
    const accepted = s.onMessage(msg('A', { order_token: 'T-a', shares: 1000 }), 1);
    expect(accepted.breaks.map((b) => b.reason)).toEqual([
      'accepted 1000 shares of order a, which was for 100: the venue holds more than was sent',
    ]);
    // Not executions: nothing booked, the order as it was.
    for (const [shares, price] of [
      [0, 100000],
      [100, 0],
    ] as const) {
      const u = s.onMessage(exec('T-a', shares, price, 1), 2);
      expect([u.fills, u.states]).toEqual([[], []]);
      expect(u.breaks.map((b) => b.reason)).toEqual([
        `an execution of ${shares} shares at ${price / 1e4} for order a is not an execution (expected shares > 0 at a price > 0): not booked`,
      ]);
    }
    // The venue's executions are booked, the excess too (the position is the venue's), and said.
    const first = s.onMessage(exec('T-a', 600, 100000, 7), 3);
    expect(first.fills.map((f) => f.qty)).toEqual([600]);
    expect(first.breaks).toEqual([]); // the venue accepted 1000
    const again = s.onMessage(exec('T-a', 600, 100000, 7), 4);
    expect([again.fills, again.states]).toEqual([[], []]);
    expect(again.breaks.map((b) => b.reason)).toEqual(['match 7 of order a reported again: booked once']);
    const over = s.onMessage(exec('T-a', 500, 100000, 8), 5);
    expect(over.fills.map((f) => f.qty)).toEqual([500]);
    expect(over.breaks.map((b) => b.reason)).toEqual([
      'an execution of 500 shares for order a, which had 400 left: booked as the venue reports it; reconcile with the venue',
    ]);
    // The message is the dead letter's input, as JSON takes it (bigints as text).
    const big = s.onMessage({ ...exec('T-a', 0, 1, 9), match_number: 2n ** 63n }, 6);
    expect(big.breaks[0]!.message).toMatchObject({ type: 'E', order_token: 'T-a', match_number: '9223372036854775808' });
    expect(() => JSON.stringify(big.breaks)).not.toThrow();
  });
});
