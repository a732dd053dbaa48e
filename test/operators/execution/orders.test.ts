/**
 * execution.orders: for each symbol of a rebalance, the target position weight × equity / mid rounded
 * to whole lots, minus the position held; no order when that is zero, none (counted skipped_small) when
 * its notional is under min_notional. Dead letters: targets before any portfolio state, a symbol with
 * no quote, a non-finite weight. LIMIT orders sit limit_offset_bps inside the mid, rounded to cents.
 * Order ids are node-ts_known-symbol.
 *
 * Quantities are worked out by hand in the comments. Feeds are timed so the portfolio state and the
 * quotes are known before the targets they size.
 */
import { describe, expect, it } from 'vitest';
import { MINUTE } from '../../../lib/core/time.ts';
import { orders } from '../../../operators/execution/orders.ts';
import { runOperator } from '../../../pipelines/harness/harness.ts';
import type { Order, PortfolioState, TargetWeights } from '../../../schemas/types.generated.ts';
import { T0, portfolio, quote, type Held } from '../../helpers/records.ts';

/** All cash, with `positions` (symbol → quantity) held unpriced: orders are sized on the quotes. */
const state = (at: number, equity: number, positions: Record<string, number>): PortfolioState =>
  portfolio(
    at,
    equity,
    Object.entries(positions).map(([symbol, qty]): Held => [symbol, qty, 0]),
  );
const targets = (at: number, weights: Record<string, number>): TargetWeights => ({
  ts_event: at - 1,
  ts_known: at,
  symbols: Object.keys(weights),
  weights: Object.values(weights),
});
/** A quote whose mid is `mid` (a cent either side). */
const at = (symbol: string, t: number, mid: number, seq: number) => quote(symbol, t, mid - 0.01, mid + 0.01, seq);

const brief = (o: Order) => [o.symbol, o.side, o.qty];

describe('execution.orders', () => {
  const quotes = [
    [at('A', T0 + 2, 100, 1), at('B', T0 + 2, 50, 2), at('C', T0 + 2, 20, 3), at('E', T0 + 2, 10, 4), at('F', T0 + 2, 25, 5)],
  ];

  it('orders the difference to the target in whole lots, skipping small trades, dead-lettering what it cannot size', async () => {
    const t = targets(T0 + 3, { A: 0.0213, B: -0.01, C: 0.0004, D: 0.05, E: NaN, F: 0.0025 });
    const run = await runOperator(
      orders,
      { lot_size: 10, min_notional: 1000 },
      {
        portfolio: [[state(T0 + 1, 1_000_000, { A: 100, F: 100 })]],
        quotes,
        targets: [[t]],
      },
    );
    const out = run.outputs['out'] as Order[];
    // A: 0.0213 × 1e6 / 100 = 213 shares = 21.3 lots → 21 lots, 210; holds 100 → buy 110.
    // B: −0.01 × 1e6 / 50 = −200 → sell 200.
    // C: 0.0004 × 1e6 / 20 = 20 shares, $400 < $1000: skipped.
    // F: 0.0025 × 1e6 / 25 = 100, as held: nothing to do (not counted as skipped).
    expect(out.map(brief)).toEqual([
      ['A', 'BUY', 110],
      ['B', 'SELL', 200],
    ]);
    expect(out[0]).toEqual({
      ts_event: t.ts_event,
      ts_known: t.ts_known,
      order_id: `subject-${T0 + 3}-A`,
      symbol: 'A',
      side: 'BUY',
      qty: 110,
      order_type: 'MARKET',
      limit_price: null,
      ref_price: 100,
      time_in_force: 'DAY',
      action: 'NEW',
      target_order_id: null,
    });
    expect(run.metrics['skipped_small']).toBe(1);
    expect(run.deadLetters.map((d) => [JSON.parse(d.payload).symbol, d.reason, d.ts_known])).toEqual([
      ['D', 'no price for symbol', T0 + 3],
      ['E', 'non-finite weight NaN', T0 + 3],
    ]);
  });

  it('prices LIMIT orders limit_offset_bps inside the mid, rounded to cents', async () => {
    const run = await runOperator(
      orders,
      { order_type: 'LIMIT', limit_offset_bps: 10, min_notional: 0 },
      {
        portfolio: [[state(T0 + 1, 100_000, {})]],
        quotes: [[at('A', T0 + 2, 100, 1), at('B', T0 + 2, 33.333, 2)]],
        targets: [[targets(T0 + 3, { A: 0.5, B: -0.5 })]],
      },
    );
    const out = run.outputs['out'] as Order[];
    // A: buy 500 at 100 × (1 − 0.001) = 99.90. B: 50 000 / 33.333 = 1500.02 → sell 1500 at 33.333 × 1.001 = 33.366… → 33.37.
    expect(out.map((o) => [o.symbol, o.side, o.qty, o.order_type, o.limit_price, o.ref_price])).toEqual([
      ['A', 'BUY', 500, 'LIMIT', 99.9, 100],
      ['B', 'SELL', 1500, 'LIMIT', 33.37, 33.333],
    ]);
  });

  it('dead-letters targets that come before any portfolio state, then sizes on the latest state and quote', async () => {
    const run = await runOperator(
      orders,
      { min_notional: 0 },
      {
        portfolio: [[state(T0 + 4, 1_000, {}), state(T0 + 4, 2_000, { A: 3 })], [state(T0 + 5 * MINUTE, 99_999, {})]],
        quotes: [[at('A', T0 + 2, 100, 1)], [at('A', T0 + 5, 200, 2)]],
        targets: [[targets(T0 + 3, { A: 1 })], [targets(T0 + MINUTE, { A: 1 })]],
      },
    );
    expect(run.deadLetters.map((d) => [d.reason, d.ts_known])).toEqual([['no portfolio state yet: cannot size orders', T0 + 3]]);
    // The second target: equity 2000 (the last state of the batch known by then), mid 200 → 10 shares; holds 3 → buy 7.
    expect((run.outputs['out'] as Order[]).map((o) => [o.order_id, o.side, o.qty, o.ref_price])).toEqual([
      [`subject-${T0 + MINUTE}-A`, 'BUY', 7, 200],
    ]);
  });
});
