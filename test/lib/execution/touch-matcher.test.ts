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
      'bad quantity 0',
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
});
