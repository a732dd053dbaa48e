/**
 * execution.book-broker with its `depth` input: a taker larger than the touch walks the levels beyond
 * it within its limit, each level a fill at its price; what it took stays taken while the price is
 * displayed; without the input, the rest waits for the next quotes. Expected fills are worked out in
 * each test from the rule (docs/execution.md, "Depth"), and the costs from the prices paid.
 */
import { describe, expect, it } from 'vitest';
import { bookBroker } from '../../../operators/execution/book-broker.ts';
import { runOperator } from '../../../pipelines/harness/harness.ts';
import type { BookDepth, ExecutionCost, Fill, Order, OrderState } from '../../../schemas/types.generated.ts';
import { plainBroker as plain } from '../../helpers/algo-graph.ts';
import * as records from '../../helpers/records.ts';
import { T0, quote } from '../../helpers/records.ts';

const order = (at: number, id: string, side: Order['side'], qty: number, extra: Partial<Order> = {}): Order =>
  records.order('A', side, qty, { ts_event: at, ts_known: at, order_id: id, ...extra });
const q = (at: number, bid: number, ask: number, bidSize: number, askSize: number, seq: number) =>
  quote('A', at, bid, ask, seq, { bid_size: bidSize, ask_size: askSize });
/** A picture known at `at`: bid levels then ask levels, each list from level 2 outwards. */
const picture = (at: number, seq0: number, bids: [number, number][], asks: [number, number][]): BookDepth[] => {
  const rows: BookDepth[] = [];
  const add = (side: BookDepth['side'], levels: [number, number][]): void =>
    levels.forEach(([price, size], i) => {
      rows.push({ ts_event: at, ts_known: at, symbol: 'A', seq: seq0 + rows.length, side, level: i + 2, price, size });
    });
  add('BID', bids);
  add('ASK', asks);
  return rows;
};
const fills = (run: { outputs: Record<string, unknown[]> }) =>
  (run.outputs['out'] as Fill[]).map((f) => [f.order_id, f.qty, f.price, f.liquidity]);
const states = (run: { outputs: Record<string, unknown[]> }) =>
  (run.outputs['states'] as OrderState[]).map((s) => [s.order_id, s.status, s.filled_qty, s.remaining_qty]);

// The book used by most tests: bid 100.00 × 500, ask 100.10 × 100; asks beyond at 100.11 × 300,
// 100.13 × 200, 100.15 × 500; bids beyond at 99.98 × 200, 99.95 × 400.
const book = {
  quotes: [[q(T0 + 10, 100, 100.1, 500, 100, 1)]],
  depth: [
    picture(
      T0 + 10,
      1,
      [
        [99.98, 200],
        [99.95, 400],
      ],
      [
        [100.11, 300],
        [100.13, 200],
        [100.15, 500],
      ],
    ),
  ],
};

describe('execution.book-broker with depth', () => {
  it('a market buy larger than the touch walks the ask levels, a fill at each level’s price; the costs are the prices paid', async () => {
    const run = await runOperator(bookBroker, plain, { ...book, orders: [[order(T0 + 20, 'm', 'BUY', 1000)]] });
    // 100 at the touch, then 300 at 100.11, 200 at 100.13 and the 1000 − 600 = 400 it lacks at 100.15.
    expect(fills(run)).toEqual([
      ['m', 100, 100.1, 'TAKER'],
      ['m', 300, 100.11, 'TAKER'],
      ['m', 200, 100.13, 'TAKER'],
      ['m', 400, 100.15, 'TAKER'],
    ]);
    expect(states(run)).toEqual([
      ['m', 'NEW', 0, 1000],
      ['m', 'PARTIALLY_FILLED', 100, 900],
      ['m', 'PARTIALLY_FILLED', 400, 600],
      ['m', 'PARTIALLY_FILLED', 600, 400],
      ['m', 'FILLED', 1000, 0],
    ]);
    // Spread = (price − mid) × qty against the mid 100.05 (impact is off): 100 × 0.05 + 300 × 0.06 +
    // 200 × 0.08 + 400 × 0.10 = 5 + 18 + 16 + 40 = 79; the notional is what was paid (the carry
    // accrued at the close is a cost row of its own, with no fill).
    const costs = (run.outputs['costs'] as ExecutionCost[]).filter((c) => c.fill_id !== null);
    expect(costs).toHaveLength(4);
    expect(costs.reduce((a, c) => a + c.spread, 0)).toBeCloseTo(79, 9);
    expect(costs.reduce((a, c) => a + c.impact, 0)).toBe(0);
    expect(costs.reduce((a, c) => a + c.notional, 0)).toBeCloseTo(100 * 100.1 + 300 * 100.11 + 200 * 100.13 + 400 * 100.15, 6);
  });

  it('a market sell walks the bid levels', async () => {
    const run = await runOperator(bookBroker, plain, { ...book, orders: [[order(T0 + 20, 's', 'SELL', 800)]] });
    // 500 at the bid, 200 at 99.98, the last 100 at 99.95.
    expect(fills(run)).toEqual([
      ['s', 500, 100, 'TAKER'],
      ['s', 200, 99.98, 'TAKER'],
      ['s', 100, 99.95, 'TAKER'],
    ]);
  });

  it('a marketable IOC limit walks only the levels within its limit and cancels the rest', async () => {
    const run = await runOperator(bookBroker, plain, {
      ...book,
      orders: [[order(T0 + 20, 'i', 'BUY', 1000, { order_type: 'LIMIT', limit_price: 100.12, time_in_force: 'IOC' })]],
    });
    // 100 at 100.10 and 300 at 100.11 are within 100.12; 100.13 is not: 600 cancelled.
    expect(fills(run)).toEqual([
      ['i', 100, 100.1, 'TAKER'],
      ['i', 300, 100.11, 'TAKER'],
    ]);
    expect(states(run).at(-1)).toEqual(['i', 'CANCELLED', 400, 0]);
    const cancelled = (run.outputs['states'] as OrderState[]).at(-1)!;
    expect(cancelled.reason).toMatch(/IOC: 600 shares beyond the size shown at the touch and the levels within its limit/);
  });

  it('a DAY limit walks within its limit, then rests at it', async () => {
    const run = await runOperator(bookBroker, plain, {
      ...book,
      orders: [[order(T0 + 20, 'l', 'BUY', 1000, { order_type: 'LIMIT', limit_price: 100.13 })]],
    });
    // 100 + 300 + 200 within 100.13; 400 rest at 100.13 until the run ends.
    expect(fills(run)).toEqual([
      ['l', 100, 100.1, 'TAKER'],
      ['l', 300, 100.11, 'TAKER'],
      ['l', 200, 100.13, 'TAKER'],
    ]);
    expect(states(run).at(-1)).toEqual(['l', 'EXPIRED', 600, 0]);
  });

  it('what one order took stays taken for the next while the picture shows the same prices', async () => {
    const run = await runOperator(bookBroker, plain, {
      quotes: [[q(T0 + 10, 100, 100.1, 500, 100, 1)], [q(T0 + 30, 100, 100.1, 500, 100, 2)]],
      depth: [
        book.depth[0]!,
        // A new picture, same prices and sizes (a replay shows what was there, not what we left).
        picture(
          T0 + 30,
          10,
          [],
          [
            [100.11, 300],
            [100.13, 200],
            [100.15, 500],
          ],
        ),
      ],
      orders: [[order(T0 + 20, 'a', 'BUY', 500)], [order(T0 + 40, 'b', 'BUY', 500)]],
    });
    // a: 100 at the touch, 300 at 100.11, 100 at 100.13. b: the touch and 100.11 are taken,
    // 200 − 100 = 100 left at 100.13, then 400 at 100.15.
    expect(fills(run)).toEqual([
      ['a', 100, 100.1, 'TAKER'],
      ['a', 300, 100.11, 'TAKER'],
      ['a', 100, 100.13, 'TAKER'],
      ['b', 100, 100.13, 'TAKER'],
      ['b', 400, 100.15, 'TAKER'],
    ]);
  });

  it('when the ask moves up to a level it took from, the touch starts from what was taken there', async () => {
    const run = await runOperator(bookBroker, plain, {
      quotes: [[q(T0 + 10, 100, 100.1, 500, 100, 1)], [q(T0 + 30, 100, 100.11, 500, 400, 2)]],
      depth: [book.depth[0]!],
      orders: [[order(T0 + 20, 'a', 'BUY', 200)], [order(T0 + 40, 'b', 'BUY', 400)]],
    });
    // a: 100 at 100.10, 100 at 100.11. The ask moves to 100.11 showing 400: 100 of them were a's, so
    // b takes 300 there (400 − 100), then walks on: the picture's 100.11 is the touch now, not beyond
    // it, so the next level is 100.13, where it takes the 100 it lacks.
    expect(fills(run)).toEqual([
      ['a', 100, 100.1, 'TAKER'],
      ['a', 100, 100.11, 'TAKER'],
      ['b', 300, 100.11, 'TAKER'],
      ['b', 100, 100.13, 'TAKER'],
    ]);
  });

  it('when the ask falls below a price it took from at the touch, a picture showing that price keeps what was taken', async () => {
    const run = await runOperator(bookBroker, plain, {
      quotes: [[q(T0 + 10, 100, 100.11, 500, 300, 1)], [q(T0 + 30, 100, 100.1, 500, 100, 2)]],
      depth: [
        picture(T0 + 10, 1, [], [[100.13, 200]]),
        picture(
          T0 + 30,
          5,
          [],
          [
            [100.11, 300],
            [100.13, 200],
          ],
        ),
      ],
      orders: [[order(T0 + 20, 'a', 'BUY', 200)], [order(T0 + 40, 'b', 'BUY', 500)]],
    });
    // a: 200 of the 300 at the touch 100.11. The ask falls to 100.10 (100 shown) and 100.11 becomes
    // level 2, showing 300 of which a took 200: b takes 100 + 100 + 200 at 100.13; 100 wait.
    expect(fills(run)).toEqual([
      ['a', 200, 100.11, 'TAKER'],
      ['b', 100, 100.1, 'TAKER'],
      ['b', 100, 100.11, 'TAKER'],
      ['b', 200, 100.13, 'TAKER'],
    ]);
  });

  it('without the depth input, the rest waits for the next quotes (today’s rule)', async () => {
    const run = await runOperator(bookBroker, plain, { quotes: book.quotes, orders: [[order(T0 + 20, 'm', 'BUY', 1000)]] });
    expect(fills(run)).toEqual([['m', 100, 100.1, 'TAKER']]);
    expect(states(run).at(-1)).toEqual(['m', 'EXPIRED', 100, 0]);
  });

  it('levels not beyond the touch in force are not walked; a row that does not extend its picture is a dead letter', async () => {
    const run = await runOperator(bookBroker, plain, {
      // The ask has moved to 100.13 since the picture: 100.11 and 100.13 are not beyond it.
      quotes: [[q(T0 + 10, 100, 100.13, 500, 100, 1)]],
      depth: [
        [
          ...book.depth[0]!,
          // Level 5 of the asks after level 3 (the picture has 2…4): refused, the picture kept.
          { ts_event: T0 + 10, ts_known: T0 + 10, symbol: 'A', seq: 9, side: 'ASK' as const, level: 6, price: 100.2, size: 900 },
        ],
      ],
      orders: [[order(T0 + 20, 'm', 'BUY', 1000)]],
    });
    // 100 at the touch 100.13, then 500 at 100.15; the rest waits.
    expect(fills(run)).toEqual([
      ['m', 100, 100.13, 'TAKER'],
      ['m', 500, 100.15, 'TAKER'],
    ]);
    expect(run.deadLetters.map((d) => d.reason)).toEqual([
      "level 6 does not extend the ask side's picture (it has levels 2…4 at ts_event 1704205800000010): a picture starts at level 2",
    ]);
  });

  it('a buy with the square-root impact pays it on each level’s own size', async () => {
    const params = { ...plain, impact_temporary: 0.5, impact_fallback_daily_vol: 0.02, impact_fallback_daily_volume: 1_000_000 };
    const run = await runOperator(bookBroker, params, { ...book, orders: [[order(T0 + 20, 'm', 'BUY', 400)]] });
    // 100 at 100.10 and 300 at 100.11, each priced P · (1 + 0.5 · 0.02 · √(q / 1e6)).
    const priced = (p: number, qty: number): number => p * (1 + 0.5 * 0.02 * Math.sqrt(qty / 1e6));
    const got = run.outputs['out'] as Fill[];
    expect(got.map((f) => f.qty)).toEqual([100, 300]);
    expect(got[0]!.price).toBeCloseTo(priced(100.1, 100), 10);
    expect(got[1]!.price).toBeCloseTo(priced(100.11, 300), 10);
    const costs = run.outputs['costs'] as ExecutionCost[];
    expect(costs[1]!.spread).toBeCloseTo((100.11 - 100.05) * 300, 9);
    expect(costs[1]!.impact).toBeCloseTo((priced(100.11, 300) - 100.11) * 300, 9);
  });
});
