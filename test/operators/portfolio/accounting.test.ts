/**
 * portfolio.accounting: books fills into cash and positions at average cost, marks positions at the
 * latest mid, and emits the state once at the start, after every batch of fills (at the last fill's
 * times) and every mark_every_minutes of each session (the equity curve, at the timer's time).
 *
 * With its `costs` input it pays the carry (borrow, financing) out of cash at the record's ts_known,
 * and nothing else of a cost record: spread, impact and fee are in the fill's price and fee already.
 *
 * Cash, PnL and equity are worked out by hand in the comments; the decomposition
 * equity = initial cash + realised + unrealised − fees − borrow − financing is checked on every state.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MINUTE, SECOND } from '../../../lib/core/time.ts';
import { registry } from '../../../operators/index.ts';
import { accounting } from '../../../operators/portfolio/accounting.ts';
import { handle, on } from '../../../operators/sdk/handle.ts';
import { defineOperator, type AnySpec } from '../../../operators/sdk/spec.ts';
import { feedSpec, runGraph, runOperator, type FeedBatches } from '../../../pipelines/harness/harness.ts';
import { loadTopology } from '../../../pipelines/topology/load.ts';
import { validateTopology } from '../../../pipelines/topology/validate.ts';
import type { ExecutionCost, Fill, PortfolioState } from '../../../schemas/types.generated.ts';
import { plainBroker } from '../../helpers/algo-graph.ts';
import * as records from '../../helpers/records.ts';
import { T0, quote, session as sessionOf } from '../../helpers/records.ts';

/** A fill known at `at`, executed a second before. */
const fill = (at: number, symbol: string, side: 'BUY' | 'SELL', qty: number, price: number, fee: number): Fill =>
  records.fill(symbol, side, qty, price, {
    ts_event: at - SECOND,
    ts_known: at,
    fill_id: `f-${at}-${symbol}`,
    order_id: `o-${at}-${symbol}`,
    fee,
  });
const mid = (symbol: string, t: number, m: number, seq: number) => quote(symbol, t, m - 0.05, m + 0.05, seq);
const m = (minutes: number) => T0 + minutes * MINUTE;
/** A cost record of the broker's `costs` port, known at `at`. */
const cost = (at: number, symbol: string, fillId: string | null, c: Partial<ExecutionCost>): ExecutionCost => ({
  ts_event: at,
  ts_known: at,
  symbol,
  fill_id: fillId,
  notional: 0,
  spread: 0,
  impact: 0,
  fee: 0,
  borrow: 0,
  financing: 0,
  ...c,
});
const decomposes = (s: PortfolioState, cash0: number) =>
  expect(s.equity).toBeCloseTo(cash0 + s.realized_pnl + s.unrealized_pnl - s.fees - s.borrow - s.financing, 6);

describe('portfolio.accounting', () => {
  const cash0 = 1_000_000;
  const session = { open: T0, close: m(10) };

  it('books fills, marks at the latest mid, and emits at the start, after each batch of fills and on its timer', async () => {
    const run = await runOperator(
      accounting,
      { initial_cash: cash0, mark_every_minutes: 5 },
      {
        fills: [[fill(m(1), 'A', 'BUY', 100, 50, 1)], [fill(m(6), 'A', 'SELL', 40, 53, 0.5), fill(m(6), 'B', 'SELL', 10, 20, 0.25)]],
        quotes: [[mid('A', m(2), 52, 1)], [mid('B', m(7), 19, 2), mid('C', m(7), 99, 3)]],
      },
      { sessions: [session] },
    );
    const states = run.outputs['out'] as PortfolioState[];
    // The state emitted at the start goes out while the graph is built, before the harness observes
    // the edge: see the next test for who receives it.
    expect(states.map((s) => (s.ts_known - T0) / MINUTE)).toEqual([1, 5, 6, 10]);
    const [first, at5, second, at10] = states;
    // Buy 100 A at 50, fee 1: cash 1e6 − 5000 − 1; marked at the fill price until a quote comes.
    expect(first).toMatchObject({ ts_event: m(1) - SECOND, cash: 994_999, equity: 999_999, fees: 1, traded_notional: 5000 });
    expect(first!.positions).toEqual([{ symbol: 'A', qty: 100, avg_price: 50, mark: 50 }]);
    // The quote at 2 marks A at 52: unrealised 100 × 2.
    expect(at5).toMatchObject({ ts_event: m(5), cash: 994_999, equity: 994_999 + 5200, unrealized_pnl: 200, gross_exposure: 5200 });
    // One batch of two fills, one state at the last fill's times. Sell 40 A at 53: realised 40 × 3 = 120,
    // cash + 2120 − 0.5; short 10 B at 20: cash + 200 − 0.25 → 997 318.25. A 60 at 52, B −10 at 20.
    expect(second).toMatchObject({
      ts_event: m(6) - SECOND,
      ts_known: m(6),
      cash: 997_318.25,
      realized_pnl: 120,
      fees: 1.75,
      net_exposure: 60 * 52 - 10 * 20,
      gross_exposure: 60 * 52 + 10 * 20,
      traded_notional: 5000 + 2120 + 200,
    });
    expect(second!.positions).toEqual([
      { symbol: 'A', qty: 60, avg_price: 50, mark: 52 },
      { symbol: 'B', qty: -10, avg_price: 20, mark: 20 },
    ]);
    // B's quote at 7 (mid 19) gains the short 10; C is not held and changes nothing.
    expect(at10!.positions).toEqual([
      { symbol: 'A', qty: 60, avg_price: 50, mark: 52 },
      { symbol: 'B', qty: -10, avg_price: 20, mark: 19 },
    ]);
    expect(at10).toMatchObject({ equity: 997_318.25 + 60 * 52 - 10 * 19, unrealized_pnl: 60 * 2 + 10 });
    for (const s of states) decomposes(s, cash0);
  });

  it('closes a position out of the state, and marks only while the session is open', async () => {
    const day2 = T0 + 24 * 60 * MINUTE;
    const run = await runOperator(
      accounting,
      { initial_cash: cash0, mark_every_minutes: 5 },
      {
        fills: [[fill(m(1), 'A', 'BUY', 10, 100, 0)], [fill(m(2), 'A', 'SELL', 10, 101, 0)]],
        quotes: [],
      },
      { sessions: [session, { open: day2, close: day2 + 5 * MINUTE }] },
    );
    const states = run.outputs['out'] as PortfolioState[];
    // Two fills, timers at 5 and 10; none overnight; day 2's timer at its open + 5.
    expect(states.map((s) => s.ts_known)).toEqual([m(1), m(2), m(5), m(10), day2 + 5 * MINUTE]);
    expect(states.at(-1)).toMatchObject({ positions: [], realized_pnl: 10, cash: cash0 + 10, equity: cash0 + 10, gross_exposure: 0 });
  });

  it('hands its starting state to the feedback readers built before it, so orders can be sized before any fill', async () => {
    const seen: PortfolioState[] = [];
    const reader = defineOperator({
      type: 'test.portfolio-reader',
      summary: 'Records the portfolio states it reads through a feedback port.',
      inputs: {
        quotes: { schema: 'Quote', description: 'Anything that keeps it open.' },
        portfolio: { schema: 'PortfolioState', feedback: true, description: 'The states read.' },
      },
      output: null,
      params: z.strictObject({}),
      create:
        (_p, ctx) =>
        ({ quotes, portfolio }) =>
          handle<never>(ctx, [
            on(quotes, () => {}),
            on(
              portfolio,
              (b) => {
                seen.push(...b);
              },
              { feedback: true },
            ),
          ]),
    });
    const feeds = new Map<string, FeedBatches>([
      ['fills', [[fill(m(1), 'A', 'BUY', 10, 100, 0)]]],
      ['quotes', []],
    ]);
    const specs = new Map<string, AnySpec>([...registry, ['harness.feed', feedSpec(feeds)], ['test.portfolio-reader', reader]]);
    const { topology, problems } = validateTopology(
      loadTopology(
        'feedback.yaml',
        [],
        `
nodes:
  - { name: quotes, type: harness.feed, params: { schema: Quote, name: quotes } }
  - { name: fills, type: harness.feed, params: { schema: Fill, name: fills } }
  - { name: reader, type: test.portfolio-reader, inputs: { quotes: quotes, portfolio: accounting } }
  - { name: accounting, type: portfolio.accounting, inputs: { fills: fills, quotes: quotes }, params: { initial_cash: ${cash0} } }
`,
      ),
      specs,
    );
    expect(problems).toEqual([]);
    expect(topology!.nodes.map((n) => n.name)).toEqual(['quotes', 'fills', 'reader', 'accounting']);
    await runGraph(topology!, { sessions: [session] });
    // The start state, at the session's open, then the fill's and the timer's (every 5 minutes by default).
    expect(seen.map((s) => [s.ts_known, s.cash, s.positions.length])).toEqual([
      [T0, cash0, 0],
      [m(1), cash0 - 1000, 1],
      [m(5), cash0 - 1000, 1],
      [m(10), cash0 - 1000, 1],
    ]);
  });

  // The ledger once remembered mids only of symbols already held, so a new position was marked at its
  // fill price (half a spread off the mid in the default graph) until the symbol quoted again.
  it('marks a new position at the latest mid known before its fill', async () => {
    const run = await runOperator(
      accounting,
      { initial_cash: cash0 },
      {
        fills: [[fill(m(1), 'A', 'BUY', 100, 50.05, 0)]],
        quotes: [[mid('A', m(1) - 10, 50, 1)]],
      },
      { sessions: [session] },
    );
    const after = (run.outputs['out'] as PortfolioState[])[1]!;
    expect(after.positions).toEqual([{ symbol: 'A', qty: 100, avg_price: 50.05, mark: 50 }]);
    expect(after.equity).toBeCloseTo(cash0 - 5005 + 5000, 9);
  });
  it('pays the carry of its costs input out of cash at their ts_known, and not the costs already in a fill', async () => {
    // Friday 5 January 2024 (session 3) and Monday 8 January (session 6): the Friday close carries 3
    // calendar days, Monday's (the last) one, ACT/360 as execution.book-broker documents.
    const [fri, mon] = [sessionOf(3), sessionOf(6)];
    const sold = fri.open + MINUTE;
    // Short 1000 A at 50, fee 2.5; its cost record repeats the fee and adds a spread and an impact that
    // the fill price already holds: none of the three may move cash again.
    const short = fill(sold, 'A', 'SELL', 1000, 50, 2.5);
    const atFill = cost(sold, 'A', short.fill_id, { notional: 50_000, spread: 10, impact: 5, fee: 2.5 });
    // On 1000 × mid 50 = 50,000 at 50 bps borrow and 25 bps financing a year.
    const borrow = (days: number) => (50_000 * 0.005 * days) / 360;
    const financing = (days: number) => (50_000 * 0.0025 * days) / 360;
    const carry = (at: number, days: number) => cost(at, 'A', null, { notional: 50_000, borrow: borrow(days), financing: financing(days) });
    const run = await runOperator(
      accounting,
      { initial_cash: cash0, mark_every_minutes: 390 },
      {
        fills: [[short]],
        quotes: [[quote('A', sold - 10, 49.95, 50.05, 1)]],
        costs: [[atFill], [carry(fri.close, 3)], [carry(mon.close, 1)]],
      },
      { sessions: [fri, mon] },
    );
    const states = run.outputs['out'] as PortfolioState[];
    // The fill's state; each session's 390-minute mark at its close; one state per batch that paid carry.
    expect(states.map((x) => x.ts_known)).toEqual([sold, fri.close, fri.close, mon.close, mon.close]);
    const afterFill = cash0 + 50_000 - 2.5;
    expect(states[0]).toMatchObject({ cash: afterFill, equity: afterFill - 50_000, fees: 2.5, borrow: 0, financing: 0 });
    const byClose = (t: number) => states.filter((x) => x.ts_known === t).at(-1)!;
    const friday = afterFill - borrow(3) - financing(3);
    expect(byClose(fri.close).cash).toBeCloseTo(friday, 9);
    expect(byClose(fri.close).borrow).toBeCloseTo(borrow(3), 12);
    const monday = friday - borrow(1) - financing(1);
    const last = byClose(mon.close);
    expect(last.cash).toBeCloseTo(monday, 9);
    expect(last.equity).toBeCloseTo(monday - 50_000, 9);
    expect(last.borrow).toBeCloseTo(borrow(4), 12);
    expect(last.financing).toBeCloseTo(financing(4), 12);
    expect(last.fees).toBe(2.5);
    for (const x of states) decomposes(x, cash0);
  });

  it('dead-letters a cost record whose carry is not a finite amount, and books the rest of its batch', async () => {
    const at = m(3);
    const run = await runOperator(
      accounting,
      { initial_cash: cash0 },
      {
        fills: [],
        quotes: [],
        costs: [[cost(at, 'A', null, { borrow: Number.NaN }), cost(at, 'B', null, { financing: 4 })]],
      },
      { sessions: [session] },
    );
    expect(run.deadLetters.map((d) => d.reason)).toEqual(['borrow NaN, financing 0: expected finite amounts of currency']);
    const states = run.outputs['out'] as PortfolioState[];
    expect(states[0]).toMatchObject({ ts_known: at, cash: cash0 - 4, borrow: 0, financing: 4 });
  });

  it('dead-letters a fill it cannot book (a NaN price from a topic left cash and equity NaN for good), and books the rest of its batch', async () => {
    const at = m(3);
    const bad: [Fill, string][] = [
      [fill(at, 'A', 'BUY', 100, Number.NaN, 0), 'price NaN: prices must be numbers above 0 and at most 1e+9'],
      [fill(at, 'A', 'BUY', 100, 0, 0), 'price 0: prices must be numbers above 0 and at most 1e+9'],
      [fill(at, 'A', 'BUY', 100, 1e300, 0), 'price 1e+300: prices must be numbers above 0 and at most 1e+9'],
      [fill(at, 'A', 'BUY', 0, 10, 0), 'qty 0: expected a positive finite number of shares'],
      [fill(at, 'A', 'SELL', Number.POSITIVE_INFINITY, 10, 0), 'qty Infinity: expected a positive finite number of shares'],
      [fill(at, 'A', 'BUY', 100, 10, Number.NaN), 'fee NaN: expected a finite amount of currency'],
    ];
    const run = await runOperator(
      accounting,
      { initial_cash: cash0 },
      { fills: [[...bad.map(([f]) => f), fill(at, 'B', 'BUY', 10, 20, 1)]], quotes: [], costs: [] },
      { sessions: [session] },
    );
    expect(run.deadLetters.map((d) => d.reason)).toEqual(bad.map(([, why]) => why));
    const states = run.outputs['out'] as PortfolioState[];
    // 10 × 20 paid, and the fee of 1: the bad fills moved nothing.
    expect(states.find((st) => st.ts_known === at)).toMatchObject({ cash: cash0 - 200 - 1 });
    expect(states.every((st) => Number.isFinite(st.equity))).toBe(true);
  });

  it("with execution.book-broker, loses exactly the broker's five costs while the mid stands still", async () => {
    // A short of 1000 A sold on Friday's open at the bid 49.99 (mid 50), taker fee 0.5 bps, held over
    // the Friday close (3 days) and Monday's (1 day) at 50 bps borrow and 25 bps financing, ACT/360.
    const [fri, mon] = [sessionOf(3), sessionOf(6)];
    const order = records.order('A', 'SELL', 1000, { ts_event: fri.open + 20, ts_known: fri.open + 20, order_id: 's' });
    const book = quote('A', fri.open + 10, 49.99, 50.01, 1, { bid_size: 1e4, ask_size: 1e4 });
    const feeds = new Map<string, FeedBatches>([
      ['orders', [[order]]],
      ['quotes', [[book]]],
    ]);
    const broker = { ...plainBroker, taker_fee_bps: 0.5, borrow_bps_annual: 50, financing_bps_annual: 25 };
    const { topology, problems } = validateTopology(
      loadTopology(
        'carry.yaml',
        [],
        `
nodes:
  - { name: orders, type: harness.feed, params: { schema: Order, name: orders } }
  - { name: quotes, type: harness.feed, params: { schema: Quote, name: quotes } }
  - { name: broker, type: execution.book-broker, inputs: { orders: orders, quotes: quotes }, params: ${JSON.stringify(broker)} }
  - name: accounting
    type: portfolio.accounting
    inputs: { fills: broker, quotes: quotes, costs: broker.costs }
    params: { initial_cash: ${cash0} }
`,
      ),
      new Map<string, AnySpec>([...registry, ['harness.feed', feedSpec(feeds)]]),
    );
    expect(problems).toEqual([]);
    const run = await runGraph(topology!, { sessions: [fri, mon], observe: ['broker.costs', 'accounting'] });
    const costs = run.edges.get('broker.costs')!.flatMap((b) => b.records as ExecutionCost[]);
    const last = run.edges
      .get('accounting')!
      .flatMap((b) => b.records as PortfolioState[])
      .at(-1)!;
    const fee = (1000 * 49.99 * 0.5) / 1e4;
    const borrow = (50_000 * 0.005 * (3 + 1)) / 360;
    const financing = (50_000 * 0.0025 * (3 + 1)) / 360;
    expect(last.cash).toBeCloseTo(cash0 + 1000 * 49.99 - fee - borrow - financing, 9);
    expect(last).toMatchObject({ fees: fee, positions: [{ symbol: 'A', qty: -1000, avg_price: 49.99, mark: 50 }] });
    // Half the spread (1000 × 0.01) went at the fill; fee and carry as above; no impact in this broker.
    const paid = 1000 * 0.01 + fee + borrow + financing;
    expect(last.equity).toBeCloseTo(cash0 - paid, 9);
    // The broker's own report of them adds up to the same: each cost counted once.
    const sum = (k: 'spread' | 'impact' | 'fee' | 'borrow' | 'financing') => costs.reduce((a, c) => a + c[k], 0);
    expect(sum('spread') + sum('impact') + sum('fee') + sum('borrow') + sum('financing')).toBeCloseTo(paid, 9);
    expect([last.borrow, last.financing]).toEqual([sum('borrow'), sum('financing')]);
  });
});
