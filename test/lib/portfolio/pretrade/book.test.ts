/**
 * The pre-trade book alone: positions projected from the portfolio state and the pending orders,
 * pending orders settled by fills (in full, in part, or replaced by a newer LIMIT order), exposures
 * at the last mids, and the rolling rate window.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SECOND } from '../../../../lib/core/time.ts';
import { PretradeBook } from '../../../../lib/portfolio/pretrade/book.ts';
import type { Order, PortfolioState, Quote } from '../../../../schemas/types.generated.ts';
import * as records from '../../../helpers/records.ts';

const ACTIVE = { mode: 'ACTIVE', reason: 'initial' } as const;

/** A market order, or a limit order at `limit`. */
const order = (id: string, symbol: string, side: Order['side'], qty: number, limit?: number): Order =>
  records.order(symbol, side, qty, { order_id: id, ...(limit === undefined ? {} : { order_type: 'LIMIT', limit_price: limit }) });

/** The book reads equity and positions only: no cash. */
const state = (equity: number, positions: records.Held[]): PortfolioState => records.portfolio(0, equity, positions, { cash: 0 });

const quote = (symbol: string, bid: number, ask: number): Quote => records.quote(symbol, 0, bid, ask, 0);

const book = (trackPending = true): PretradeBook => new PretradeBook({ trackPending, rateWindow: SECOND });
const working = (b: PretradeBook): [string, number][] => [...b.working()].map((p) => [p.order.order_id, p.remaining]);

describe('pre-trade book: positions and pending orders', () => {
  it('a CANCEL ends its target pending; a REPLACE takes its target place (the view nets the target out)', () => {
    const b = book();
    b.portfolio(state(1_000_000, [['A', 100, 100]]));
    b.pass(order('l1', 'A', 'BUY', 200, 99), 0);
    b.pass(order('m1', 'A', 'BUY', 50), 0);
    expect(b.position('A')).toBe(350);
    const replace = records.order('A', 'BUY', 80, { order_id: 'r1', action: 'REPLACE', target_order_id: 'm1' });
    // Judged as if m1 were gone: 100 held + 200 pending of l1.
    expect(b.view(replace, 0, ACTIVE).position).toBe(300);
    b.pass(replace, 0);
    expect(working(b)).toEqual([
      ['l1', 200],
      ['r1', 80],
    ]);
    expect(b.position('A')).toBe(380);
    b.pass(records.order('A', 'BUY', 0, { order_id: 'c1', action: 'CANCEL', target_order_id: 'l1' }), 0);
    expect(working(b)).toEqual([['r1', 80]]);
    expect(b.position('A')).toBe(180);
  });

  it("holds exactly the last state's positions: a symbol gone is flat, one added counts, in the state's order", () => {
    const b = book(false);
    const mid = (symbol: string, price: number): void => b.quote(quote(symbol, price - 0.01, price + 0.01));
    mid('A', 100);
    mid('B', 50);
    mid('C', 10);
    b.portfolio(
      state(1_000_000, [
        ['A', 10, 100],
        ['B', -20, 50],
      ]),
    );
    b.portfolio(
      state(1_000_000, [
        ['A', 30, 100],
        ['B', -40, 50],
      ]),
    ); // same symbols: updated in place
    expect([b.position('A'), b.position('B')]).toEqual([30, -40]);
    b.portfolio(
      state(1_000_000, [
        ['A', 5, 100],
        ['C', 7, 10],
      ]),
    ); // as many symbols: B closed, C opened
    expect([b.position('A'), b.position('B'), b.position('C')]).toEqual([5, 0, 7]);
    // Exposure at the mids of what is held now: |5 × 100| + |7 × 10|, B left out.
    const view = b.view(order('x', 'C', 'BUY', 0), 0, ACTIVE);
    expect(view.exposure.before).toEqual({ gross: 570, net: 570 });
    b.portfolio(state(1_000_000, [['C', 7, 10]])); // A closed
    expect([b.position('A'), b.position('C')]).toEqual([0, 7]);
  });

  it('an order state caps what is left of its order, once: before or after the fill it reports, and 0 ends it', () => {
    const b = book();
    b.pass(order('a', 'A', 'BUY', 100), 0);
    b.pass(order('b', 'A', 'BUY', 100), 0);
    b.state('a', 70); // 30 filled, reported by its state
    b.state('a', 80); // an older word: never adds back
    expect(working(b)).toEqual([
      ['a', 70],
      ['b', 100],
    ]);
    b.state('b', 0); // rejected, cancelled or expired
    b.state('nope', 0); // an order it never passed
    expect(working(b)).toEqual([['a', 70]]);
    expect(b.position('A')).toBe(70);
  });

  it('projects held + pending; the view leaves the order itself out', () => {
    const b = book();
    b.portfolio(state(1_000_000, [['A', 300, 100]]));
    b.pass(order('m1', 'A', 'BUY', 200), 0);
    b.pass(order('m2', 'A', 'SELL', 50), 0);
    // 300 held + 200 − 50 pending.
    expect(b.position('A')).toBe(450);
    expect(b.view(order('next', 'A', 'BUY', 1), 0, ACTIVE)).toMatchObject({ position: 450, equity: 1_000_000 });
    expect(working(b)).toEqual([
      ['m1', 200],
      ['m2', 50],
    ]);
  });

  it('a fill moves quantity from pending into the position (once the portfolio shows it): no double count', () => {
    const b = book();
    b.portfolio(state(1_000_000, []));
    b.pass(order('m1', 'A', 'BUY', 1000), 0);
    b.fill('m1', 1000);
    expect(working(b)).toEqual([]);
    expect(b.position('A')).toBe(0);
    b.portfolio(state(1_000_000, [['A', 1000, 100]]));
    expect(b.position('A')).toBe(1000);
  });

  it('a partial fill takes off what filled; an over-fill or a fill of an unknown order takes off no more than is pending', () => {
    const b = book();
    b.pass(order('big', 'A', 'SELL', 1000), 0);
    b.fill('big', 400);
    // −1000 pending, 400 filled: −600 left.
    expect(working(b)).toEqual([['big', 600]]);
    expect(b.position('A')).toBe(-600);
    b.fill('nobody', 5);
    b.fill('big', 10_000);
    expect(working(b)).toEqual([]);
    expect(b.position('A')).toBe(0);
  });

  it('a passed LIMIT order replaces the pending LIMIT order of its symbol; MARKET orders and other symbols add up', () => {
    const b = book();
    b.pass(order('l1', 'A', 'BUY', 600, 100), 0);
    b.fill('l1', 100);
    b.pass(order('m1', 'A', 'BUY', 50), 0);
    b.pass(order('lb', 'B', 'BUY', 70, 100), 0);
    // A new LIMIT order for A: it is judged without the 500 left of l1, which it replaces when it passes.
    const l2 = order('l2', 'A', 'BUY', 600, 100);
    expect(b.view(l2, 0, ACTIVE).position).toBe(50);
    // A MARKET order replaces nothing: 500 + 50.
    expect(b.view(order('m2', 'A', 'BUY', 1), 0, ACTIVE).position).toBe(550);
    b.pass(l2, 0);
    expect(working(b)).toEqual([
      ['m1', 50],
      ['lb', 70],
      ['l2', 600],
    ]);
    expect([b.position('A'), b.position('B')]).toEqual([650, 70]);
    // Once l2 filled, a LIMIT order has nothing to replace: m1's 50 is what is left pending.
    b.fill('l2', 600);
    expect(b.view(order('l3', 'A', 'SELL', 1, 100), 0, ACTIVE).position).toBe(50);
  });

  it('without trackPending, passed orders are not pending: the position is the portfolio state alone', () => {
    const b = book(false);
    b.portfolio(state(1_000_000, [['A', 10, 100]]));
    b.pass(order('m1', 'A', 'BUY', 600), 0);
    b.fill('m1', 600);
    expect(working(b)).toEqual([]);
    expect(b.position('A')).toBe(10);
  });

  it('a new portfolio state replaces the held positions; equity is unknown until the first', () => {
    const b = book();
    expect(b.equity).toBeUndefined();
    expect(b.view(order('o', 'A', 'BUY', 1), 0, ACTIVE).equity).toBeUndefined();
    b.portfolio(
      state(500, [
        ['A', 10, 1],
        ['B', 5, 1],
      ]),
    );
    b.portfolio(state(400, [['B', 7, 1]]));
    expect([b.equity, b.position('A'), b.position('B')]).toEqual([400, 0, 7]);
  });
});

describe('pre-trade book: pending orders under any sequence of passes and fills', () => {
  const step = fc.oneof(
    fc.record({
      kind: fc.constant('pass' as const),
      symbol: fc.constantFrom('A', 'B'),
      side: fc.constantFrom<Order['side']>('BUY', 'SELL'),
      qty: fc.integer({ min: 1, max: 1000 }),
      limit: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('fill' as const), which: fc.nat(), qty: fc.integer({ min: 1, max: 1500 }) }),
  );

  it('the projected position is Σ signed remaining of the working orders, with at most one LIMIT order per symbol', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const b = book();
        const ids: string[] = [];
        for (const x of steps) {
          if (x.kind === 'pass') {
            ids.push(`o${ids.length}`);
            b.pass(order(ids.at(-1)!, x.symbol, x.side, x.qty, x.limit ? 100 : undefined), 0);
          } else if (ids.length > 0) {
            b.fill(ids[x.which % ids.length]!, x.qty);
          }
        }
        const open = [...b.working()];
        for (const symbol of ['A', 'B']) {
          const mine = open.filter((p) => p.order.symbol === symbol);
          expect(b.position(symbol)).toBe(mine.reduce((a, p) => a + (p.order.side === 'BUY' ? p.remaining : -p.remaining), 0));
          expect(mine.filter((p) => p.order.order_type === 'LIMIT').length).toBeLessThanOrEqual(1);
        }
        expect(open.every((p) => p.remaining > 0 && p.remaining <= p.order.qty)).toBe(true);
      }),
    );
  });
});

describe('pre-trade book: mids and exposure', () => {
  it('a quote sets the mid; a crossed-out or non-finite one is ignored', () => {
    const b = book();
    b.quote(quote('A', 99, 101));
    b.quote(quote('A', -5, 3));
    b.quote(quote('A', Number.NaN, 3));
    expect(b.view(order('o', 'A', 'BUY', 1), 0, ACTIVE).mid).toBe(100);
    expect(b.view(order('o', 'B', 'BUY', 1), 0, ACTIVE).mid).toBeUndefined();
  });

  it('values held and pending positions at the last mid, else at the portfolio mark, before and after the order', () => {
    const b = book();
    b.portfolio(
      state(1_000_000, [
        ['A', 100, 50],
        ['B', -200, 10],
      ]),
    );
    b.quote(quote('A', 59, 61));
    b.pass(order('c', 'C', 'BUY', 30), 0);
    b.quote(quote('C', 20, 20));
    // A: 100 × 60 (mid) = 6,000; B: −200 × 10 (mark, no quote) = −2,000; C: 30 pending × 20 = 600.
    // Before: gross 8,600, net 4,600. Selling 300 B: −500 × 10 = −5,000, so gross 11,600 and net 1,600.
    const { before, after } = b.view(order('s', 'B', 'SELL', 300), 0, ACTIVE).exposure;
    expect(before).toEqual({ gross: 8_600, net: 4_600 });
    expect(after).toEqual({ gross: 11_600, net: 1_600 });
    // A symbol neither held nor pending is valued at its mid, or 0 without one.
    expect(b.view(order('d', 'D', 'BUY', 10), 0, ACTIVE).exposure.after).toEqual({ gross: 8_600, net: 4_600 });
  });

  it('a LIMIT order is valued without the pending LIMIT order it replaces', () => {
    const b = book();
    b.portfolio(state(1_000_000, []));
    b.quote(quote('A', 10, 10));
    b.pass(order('l1', 'A', 'BUY', 100, 10), 0);
    // l1 alone: 100 × 10. A LIMIT SELL 40 replacing it: the position goes from 0 to −40 (not from 100 to 60).
    const { before, after } = b.view(order('l2', 'A', 'SELL', 40, 10), 0, ACTIVE).exposure;
    expect(before).toEqual({ gross: 0, net: 0 });
    expect(after).toEqual({ gross: 400, net: -400 });
  });
});

describe('pre-trade book: rate window', () => {
  it('counts the orders passed within the window ending now: one passed exactly a window ago has left it', () => {
    const b = book();
    for (const t of [0, 0.2, 0.5].map((x) => x * SECOND)) b.pass(order(`o${t}`, 'A', 'BUY', 1), t);
    const count = (now: number): number => b.view(order('x', 'A', 'BUY', 1), now, ACTIVE).passedInWindow;
    expect(count(0.9 * SECOND)).toBe(3);
    // At 1 s the order of 0 s is exactly a window old: out.
    expect(count(SECOND)).toBe(2);
    expect(count(1.5 * SECOND)).toBe(0);
  });
});
