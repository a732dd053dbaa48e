import { describe, expect, it } from 'vitest';
import { TouchMatcher } from '../../../lib/execution/touch-matcher.ts';
import type { Order, Quote, Trade } from '../../../schemas/types.generated.ts';
import * as records from '../../helpers/records.ts';

/** Everything is in symbol A; quotes and trades are numbered by their time. */
const order = (id: string, extra: Partial<Order> = {}): Order =>
  records.order('A', 'BUY', 5, { ts_event: 100, ts_known: 100, order_id: id, ref_price: 10, ...extra });
const quote = (at: number, bid: number, ask: number): Quote => records.quote('A', at, bid, ask, at, { bid_size: 1, ask_size: 1 });
const trade = (at: number, price: number, version = 1): Trade => records.trade('A', at, price, 1, at, { version, aggressor: 'SELL' });

describe('TouchMatcher', () => {
  it('holds a market order for the latency, then fills it whole at the touch with the fee in bps', () => {
    const m = new TouchMatcher({ latencyUs: 50, feeBps: 2 });
    expect(m.submit([order('a'), order('b', { side: 'SELL' })], 100).states.map((s) => s.status)).toEqual(['NEW', 'NEW']);
    expect(m.onQuotes([quote(149, 9.9, 10.1)], 149).fills).toEqual([]);
    const r = m.onQuotes([quote(150, 9.9, 10.1)], 150);
    expect(r.fills.map((f) => [f.order_id, f.price, f.qty, f.fee])).toEqual([
      ['a', 10.1, 5, 5 * 10.1 * 2e-4],
      ['b', 9.9, 5, 5 * 9.9 * 2e-4],
    ]);
    expect(r.states.map((s) => [s.order_id, s.status, s.filled_qty, s.remaining_qty, s.ts_known])).toEqual([
      ['a', 'FILLED', 5, 0, 150],
      ['b', 'FILLED', 5, 0, 150],
    ]);
  });

  it('rejects a repeated id, a non-positive quantity and a limit without a price, and says why', () => {
    const m = new TouchMatcher({ latencyUs: 0, feeBps: 0 });
    m.submit([order('a')], 100);
    const r = m.submit([order('a'), order('b', { qty: 0 }), order('c', { order_type: 'LIMIT', limit_price: null })], 101);
    expect(r.rejected.map((x) => x.reason)).toEqual([
      'duplicate order id a: already executed or working',
      'quantity 0: expected a positive whole number of shares',
      'limit order without a positive limit price (null)',
    ]);
    expect(r.states.every((s) => s.status === 'REJECTED')).toBe(true);
  });

  it('fills a limit only on a trade strictly through it, never on a correction, and expires what is left', () => {
    const m = new TouchMatcher({ latencyUs: 0, feeBps: 0 });
    m.submit([order('buy', { order_type: 'LIMIT', limit_price: 10 })], 100);
    expect(m.onTrades([trade(101, 10), trade(102, 9.99, 2)], 102).fills).toEqual([]);
    expect(m.onTrades([trade(103, 9.99)], 103).fills.map((f) => [f.price, f.liquidity])).toEqual([[10, 'MAKER']]);
    m.submit([order('rest', { order_type: 'LIMIT', limit_price: 1 })], 104);
    expect(m.expireAll(200).states.map((s) => [s.order_id, s.status])).toEqual([['rest', 'EXPIRED']]);
    expect(m.expireAll(201).states).toEqual([]);
  });

  it('refuses a fraction of a share', () => {
    const m = new TouchMatcher({ latencyUs: 0, feeBps: 0 });
    expect(m.submit([order('a', { qty: 12.5 })], 100).rejected.map((x) => x.reason)).toEqual([
      'quantity 12.5: expected a positive whole number of shares',
    ]);
  });

  it('fills an IOC limit at the touch when the touch is inside its limit on arrival, else cancels it', () => {
    const m = new TouchMatcher({ latencyUs: 10, feeBps: 0 });
    const ioc = (id: string, side: Order['side'], limit: number): Order =>
      order(id, { side, order_type: 'LIMIT', limit_price: limit, time_in_force: 'IOC' });
    m.submit([ioc('buy-in', 'BUY', 10.1), ioc('buy-out', 'BUY', 10.05), ioc('sell-in', 'SELL', 9.9), ioc('sell-out', 'SELL', 9.95)], 100);
    const r = m.onQuotes([quote(110, 9.9, 10.1)], 110);
    expect(r.fills.map((f) => [f.order_id, f.price, f.liquidity])).toEqual([
      ['buy-in', 10.1, 'TAKER'],
      ['sell-in', 9.9, 'TAKER'],
    ]);
    expect(r.states.map((s) => [s.order_id, s.status, s.reason])).toEqual([
      ['buy-in', 'FILLED', null],
      ['buy-out', 'CANCELLED', 'IOC: the touch 10.1 was outside the limit 10.05 on arrival'],
      ['sell-in', 'FILLED', null],
      ['sell-out', 'CANCELLED', 'IOC: the touch 9.9 was outside the limit 9.95 on arrival'],
    ]);
    // An IOC never rests: a later trade through its limit fills nothing.
    expect(m.onTrades([trade(120, 9)], 120).fills).toEqual([]);
  });

  it('cancels and replaces working orders, and refuses to act on one that is not working', () => {
    const m = new TouchMatcher({ latencyUs: 0, feeBps: 0 });
    m.submit([order('rest', { order_type: 'LIMIT', limit_price: 10 }), order('mkt', { symbol: 'A' })], 100);
    const cancel = m.submit([order('c1', { action: 'CANCEL', target_order_id: 'mkt' })], 101);
    expect(cancel.states.map((s) => [s.order_id, s.status, s.reason])).toEqual([['mkt', 'CANCELLED', 'cancelled by order c1']]);
    expect(m.onQuotes([quote(102, 9.9, 10.1)], 102).fills).toEqual([]);

    const replace = m.submit(
      [order('r1', { action: 'REPLACE', target_order_id: 'rest', order_type: 'LIMIT', limit_price: 9.5, qty: 7 })],
      103,
    );
    expect(replace.states.map((s) => [s.order_id, s.status, s.reason, s.remaining_qty])).toEqual([
      ['rest', 'CANCELLED', 'replaced by order r1', 0],
      ['r1', 'NEW', null, 7],
    ]);
    // The replacement works at its own price: 9.6 is not through 9.5, 9.4 is.
    expect(m.onTrades([trade(104, 9.6)], 104).fills).toEqual([]);
    expect(m.onTrades([trade(105, 9.4)], 105).fills.map((f) => [f.order_id, f.price, f.qty])).toEqual([['r1', 9.5, 7]]);

    const late = m.submit(
      [
        order('c2', { action: 'CANCEL', target_order_id: 'r1' }),
        order('r2', { action: 'REPLACE', target_order_id: 'nope', order_type: 'LIMIT', limit_price: 9 }),
      ],
      106,
    );
    expect(late.rejected.map((x) => x.reason)).toEqual([
      'cancel of r1: no such working order (filled, cancelled, expired or unknown)',
      'replace of nope: no such working order (filled, cancelled, expired or unknown)',
    ]);
    m.submit([order('w', { order_type: 'LIMIT', limit_price: 1 })], 107);
    const wrongSide = m.submit(
      [order('r3', { action: 'REPLACE', target_order_id: 'w', side: 'SELL', order_type: 'LIMIT', limit_price: 2 })],
      108,
    );
    expect(wrongSide.rejected.map((x) => x.reason)).toEqual(['replace of w: expected its symbol and side (A BUY)']);
  });
});
