/**
 * portfolio.accounting: books fills into cash and positions at average cost, marks positions at the
 * latest mid, and emits the state once at the start, after every batch of fills (at the last fill's
 * times) and every mark_every_minutes of each session (the equity curve, at the timer's time).
 *
 * Cash, PnL and equity are worked out by hand in the comments; the decomposition
 * equity = initial cash + realised + unrealised − fees is checked on every state.
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
import type { Fill, PortfolioState } from '../../../schemas/types.generated.ts';
import * as records from '../../helpers/records.ts';
import { T0, quote } from '../../helpers/records.ts';

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
    for (const s of states) expect(s.equity).toBeCloseTo(cash0 + s.realized_pnl + s.unrealized_pnl - s.fees, 6);
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
});
