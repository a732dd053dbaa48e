/**
 * execution.book-broker, one rule per test, on the real event loop: displayed size, partial fills,
 * queue position (both models), trade-through, cancel/replace, IOC, DAY expiry at the close, both
 * latencies (constant and from a file), square-root impact, maker/taker fees, borrow and financing.
 * Every expected value is worked out in the test from the rule as documented, not read from the code.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MINUTE } from '../../../lib/core/time.ts';
import { bookBroker } from '../../../operators/execution/book-broker.ts';
import { runOperator } from '../../../pipelines/harness/harness.ts';
import type { ExecutionCost, Fill, Order, OrderState } from '../../../schemas/types.generated.ts';
import * as records from '../../helpers/records.ts';
import { T0, quote, session, trade } from '../../helpers/records.ts';
import { plainBroker } from '../../helpers/algo-graph.ts';

const plain = plainBroker;
const order = (at: number, id: string, side: Order['side'], qty: number, extra: Partial<Order> = {}): Order =>
  records.order('A', side, qty, { ts_event: at, ts_known: at, order_id: id, ...extra });
const limit = (at: number, id: string, side: Order['side'], qty: number, price: number, extra: Partial<Order> = {}): Order =>
  order(at, id, side, qty, { order_type: 'LIMIT', limit_price: price, ...extra });
const q = (at: number, bid: number, ask: number, bidSize: number, askSize: number, seq: number) =>
  quote('A', at, bid, ask, seq, { bid_size: bidSize, ask_size: askSize });
const fills = (run: { outputs: Record<string, unknown[]> }) =>
  (run.outputs['out'] as Fill[]).map((f) => [f.order_id, f.qty, f.price, f.liquidity]);
const states = (run: { outputs: Record<string, unknown[]> }) =>
  (run.outputs['states'] as OrderState[]).map((s) => [s.order_id, s.status, s.filled_qty, s.remaining_qty]);

describe('execution.book-broker', () => {
  it('fills a market order only up to the size shown at the touch; the rest waits for the next quotes', async () => {
    const run = await runOperator(bookBroker, plain, {
      orders: [[order(T0 + 20, 'm', 'BUY', 300)]],
      quotes: [
        [q(T0 + 10, 100, 100.1, 500, 100, 1)],
        // Same ask, 150 shown: the 100 it took are still gone from it, so 50 are left for it.
        [q(T0 + 30, 100, 100.1, 500, 150, 2)],
        // The ask moved: a new level, all 500 shown; it needs the last 300 − 100 − 50 = 150.
        [q(T0 + 40, 100.1, 100.2, 500, 500, 3)],
      ],
    });
    expect(fills(run)).toEqual([
      ['m', 100, 100.1, 'TAKER'],
      ['m', 50, 100.1, 'TAKER'],
      ['m', 150, 100.2, 'TAKER'],
    ]);
    expect(states(run)).toEqual([
      ['m', 'NEW', 0, 300],
      ['m', 'PARTIALLY_FILLED', 100, 200],
      ['m', 'PARTIALLY_FILLED', 150, 150],
      ['m', 'FILLED', 300, 0],
    ]);
    expect((run.outputs['out'] as Fill[]).map((f) => f.fill_id)).toEqual(['m#1', 'm#2', 'm#3']);
  });

  it('IOC: takes what is shown within its limit on arrival and cancels the rest; outside its limit it cancels all', async () => {
    const run = await runOperator(bookBroker, plain, {
      orders: [
        [
          limit(T0 + 20, 'i1', 'BUY', 300, 100.15, { time_in_force: 'IOC' }),
          limit(T0 + 20, 'i2', 'SELL', 50, 100.05, { time_in_force: 'IOC' }),
        ],
      ],
      quotes: [[q(T0 + 10, 100, 100.1, 40, 100, 1)], [q(T0 + 30, 100, 100.1, 40, 100, 2)]],
    });
    // i1: 100 shown at 100.10 ≤ 100.15 → 100 filled, 200 cancelled. i2: the bid 100 is below its limit 100.05.
    expect(fills(run)).toEqual([['i1', 100, 100.1, 'TAKER']]);
    expect(states(run)).toEqual([
      ['i1', 'NEW', 0, 300],
      ['i1', 'PARTIALLY_FILLED', 100, 200],
      ['i1', 'CANCELLED', 100, 0],
      ['i2', 'NEW', 0, 50],
      ['i2', 'CANCELLED', 0, 0],
    ]);
  });

  it('a marketable DAY limit takes what is shown, then rests at its limit; a new seller at or below it fills it as MAKER', async () => {
    const run = await runOperator(bookBroker, plain, {
      orders: [[limit(T0 + 20, 'l', 'BUY', 300, 100.1)]],
      quotes: [[q(T0 + 10, 100, 100.1, 500, 100, 1)], [q(T0 + 30, 100, 100.05, 500, 80, 2)]],
    });
    // 100 taken at 100.10; 200 rest at 100.10; a new ask of 80 at 100.05 crosses it: 80 at its limit.
    expect(fills(run)).toEqual([
      ['l', 100, 100.1, 'TAKER'],
      ['l', 80, 100.1, 'MAKER'],
    ]);
  });

  /**
   * A buy of 100 joins the bid at 99.90 behind the 500 shown; 300 more join behind it; then the level
   * falls to 600 with no trade (200 cancelled); then 400 trade at 99.90.
   * - conservative: cancels are behind it: ahead stays 500 (≤ 600 shown); 400 traded leave 100 ahead: no fill.
   * - probabilistic, f(x) = x²: ahead 500, behind 800 − 500 = 300, share ahead 500²/(500² + 300²) = 25/34;
   *   ahead = 500 − 200 · 25/34 = 352.94…; 400 traded reach it by 47.05… → 47 whole shares.
   */
  it.each([
    ['conservative', []],
    ['probabilistic', [['b', 47, 99.9, 'MAKER']]],
  ] as const)('queue position, %s model', async (model, expected) => {
    const t = Math.floor(400 - (500 - (200 * 500 ** 2) / (500 ** 2 + 300 ** 2)));
    expect(t).toBe(47);
    const run = await runOperator(
      bookBroker,
      { ...plain, queue_model: model, queue_power: 2 },
      {
        orders: [[limit(T0 + 20, 'b', 'BUY', 100, 99.9)]],
        quotes: [[q(T0 + 10, 99.9, 100, 500, 100, 1)], [q(T0 + 30, 99.9, 100, 800, 100, 2)], [q(T0 + 40, 99.9, 100, 600, 100, 3)]],
        trades: [[trade('A', T0 + 50, 99.9, 400, 4, { aggressor: 'SELL' })]],
      },
    );
    expect(fills(run)).toEqual(expected);
  });

  it('conservative queue: only trades at its price from the other side advance it; the fill is what reaches it', async () => {
    const run = await runOperator(bookBroker, plain, {
      orders: [[limit(T0 + 20, 'b', 'BUY', 100, 99.9)]],
      quotes: [[q(T0 + 10, 99.9, 100, 500, 100, 1)], [q(T0 + 30, 99.9, 100, 300, 100, 2)]],
      trades: [
        [
          trade('A', T0 + 40, 99.9, 250, 3, { aggressor: 'BUY' }), // a buyer lifting: not at its side
          trade('A', T0 + 41, 99.9, 250, 4, { aggressor: 'SELL' }), // ahead min(500, 300) = 300 → 50
          trade('A', T0 + 42, 99.9, 120, 5, { aggressor: 'SELL' }), // reaches it by 120 − 50 = 70
          trade('A', T0 + 43, 99.9, 100, 6, { aggressor: 'SELL', version: 2 }), // a correction: ignored
        ],
      ],
    });
    expect(fills(run)).toEqual([['b', 70, 99.9, 'MAKER']]);
    expect(states(run).at(-1)).toEqual(['b', 'EXPIRED', 70, 0]);
  });

  it('a print with no aggressor (UNKNOWN) is classed by the midpoint rule: it fills one side of ours, never both; at the mid, none', async () => {
    // A buy and a sell of ours rest at 100.0 inside the spread 99.9 / 100.1 (mid 100.0).
    const both = [limit(T0 + 20, 'b', 'BUY', 100, 100), limit(T0 + 20, 's', 'SELL', 100, 100)];
    const run = await runOperator(bookBroker, plain, {
      orders: [both],
      quotes: [[q(T0 + 10, 99.9, 100.1, 500, 500, 1)]],
      trades: [
        [
          trade('A', T0 + 30, 100, 300, 2, { aggressor: 'UNKNOWN' }), // at the mid: which side took cannot be told
          trade('A', T0 + 31, 100.05, 30, 3, { aggressor: 'UNKNOWN' }), // above the mid: a buyer, through our sell
          trade('A', T0 + 32, 99.95, 40, 4, { aggressor: 'UNKNOWN' }), // below: a seller, through our buy
        ],
      ],
    });
    expect(fills(run)).toEqual([
      ['s', 30, 100, 'MAKER'],
      ['b', 40, 100, 'MAKER'],
    ]);
  });

  it('a trade through its price fills a resting limit at its limit, up to the trade’s size', async () => {
    const run = await runOperator(bookBroker, plain, {
      orders: [[limit(T0 + 20, 's', 'SELL', 700, 100.2)]],
      quotes: [[q(T0 + 10, 100, 100.1, 500, 100, 1)]],
      // The buyer of each print would have met the better-priced sell first, taking no more than it printed:
      // 10, then 1000 capped by the 690 left.
      trades: [[trade('A', T0 + 30, 100.25, 10, 2), trade('A', T0 + 40, 100.3, 1000, 3)]],
    });
    expect(fills(run)).toEqual([
      ['s', 10, 100.2, 'MAKER'],
      ['s', 690, 100.2, 'MAKER'],
    ]);
  });

  it('a buyer arriving above a resting sell fills it once: from the quote that shows it, not again from its print', async () => {
    const run = await runOperator(bookBroker, plain, {
      orders: [[limit(T0 + 20, 's', 'SELL', 700, 100.2)]],
      // A bid of 80 at 100.25 crosses the sell (80 filled), then a seller hits that bid: a print through
      // the sell's price whose aggressor is on the sell's own side, which reaches nothing of it.
      quotes: [[q(T0 + 10, 100, 100.1, 500, 100, 1), q(T0 + 25, 100.25, 100.3, 80, 100, 2)]],
      trades: [[trade('A', T0 + 30, 100.25, 80, 3, { aggressor: 'SELL' })]],
    });
    expect(fills(run)).toEqual([['s', 80, 100.2, 'MAKER']]);
  });

  it('a seller crossing several resting buys fills them in price priority, then arrival', async () => {
    const run = await runOperator(bookBroker, plain, {
      orders: [[limit(T0 + 20, 'a', 'BUY', 100, 99.85), limit(T0 + 20, 'b', 'BUY', 100, 99.9), limit(T0 + 20, 'c', 'BUY', 100, 99.9)]],
      // An offer of 150 at 99.80 crosses all three: b (99.90, first there), then 50 of c; a (99.85) gets none.
      quotes: [[q(T0 + 10, 99.7, 100.1, 100, 100, 1), q(T0 + 30, 99.7, 99.8, 100, 150, 2)]],
    });
    expect(fills(run)).toEqual([
      ['b', 100, 99.9, 'MAKER'],
      ['c', 50, 99.9, 'MAKER'],
    ]);
  });

  it('a trade through several resting limits reaches the best-priced first, then the earlier', async () => {
    const run = await runOperator(bookBroker, plain, {
      orders: [[limit(T0 + 20, 'a', 'SELL', 100, 100.3), limit(T0 + 20, 'b', 'SELL', 100, 100.2), limit(T0 + 20, 'c', 'SELL', 100, 100.2)]],
      quotes: [[q(T0 + 10, 100, 100.1, 500, 100, 1)]],
      // A buyer of 250 at 100.4: b (100.20, first at that price), c (100.20), then 50 of a (100.30).
      trades: [[trade('A', T0 + 30, 100.4, 250, 2)]],
    });
    expect(fills(run)).toEqual([
      ['b', 100, 100.2, 'MAKER'],
      ['c', 100, 100.2, 'MAKER'],
      ['a', 50, 100.3, 'MAKER'],
    ]);
  });

  it('cancel and replace: a cancel ends a working order; a replace cancels it and joins at the back at its new price', async () => {
    const run = await runOperator(bookBroker, plain, {
      orders: [
        [limit(T0 + 20, 'a', 'BUY', 100, 99.9), limit(T0 + 20, 'b', 'BUY', 100, 99.9)],
        [
          order(T0 + 30, 'xa', 'BUY', 0, { action: 'CANCEL', target_order_id: 'a' }),
          limit(T0 + 30, 'b2', 'BUY', 200, 99.95, { action: 'REPLACE', target_order_id: 'b' }),
        ],
        [order(T0 + 60, 'xa2', 'BUY', 0, { action: 'CANCEL', target_order_id: 'a' })],
      ],
      quotes: [[q(T0 + 10, 99.9, 100, 500, 100, 1)]],
      // b2 improves the bid (99.95 > 99.90): nobody is ahead of it; a sale of 50 there fills 50.
      trades: [[trade('A', T0 + 40, 99.95, 50, 2, { aggressor: 'SELL' })]],
    });
    expect(fills(run)).toEqual([['b2', 50, 99.95, 'MAKER']]);
    const s = run.outputs['states'] as OrderState[];
    expect(s.map((x) => [x.order_id, x.status, x.reason])).toEqual([
      ['a', 'NEW', null],
      ['b', 'NEW', null],
      ['a', 'CANCELLED', 'cancelled by order xa'],
      ['b', 'CANCELLED', 'replaced by order b2'],
      ['b2', 'NEW', null],
      ['b2', 'PARTIALLY_FILLED', null],
      ['xa2', 'REJECTED', 'cancel of a: no such working order of A at the venue (filled, cancelled, expired or unknown)'],
      // The harness's one session closes 390 minutes after the first record, before the run ends.
      ['b2', 'EXPIRED', 'DAY order: the session closed'],
    ]);
    expect(run.deadLetters.map((d) => d.reason)).toEqual([s[6]!.reason]);
  });

  it('DAY orders expire at the session close; an order reaching the venue after it is rejected', async () => {
    const close = session(0).close;
    const run = await runOperator(
      bookBroker,
      plain,
      {
        orders: [[limit(T0 + 20, 'd', 'BUY', 100, 99)], [order(close + MINUTE, 'late', 'BUY', 10)]],
        quotes: [[q(T0 + 10, 99.9, 100, 500, 100, 1)]],
      },
      { sessions: [session(0), session(1)] },
    );
    const s = run.outputs['states'] as OrderState[];
    expect(s.map((x) => [x.order_id, x.status, x.ts_event])).toEqual([
      ['d', 'NEW', T0 + 20],
      ['d', 'EXPIRED', close],
      ['late', 'REJECTED', close + MINUTE],
    ]);
    expect(s[1]!.reason).toBe('DAY order: the session closed');
    expect(s[2]!.reason).toBe('reached the venue outside a session (the market is closed)');
  });

  it.each([
    // Lo 300, Lf 200: the venue gets it at 1300 and the feed shows that book at 1500; the quote at
    // 1500 comes after, so it fills at the 1400 quote's ask; reported at 1300 + max(300, 200).
    [300, 200, 10, T0 + 1300, T0 + 1600],
    // Lo 200, Lf 300: venue at 1200, shown at 1500; reported at 1200 + 300 (it cannot be known before the feed shows it).
    [200, 300, 10, T0 + 1200, T0 + 1500],
    // Lo 600, Lf 600: takes effect at 2200, when the 1500 quote is in force.
    [600, 600, 11, T0 + 1600, T0 + 2200],
  ])('order latency %i µs and feed latency %i µs: fills at %d, ts_event %d, ts_known %d', async (lo, lf, price, tsEvent, tsKnown) => {
    const run = await runOperator(
      bookBroker,
      { ...plain, order_latency_us: lo, feed_latency_us: lf },
      {
        orders: [[order(T0 + 1000, 'm', 'BUY', 10)]],
        quotes: [[q(T0 + 900, 9, 9.5, 100, 100, 1)], [q(T0 + 1400, 9.9, 10, 100, 100, 2)], [q(T0 + 1500, 10.9, 11, 100, 100, 3)]],
      },
    );
    const f = (run.outputs['out'] as Fill[])[0]!;
    expect([f.price, f.ts_event, f.ts_known]).toEqual([price, tsEvent, tsKnown]);
  });

  it('draws latencies from files of µs values with the seeded generator: only those values, the same for a seed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alpha-latency-'));
    writeFileSync(join(dir, 'order.txt'), '# measured\n100\n700\n');
    writeFileSync(join(dir, 'feed.txt'), '50\n');
    const orders = Array.from({ length: 40 }, (_, i) => order(T0 + 10_000 * (i + 1), `o${i}`, 'BUY', 1));
    const params = { ...plain, order_latency_file: join(dir, 'order.txt'), feed_latency_file: join(dir, 'feed.txt') };
    const feed = { orders: [orders], quotes: [[q(T0 + 1, 9.9, 10, 1e6, 1e6, 1)]] };
    const delays = async (seed: number) =>
      (await runOperator(bookBroker, params, feed, { seed })).outputs['out']!.map(
        (f) => (f as Fill).ts_event - Number((f as Fill).order_id.slice(1)) * 10_000 - 10_000 - T0,
      );
    await expect(runOperator(bookBroker, { ...plain, feed_latency_file: dir }, feed)).rejects.toThrow(
      /^node "subject" param feed_latency_file: .*: not a regular file/,
    );
    writeFileSync(join(dir, 'empty.txt'), '# nothing\n\n');
    await expect(runOperator(bookBroker, { ...plain, feed_latency_file: join(dir, 'empty.txt') }, feed)).rejects.toThrow(
      /no latency values/,
    );
    const a = await delays(1);
    // With reports held back by the latencies, every port still carries its records in ts_known order.
    const run = await runOperator(bookBroker, params, feed, { seed: 1 });
    for (const port of ['out', 'states', 'costs']) {
      const times = run.outputs[port]!.map((x) => (x as { ts_known: number }).ts_known);
      expect(times, port).toEqual([...times].sort((x, y) => x - y));
    }
    // ts_event is the venue's time: sent + the order latency, 100 or 700.
    expect(new Set(a)).toEqual(new Set([100, 700]));
    expect(await delays(1)).toEqual(a);
    expect(await delays(2)).not.toEqual(a);
    // A bad file is refused before the run, naming the node, the param, the file and the line; so is a folder.
    writeFileSync(join(dir, 'bad.txt'), '100\n-5\n');
    await expect(runOperator(bookBroker, { ...plain, order_latency_file: join(dir, 'bad.txt') }, feed)).rejects.toThrow(
      /^node "subject" param order_latency_file: .*bad\.txt:2: latency "-5": expected a whole number of microseconds/,
    );
  });

  it('square-root impact: temporary on each taker fill, permanent on the later ones; spread and impact reported as costs', async () => {
    // σ and V are the fallbacks (under 30 minutes seen): 0.02 and 1,000,000 shares.
    const root = 0.02 * Math.sqrt(10_000 / 1_000_000); // 0.002
    const [eta, gamma] = [0.5, 0.2];
    const run = await runOperator(
      bookBroker,
      { ...plain, impact_temporary: eta, impact_permanent: gamma },
      {
        orders: [[order(T0 + 20, 'b1', 'BUY', 10_000)], [order(T0 + 30, 'b2', 'BUY', 10_000)], [order(T0 + 40, 's1', 'SELL', 10_000)]],
        quotes: [[q(T0 + 10, 49.98, 50, 1e6, 1e6, 1)]],
      },
    );
    const prices = (run.outputs['out'] as Fill[]).map((f) => f.price);
    const expected = [50 * (1 + eta * root), 50 * (1 + gamma * root + eta * root), 49.98 * (1 + 2 * gamma * root - eta * root)];
    prices.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 10));
    const costs = (run.outputs['costs'] as ExecutionCost[]).filter((c) => c.fill_id !== null);
    // Spread: (touch − mid) per share on the paying side, mid 49.99: 0.01 × 10,000 = 100 each.
    costs.forEach((c) => expect(c.spread).toBeCloseTo(100, 8));
    expect(costs[0]!.impact).toBeCloseTo((expected[0]! - 50) * 10_000, 6);
    expect(costs[2]!.impact).toBeCloseTo((49.98 - expected[2]!) * 10_000, 6);
  });

  it('maker and taker fees in bps of notional (a negative maker fee is a rebate)', async () => {
    const run = await runOperator(
      bookBroker,
      { ...plain, taker_fee_bps: 0.7, maker_fee_bps: -0.2 },
      {
        orders: [[order(T0 + 20, 't', 'BUY', 100), limit(T0 + 20, 'm', 'SELL', 200, 101)]],
        quotes: [[q(T0 + 10, 100, 100.5, 500, 500, 1)]],
        trades: [[trade('A', T0 + 30, 101.5, 200, 2)]],
      },
    );
    const f = run.outputs['out'] as Fill[];
    expect(f.map((x) => [x.order_id, x.liquidity])).toEqual([
      ['t', 'TAKER'],
      ['m', 'MAKER'],
    ]);
    expect(f[0]!.fee).toBeCloseTo(100 * 100.5 * 0.7e-4, 12);
    expect(f[1]!.fee).toBeCloseTo(-200 * 101 * 0.2e-4, 12);
    const perFill = (run.outputs['costs'] as ExecutionCost[]).filter((c) => c.fill_id !== null);
    expect(perFill.map((c) => [c.fill_id, c.fee])).toEqual(f.map((x) => [x.fill_id, x.fee]));
  });

  it('accrues borrow on shorts and financing of the gross at each close, ACT/360, for the days until the next session', async () => {
    // Friday 5 January 2024 (session 3) and Monday 8 January (session 6): the Friday close carries 3 days.
    const [fri, mon] = [session(3), session(6)];
    const run = await runOperator(
      bookBroker,
      { ...plain, borrow_bps_annual: 50, financing_bps_annual: 25 },
      {
        orders: [[order(fri.open + 20, 's', 'SELL', 1000), { ...order(fri.open + 20, 'l', 'BUY', 400), symbol: 'B' }]],
        quotes: [
          [q(fri.open + 10, 49.99, 50.01, 1e4, 1e4, 1), quote('B', fri.open + 10, 19.99, 20.01, 2, { bid_size: 1e4, ask_size: 1e4 })],
        ],
      },
      { sessions: [fri, mon] },
    );
    const carry = (run.outputs['costs'] as ExecutionCost[]).filter((c) => c.fill_id === null);
    // A: short 1000 × mid 50 = 50,000: borrow 50,000 × 0.005 × 3/360, financing 50,000 × 0.0025 × 3/360.
    // B: long 400 × 20 = 8,000: no borrow, financing 8,000 × 0.0025 × 3/360. Monday (last session): 1 day.
    const expected = [
      ['A', fri.close, 50_000, (50_000 * 0.005 * 3) / 360, (50_000 * 0.0025 * 3) / 360],
      ['B', fri.close, 8_000, 0, (8_000 * 0.0025 * 3) / 360],
      ['A', mon.close, 50_000, (50_000 * 0.005) / 360, (50_000 * 0.0025) / 360],
      ['B', mon.close, 8_000, 0, (8_000 * 0.0025) / 360],
    ];
    expect(carry.length).toBe(4);
    carry.forEach((c, i) => {
      const [symbol, at, notional, borrow, financing] = expected[i]! as [string, number, number, number, number];
      expect([c.symbol, c.ts_event]).toEqual([symbol, at]);
      expect(c.notional).toBeCloseTo(notional, 8);
      expect(c.borrow).toBeCloseTo(borrow, 10);
      expect(c.financing).toBeCloseTo(financing, 10);
    });
  });

  it('refuses malformed and duplicate orders at once, as dead letters and REJECTED states', async () => {
    const run = await runOperator(bookBroker, plain, {
      orders: [
        [order(T0 + 20, 'f', 'BUY', 1.5), limit(T0 + 20, 'p', 'BUY', 10, -1), order(T0 + 20, 'ok', 'BUY', 10)],
        [order(T0 + 30, 'ok', 'BUY', 10)],
      ],
      quotes: [[q(T0 + 10, 99, 100, 100, 100, 1)]],
    });
    expect(run.deadLetters.map((d) => d.reason)).toEqual([
      'quantity 1.5: expected a positive whole number of shares',
      'limit order without a positive limit price (-1)',
      'duplicate order id ok: already executed or working',
    ]);
    expect(run.metrics['duplicate_orders']).toBe(1);
    expect(fills(run)).toEqual([['ok', 10, 100, 'TAKER']]);
  });
});
