/** The parent book alone: children, attribution of fills and states, when a parent is reported. */
import { describe, expect, it } from 'vitest';
import { ParentBook } from '../../../lib/execution/parent-book.ts';
import type { OrderState } from '../../../schemas/types.generated.ts';
import { fill, order } from '../../helpers/records.ts';

const state = (id: string, status: OrderState['status']): OrderState => ({
  ts_event: 0,
  ts_known: 0,
  order_id: id,
  symbol: 'A',
  side: 'BUY',
  status,
  filled_qty: 0,
  remaining_qty: 0,
  reason: null,
});
const mid = () => 10;

describe('ParentBook', () => {
  it('sends what the target lacks after fills and working children, and reports once the work is over and nothing works', () => {
    const book = new ParentBook('TWAP');
    const { parent } = book.arrive(order('A', 'BUY', 100, { order_id: 'P', ref_price: 9.9 }), 5, 10);
    const c1 = book.child(parent!, 40, 5, 10)!;
    expect([c1.order_id, c1.qty, c1.time_in_force, c1.side]).toEqual(['P/1', 40, 'IOC', 'BUY']);
    // 40 working: a target of 40 sends nothing more.
    expect(book.child(parent!, 40, 6, 10)).toBeNull();
    expect(book.onFill(fill('A', 'BUY', 25, 10.1, { order_id: 'P/1', fee: 0.5 }))).toBe(true);
    expect(book.onFill(fill('A', 'BUY', 5, 10.1, { order_id: 'other' }))).toBe(false);
    book.onState(state('P/1', 'CANCELLED')); // the IOC's other 15 are cancelled
    // Target 70: 25 filled, nothing working → 45.
    expect(book.child(parent!, 70, 7, 10)!.qty).toBe(45);
    book.end(parent!, 'EXPIRED', 8);
    // P/2 still works: no report yet; once it is done, one report.
    expect(book.reports(8, mid)).toEqual([]);
    book.onFill(fill('A', 'BUY', 45, 10.2, { order_id: 'P/2' }));
    book.onState(state('P/2', 'FILLED'));
    const [r] = book.reports(9, mid);
    // 70 filled at (25·10.1 + 45·10.2)/70; trading (avg − 10)·70 = 25·0.1 + 45·0.2 = 11.5; opportunity
    // (10 − 10)·30 = 0; fees 0.5: shortfall 12 over 100·10 = 120 bps; delay (10 − 9.9)·70 = 7.
    expect([r!.status, r!.filled_qty, r!.children, r!.ts_known]).toEqual(['EXPIRED', 70, 2, 9]);
    expect(r!.avg_price).toBeCloseTo((25 * 10.1 + 45 * 10.2) / 70, 12);
    expect(r!.trading_cost).toBeCloseTo(11.5, 9);
    expect(r!.shortfall).toBeCloseTo(12, 9);
    expect(r!.shortfall_bps).toBeCloseTo(120, 9);
    expect(r!.delay_cost).toBeCloseTo(7, 9);
    expect(book.reports(10, mid)).toEqual([]);
  });

  it('a parent filled in full ends as FILLED; a second parent for the symbol replaces the first', () => {
    const book = new ParentBook('POV');
    const a = book.arrive(order('A', 'BUY', 10, { order_id: 'A1' }), 1, 10).parent!;
    book.child(a, 10, 1, 10);
    book.onFill(fill('A', 'BUY', 10, 10, { order_id: 'A1/1' }));
    expect(book.reports(2, mid).map((r) => [r.parent_order_id, r.status])).toEqual([['A1', 'FILLED']]);
    const b = book.arrive(order('A', 'SELL', 10, { order_id: 'B1' }), 3, 10).parent!;
    book.arrive(order('A', 'SELL', 20, { order_id: 'B2' }), 4, 10);
    expect(book.isWorking(b)).toBe(false);
    expect(book.child(b, 10, 4, 10)).toBeNull();
    expect(book.reports(4, mid).map((r) => [r.parent_order_id, r.status, r.filled_qty])).toEqual([['B1', 'REPLACED', 0]]);
  });

  it('a duplicate id is refused; at the end of the run every parent is reported, the one still worked as ENDED', () => {
    const book = new ParentBook('VWAP');
    book.arrive(order('A', 'BUY', 10, { order_id: 'P' }), 1, 10);
    expect(book.arrive(order('A', 'BUY', 10, { order_id: 'P' }), 2, 10)).toEqual({ duplicate: true });
    expect(book.reports(3, mid, true).map((r) => [r.parent_order_id, r.status])).toEqual([['P', 'ENDED']]);
  });
});
