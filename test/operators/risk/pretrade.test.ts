/**
 * risk.pretrade in event time: each rule just inside (passes) and just outside (a dead letter naming
 * the rule, the value and the limit), the kill switch driven by portfolio equity and session opens,
 * validation of its params, and the operator in a small graph with the real broker and accounting.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registry } from '../../../operators/index.ts';
import { pretrade } from '../../../operators/risk/pretrade.ts';
import type { Session } from '../../../operators/sdk/context.ts';
import { defineSource, type AnySpec, type Batch } from '../../../operators/sdk/spec.ts';
import { runGraph, stepOperator } from '../../../pipelines/harness/harness.ts';
import { loadTopology } from '../../../pipelines/topology/load.ts';
import { TopologyError } from '../../../pipelines/topology/problems.ts';
import { validateTopology } from '../../../pipelines/topology/validate.ts';
import type { Fill, Order, OrderState, PortfolioState, Quote } from '../../../schemas/types.generated.ts';
import { MINUTE, T0, probeSpec, type Probe } from '../../helpers/memory-graph.ts';
import { fill, order, portfolio, quote } from '../../helpers/records.ts';
import { validate } from '../../topology/helpers.ts';

const s = 1_000_000;
const DAY = 24 * 60 * MINUTE;

/** The operator alone, fed through Subjects on an event clock: each input is delivered at its time. */
function harness(params: Record<string, unknown> = {}, opts: { sessions?: Session[]; fills?: boolean; states?: boolean } = {}) {
  const sessions = opts.sessions ?? [{ open: T0, close: T0 + 390 * MINUTE }];
  const unbound = [...(opts.fills === false ? ['fills'] : []), ...(opts.states ? [] : ['states'])];
  const op = stepOperator(pretrade, params, { sessions, node: 'risk', unbound });
  const { deadLetters, logs, ctx } = op;
  const passed = op.outputs['out'] as Order[];
  const inputs = {
    orders: { next: (b: Batch<Order>) => op.push('orders', b) },
    quotes: { next: (b: Batch<Quote>) => op.push('quotes', b) },
    portfolio: { next: (b: Batch<PortfolioState>) => op.push('portfolio', b) },
    fills: { next: (b: Batch<Fill>) => op.push('fills', b) },
    states: { next: (b: Batch<OrderState>) => op.push('states', b) },
  };
  const clock = op.clock;
  let seq = 0;
  const h = {
    passed,
    deadLetters,
    logs,
    metrics: () => ctx.metrics.snapshot(),
    /** Gives the node a live command at time t (as the live driver does). */
    command(t: number, command: 'halt' | 'stop', text: string) {
      h.at(t);
      for (const c of ctx.commands) if (c.command === command) c.fn(text);
    },
    at: (t: number) => clock.advanceTo(t),
    quote(symbol: string, t: number, mid: number) {
      h.at(t);
      inputs.quotes.next([quote(symbol, t, mid - 0.5, mid + 0.5, ++seq)]);
    },
    /** The cash is what the positions (bought at their marks) leave of the equity. */
    state(t: number, equity: number, positions: [symbol: string, qty: number, mark: number][] = []) {
      h.at(t);
      const cash = equity - positions.reduce((a, [, q, m]) => a + q * m, 0);
      inputs.portfolio.next([portfolio(t, equity, positions, { cash })]);
    },
    /** `o` filled (`qty` of it) at its reference price. */
    fill(t: number, o: Order, qty = o.qty) {
      h.at(t);
      inputs.fills.next([
        fill(o.symbol, o.side, qty, o.ref_price, { ts_event: t, ts_known: t, fill_id: `${o.order_id}#1`, order_id: o.order_id }),
      ]);
    },
    /** The broker's state of `o` at time t: `filled` shares so far, `remaining` still working. */
    orderState(t: number, o: Order, status: OrderState['status'], filled: number, remaining: number) {
      h.at(t);
      const { symbol, side, order_id } = o;
      inputs.states.next([
        { ts_event: t, ts_known: t, order_id, symbol, side, status, filled_qty: filled, remaining_qty: remaining, reason: null },
      ]);
    },
    /** Sends `orders` in one batch at time t; returns what passed. */
    batch(t: number, orders: Order[]): Order[] {
      h.at(t);
      const n = passed.length;
      inputs.orders.next(orders.map((o) => ({ ...o, ts_event: t, ts_known: t })));
      return passed.slice(n);
    },
    /** Sends an order at time t; returns the reason it was rejected, or 'passed'. */
    send(t: number, o: Order): string {
      h.at(t);
      const n = passed.length;
      const d = deadLetters.length;
      inputs.orders.next([{ ...o, ts_event: t, ts_known: t, order_id: o.order_id || `o${++seq}` }]);
      if (passed.length > n) return 'passed';
      return (
        deadLetters
          .slice(d)
          .map((x) => x.reason)
          .join(' | ') || 'nothing'
      );
    },
  };
  return h;
}

/** A harness with a quote for A and B at mid 100 and a flat portfolio of equity 1,000,000. */
function ready(
  params: Record<string, unknown> = {},
  positions: [string, number, number][] = [],
  opts: { fills?: boolean; states?: boolean } = {},
) {
  const h = harness(params, opts);
  h.quote('A', T0 + s, 100);
  h.quote('B', T0 + s, 100);
  h.state(T0 + s, 1_000_000, positions);
  return h;
}

describe('risk.pretrade rules (just inside passes, just outside is a dead letter naming rule, value and limit)', () => {
  it('restricted list', () => {
    const h = ready({ restricted_symbols: ['B'] });
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 10))).toBe('passed');
    expect(h.send(T0 + 2 * s, order('B', 'BUY', 10))).toBe('restricted: B is on the restricted list');
    expect(h.metrics()['rejected_restricted']).toBe(1);
    expect(h.deadLetters[0]).toMatchObject({ node: 'risk', ts_known: T0 + 2 * s });
    expect(JSON.parse(h.deadLetters[0]!.payload)).toMatchObject({ symbol: 'B', side: 'BUY', qty: 10 });
  });

  it('invalid orders: non-positive quantity, missing limit price', () => {
    const h = ready();
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 0))).toBe('invalid_order: quantity 0 is not a positive number');
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 5, { order_type: 'LIMIT' }))).toBe(
      'invalid_order: limit price null is not a positive number',
    );
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 5, { ref_price: Number.NaN }))).toBe(
      'invalid_order: ref price NaN is not a positive number',
    );
  });

  it('maximum order quantity', () => {
    const h = ready({ max_order_qty: 1000 });
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 1000))).toBe('passed');
    expect(h.send(T0 + 2 * s, order('A', 'SELL', 1001))).toBe('max_qty: order quantity 1,001 > limit 1,000');
    expect(h.metrics()['rejected_max_qty']).toBe(1);
  });

  it('maximum order notional, at the limit price of a limit order', () => {
    const h = ready({ max_order_notional: 100_000 });
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 1000))).toBe('passed');
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 1001))).toBe('max_notional: order notional 100,100 > limit 100,000');
    expect(h.send(T0 + 2 * s, order('B', 'BUY', 1000, { order_type: 'LIMIT', limit_price: 100.5 }))).toBe(
      'max_notional: order notional 100,500 > limit 100,000',
    );
  });

  it('price collar of a limit order against the last mid', () => {
    const h = ready({ collar_bps: 100 });
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 10, { order_type: 'LIMIT', limit_price: 100.99 }))).toBe('passed');
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 10, { order_type: 'LIMIT', limit_price: 98.99 }))).toBe(
      'collar: limit price 98.99 is 101.0 bps from the last mid 100 > limit 100 bps',
    );
    // The collar follows the last quote.
    h.quote('A', T0 + 3 * s, 110);
    expect(h.send(T0 + 4 * s, order('A', 'SELL', 10, { order_type: 'LIMIT', limit_price: 100.99 }))).toMatch(
      /^collar: limit price 100\.99 is 819\.1 bps from the last mid 110 /,
    );
  });

  it('price collar of a market order: its ref price against the last mid, and no quote at all', () => {
    const h = ready({ collar_bps: 100 });
    expect(h.send(T0 + 2 * s, order('A', 'SELL', 10, { ref_price: 99.01 }))).toBe('passed');
    expect(h.send(T0 + 2 * s, order('A', 'SELL', 10, { ref_price: 101.01 }))).toBe(
      'collar: ref price 101.01 is 101.0 bps from the last mid 100 > limit 100 bps',
    );
    expect(h.send(T0 + 2 * s, order('C', 'BUY', 10))).toBe('collar: no quote for C yet: cannot check the ref price 100');
    expect(h.metrics()['rejected_collar']).toBe(2);
  });

  it('no portfolio state yet: positions and exposure unknown, the order is refused', () => {
    const h = harness();
    h.quote('A', T0 + s, 100);
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 10))).toBe('no_portfolio: no portfolio state yet: positions and exposure unknown');
  });

  it('per-name position in shares, counting orders passed but not yet filled', () => {
    const h = ready({ max_position_qty: 1000 }, [['A', 600, 100]]);
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 400))).toBe('passed');
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 1))).toBe('max_position_qty: |position| of A after the order 1,001 > limit 1,000 shares');
    // Short side too, from the projected +1000: a sell of 2001 ends at -1001.
    expect(h.send(T0 + 2 * s, order('A', 'SELL', 2001))).toBe(
      'max_position_qty: |position| of A after the order 1,001 > limit 1,000 shares',
    );
    expect(h.send(T0 + 2 * s, order('A', 'SELL', 2000))).toBe('passed');
  });

  it('a limit does not block an order that moves towards it (a position already above it can shrink)', () => {
    const h = ready({ max_position_qty: 1000 }, [['A', 1500, 100]]);
    expect(h.send(T0 + 2 * s, order('A', 'SELL', 100))).toBe('passed');
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 1))).toMatch(/^max_position_qty: \|position\| of A after the order 1,401 > limit/);
  });

  it('per-name position notional at the last mid; a fill moves the order from pending into the position, without double counting', () => {
    const h = ready({ max_position_notional: 100_000 });
    const first = order('A', 'BUY', 1000, { order_id: 'first' });
    expect(h.send(T0 + 2 * s, first)).toBe('passed');
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 1))).toBe('max_position_notional: |position| of A after the order 100,100 > limit 100,000');
    h.fill(T0 + 3 * s, first);
    h.state(T0 + 3 * s, 1_000_000, [['A', 1000, 100]]);
    expect(h.send(T0 + 4 * s, order('A', 'BUY', 1))).toBe('max_position_notional: |position| of A after the order 100,100 > limit 100,000');
    expect(h.send(T0 + 4 * s, order('A', 'SELL', 1))).toBe('passed');
  });

  it('partial fills reduce the pending quantity by what filled', () => {
    const h = ready({ max_position_qty: 1000 });
    const big = order('A', 'BUY', 1000, { order_id: 'big' });
    expect(h.send(T0 + 2 * s, big)).toBe('passed');
    h.fill(T0 + 3 * s, big, 400);
    h.state(T0 + 3 * s, 1_000_000, [['A', 400, 100]]);
    // 400 held + 600 still pending = 1000.
    expect(h.send(T0 + 4 * s, order('A', 'BUY', 1))).toMatch(/after the order 1,001 > limit 1,000/);
  });

  it('a passed limit order replaces the pending limit order of its symbol (as at the venue); market orders add up', () => {
    const h = ready({ max_position_qty: 1000 });
    const limit = { order_type: 'LIMIT' as const, limit_price: 100 };
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 600, limit))).toBe('passed');
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 600, limit))).toBe('passed');
    expect(h.send(T0 + 2 * s, order('B', 'BUY', 600))).toBe('passed');
    expect(h.send(T0 + 2 * s, order('B', 'BUY', 600))).toMatch(/^max_position_qty: \|position\| of B after the order 1,200/);
  });

  it("with fills alone, an order the broker rejected counts as pending for ever; with the broker's states it stops counting", () => {
    const rejected = order('A', 'BUY', 1000, { order_id: 'rejected' });
    // Fills only: nothing ever says the order is gone, so its 1000 shares still count.
    const fillsOnly = ready({ max_position_qty: 1000 });
    expect(fillsOnly.send(T0 + 2 * s, rejected)).toBe('passed');
    expect(fillsOnly.send(T0 + 60 * s, order('A', 'BUY', 1))).toMatch(/^max_position_qty: .* 1,001 > limit 1,000/);
    // With states: the REJECTED state ends it.
    const h = ready({ max_position_qty: 1000 }, [], { states: true });
    expect(h.send(T0 + 2 * s, rejected)).toBe('passed');
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 1))).toMatch(/^max_position_qty: .* 1,001 > limit 1,000/);
    h.orderState(T0 + 3 * s, rejected, 'REJECTED', 0, 0);
    expect(h.send(T0 + 4 * s, order('A', 'BUY', 1000))).toBe('passed');
  });

  it('with states, a partial fill is counted once (state and fill both arrive), and an expired rest stops counting', () => {
    const h = ready({ max_position_qty: 1000 }, [], { states: true });
    const part = order('A', 'BUY', 1000, { order_id: 'part', order_type: 'LIMIT', limit_price: 100 });
    expect(h.send(T0 + 2 * s, part)).toBe('passed');
    h.orderState(T0 + 3 * s, part, 'PARTIALLY_FILLED', 400, 600);
    h.fill(T0 + 3 * s, part, 400);
    h.state(T0 + 3 * s, 1_000_000, [['A', 400, 100]]);
    // 400 held + 600 still working = 1000: the fill of 400 did not come off a second time.
    expect(h.send(T0 + 4 * s, order('A', 'BUY', 1))).toMatch(/after the order 1,001 > limit 1,000/);
    expect(h.send(T0 + 4 * s, order('A', 'SELL', 1))).toBe('passed');
    h.orderState(T0 + 5 * s, part, 'EXPIRED', 400, 0);
    // The SELL of 1 is still pending: 400 − 1 + 601 = 1000.
    expect(h.send(T0 + 6 * s, order('A', 'BUY', 601))).toBe('passed');
    expect(h.send(T0 + 6 * s, order('A', 'BUY', 1))).toMatch(/after the order 1,001 > limit 1,000/);
  });

  it('without the fills port, pending orders are not tracked: checks see the portfolio state alone', () => {
    const h = ready({ max_position_qty: 1000 }, [], { fills: false });
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 600))).toBe('passed');
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 600))).toBe('passed');
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 1001))).toMatch(/^max_position_qty/);
  });

  it('gross exposure as a multiple of equity', () => {
    const h = ready({ max_gross_exposure: 0.5, max_net_exposure: 0.5 }, [['A', 3000, 100]]);
    expect(h.send(T0 + 2 * s, order('B', 'SELL', 2000))).toBe('passed');
    expect(h.send(T0 + 2 * s, order('B', 'SELL', 1))).toBe(
      'max_gross_exposure: gross exposure after the order 500,100 (0.5001× equity 1,000,000) > limit 0.5× = 500,000',
    );
    // Reducing gross always passes.
    expect(h.send(T0 + 2 * s, order('A', 'SELL', 100))).toBe('passed');
    expect(h.metrics()['rejected_max_gross_exposure']).toBe(1);
  });

  it('net exposure as a multiple of equity; an order that reduces |net| passes', () => {
    const h = ready({ max_gross_exposure: 2, max_net_exposure: 0.3 }, [['A', 3000, 100]]);
    expect(h.send(T0 + 2 * s, order('B', 'BUY', 1))).toBe(
      'max_net_exposure: |net exposure| after the order 300,100 (0.3001× equity 1,000,000) > limit 0.3× = 300,000',
    );
    expect(h.send(T0 + 2 * s, order('B', 'SELL', 1000))).toBe('passed');
    expect(h.send(T0 + 2 * s, order('B', 'BUY', 1000))).toBe('passed');
  });

  it('exposures are valued at the last mid', () => {
    const h = ready({ max_gross_exposure: 0.5, max_net_exposure: 0.5 }, [['A', 3000, 100]]);
    h.quote('A', T0 + 2 * s, 150);
    expect(h.send(T0 + 3 * s, order('B', 'BUY', 500))).toBe('passed');
    expect(h.send(T0 + 3 * s, order('B', 'BUY', 1))).toMatch(/^max_gross_exposure: gross exposure after the order 500,100 /);
  });

  it('order rate over a rolling window of event time; rejected orders do not use the budget', () => {
    const h = ready({ max_orders: 3, rate_window_seconds: 1, halt_on_rate_limit: false });
    const t = T0 + 10 * s;
    for (let i = 0; i < 3; i++) expect(h.send(t, order('A', 'BUY', 1))).toBe('passed');
    expect(h.send(t, order('A', 'BUY', 1))).toBe('rate_limit: 3 orders passed in the last 1 s, limit 3');
    expect(h.send(t + s - 1, order('A', 'BUY', 1))).toBe('rate_limit: 3 orders passed in the last 1 s, limit 3');
    // At t + 1 s the three orders of t leave the window.
    expect(h.send(t + s, order('A', 'BUY', 1))).toBe('passed');
    expect(h.metrics()).toMatchObject({ passed: 4, rejected_rate_limit: 2 });
  });
});

describe('risk.pretrade kill switch', () => {
  const day2 = T0 + DAY;
  const sessions = [
    { open: T0, close: T0 + 390 * MINUTE },
    { open: day2, close: day2 + 390 * MINUTE },
  ];

  it('ACTIVE → REDUCING → HALTED on the session loss; REDUCING passes only reducing orders; HALTED blocks all and reports working orders', () => {
    const h = harness({ daily_loss_reduce: 0.02, daily_loss_halt: 0.03, cancel_at_halt: false }, { sessions });
    h.quote('A', T0 + s, 100);
    h.quote('B', T0 + s, 100);
    h.state(T0 + s, 1_000_000, [['A', 1000, 100]]);
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 10))).toBe('passed');
    // The BUY 10 is still pending (not filled): the projected position is 1,010.
    h.state(T0 + 3 * s, 980_001, [['A', 1000, 100]]);
    expect(h.metrics()['kill_switch_reducing']).toBeUndefined();
    h.state(T0 + 4 * s, 980_000, [['A', 1000, 100]]);
    expect(h.metrics()['kill_switch_reducing']).toBe(1);
    expect(h.logs.at(-1)).toBe(
      '[risk] kill switch ACTIVE → REDUCING at 2024-01-02T14:30:04.000Z: ' +
        'daily loss 2.00% of session start equity 1,000,000 (equity now 980,000) >= reduce limit 2.00%',
    );

    expect(h.send(T0 + 5 * s, order('A', 'BUY', 1))).toMatch(
      /^kill_switch: REDUCING \(daily loss 2\.00% .*\): BUY 1 does not reduce \|position\| 1,010 of A$/,
    );
    expect(h.send(T0 + 5 * s, order('B', 'SELL', 1))).toMatch(/^kill_switch: REDUCING .* does not reduce \|position\| 0 of B$/);
    // Reducing without flipping passes; past zero (a flip) does not.
    expect(h.send(T0 + 5 * s, order('A', 'SELL', 1011))).toMatch(/^kill_switch: REDUCING .*SELL 1,011 does not reduce/);
    expect(h.send(T0 + 5 * s, order('A', 'SELL', 500, { order_id: 'working' }))).toBe('passed');
    expect(h.send(T0 + 5 * s, order('A', 'SELL', 510))).toBe('passed');
    // Pending sells included: the projected position is 0, nothing more reduces it.
    expect(h.send(T0 + 5 * s, order('A', 'SELL', 1))).toMatch(/^kill_switch: REDUCING .* \|position\| 0 of A$/);

    const before = h.deadLetters.length;
    h.state(T0 + 6 * s, 970_000, [['A', 1000, 100]]);
    expect(h.metrics()).toMatchObject({ kill_switch_reducing: 1, kill_switch_halted: 1, working_at_halt: 3 });
    // The three orders passed and never filled are reported as cancels the venue must make, at the halt time.
    const cancels = h.deadLetters.slice(before);
    expect(cancels.map((d) => d.reason.split(':')[0])).toEqual(['kill_switch_cancel', 'kill_switch_cancel', 'kill_switch_cancel']);
    expect(cancels.every((d) => d.ts_known === T0 + 6 * s)).toBe(true);
    expect(cancels[1]!.reason).toBe(
      'kill_switch_cancel: order working (SELL 500 A) still working, 500 unfilled, at HALTED; ' +
        'cancel it at the venue (no cancel path downstream of risk)',
    );
    expect(h.send(T0 + 7 * s, order('A', 'SELL', 1))).toMatch(
      /^kill_switch: HALTED \(daily loss 3\.00% of session start equity 1,000,000 \(equity now 970,000\) >= halt limit 3\.00%\): no order passes$/,
    );
    // Recovery within the session does not release it.
    h.state(T0 + 8 * s, 1_100_000, [['A', 1000, 100]]);
    expect(h.send(T0 + 9 * s, order('A', 'SELL', 1))).toMatch(/^kill_switch: HALTED/);
    expect(h.metrics()['rejected_kill_switch']).toBe(6);
    // A cancel only takes risk away: it passes even HALTED, unchecked (its qty is not looked at).
    expect(h.send(T0 + 10 * s, order('A', 'SELL', 0, { action: 'CANCEL', target_order_id: 'working-1' }))).toBe('passed');
  });

  it('on HALTED sends a CANCEL for each order still working, for what is left of it, at the halt time', () => {
    const h = harness({ daily_loss_reduce: 0.02, daily_loss_halt: 0.03 }, { sessions });
    h.quote('A', T0 + s, 100);
    h.quote('B', T0 + s, 100);
    h.state(T0 + s, 1_000_000, [['A', 1000, 100]]);
    const a = order('A', 'SELL', 500, { order_id: 'a' });
    const b = order('B', 'BUY', 300, { order_id: 'b' });
    const c = order('B', 'SELL', 50, { order_id: 'c' });
    expect([h.send(T0 + 2 * s, a), h.send(T0 + 2 * s, b), h.send(T0 + 2 * s, c)]).toEqual(['passed', 'passed', 'passed']);
    h.fill(T0 + 3 * s, a, 200); // 300 of a left
    h.fill(T0 + 3 * s, c); // c done
    const before = h.passed.length;
    const letters = h.deadLetters.length;
    h.state(T0 + 6 * s, 960_000, [['A', 800, 100]]);
    const cancels = h.passed.slice(before);
    expect(cancels.map((o) => [o.order_id, o.action, o.target_order_id, o.symbol, o.side, o.qty, o.ts_known])).toEqual([
      ['halt-a', 'CANCEL', 'a', 'A', 'SELL', 300, T0 + 6 * s],
      ['halt-b', 'CANCEL', 'b', 'B', 'BUY', 300, T0 + 6 * s],
    ]);
    expect(h.deadLetters.length).toBe(letters);
    expect(h.metrics()).toMatchObject({ kill_switch_halted: 1, working_at_halt: 2, cancelled_at_halt: 2 });
    // Nothing else passes, and the cancelled orders no longer count as pending: a second halt cancels nothing.
    expect(h.send(T0 + 7 * s, order('A', 'SELL', 1))).toMatch(/^kill_switch: HALTED/);
  });
  it('the next session open resets to ACTIVE, with the loss measured from the new starting equity', () => {
    const h = harness({ daily_loss_reduce: 0.02, daily_loss_halt: 0.03 }, { sessions });
    h.quote('A', T0 + s, 100);
    h.state(T0 + s, 1_000_000);
    h.state(T0 + 2 * s, 900_000);
    expect(h.send(T0 + 3 * s, order('A', 'BUY', 1))).toMatch(/^kill_switch: HALTED/);
    expect(h.send(day2 - s, order('A', 'BUY', 1))).toMatch(/^kill_switch: HALTED/);
    h.at(day2);
    expect(h.metrics()['kill_switch_active']).toBe(1);
    expect(h.logs.at(-1)).toBe(
      '[risk] kill switch HALTED → ACTIVE at 2024-01-03T14:30:00.000Z: session start: reset (start equity 900,000)',
    );
    expect(h.send(day2 + s, order('A', 'BUY', 1))).toBe('passed');
    // 1% below the new start (900,000): still ACTIVE; 2% below: REDUCING.
    h.state(day2 + 2 * s, 891_000);
    expect(h.send(day2 + 3 * s, order('A', 'BUY', 1))).toBe('passed');
    h.state(day2 + 4 * s, 882_000);
    expect(h.send(day2 + 5 * s, order('A', 'BUY', 1))).toMatch(
      /^kill_switch: REDUCING \(daily loss 2\.00% of session start equity 900,000/,
    );
  });

  it('an order over the rate limit trips HALTED: the working orders are cancelled after the orders of its batch, nothing passes until the next session', () => {
    const h = harness({ max_orders: 3, rate_window_seconds: 1, limit_replaces: false }, { sessions });
    h.quote('A', T0 + s, 100);
    h.state(T0 + s, 1_000_000);
    const limit = (id: string): Order => order('A', 'BUY', 100, { order_id: id, order_type: 'LIMIT', limit_price: 99 });
    // One batch of five at T0 + 2 s: three fill the window (limit 3), the fourth is over it and halts,
    // the fifth meets the HALTED switch. The halt cancels the three, after them, at the same time.
    const t = T0 + 2 * s;
    const out = h.batch(t, ['a', 'b', 'c', 'd', 'e'].map(limit));
    expect(out.map((o) => [o.order_id, o.action, o.target_order_id, o.qty, o.ts_known])).toEqual([
      ['a', 'NEW', null, 100, t],
      ['b', 'NEW', null, 100, t],
      ['c', 'NEW', null, 100, t],
      ['halt-a', 'CANCEL', 'a', 100, t],
      ['halt-b', 'CANCEL', 'b', 100, t],
      ['halt-c', 'CANCEL', 'c', 100, t],
    ]);
    expect(h.deadLetters.map((d) => d.reason)).toEqual([
      'rate_limit: 3 orders passed in the last 1 s, limit 3',
      'kill_switch: HALTED (rate limit: order d refused (rate_limit: 3 orders passed in the last 1 s, limit 3)): no order passes',
    ]);
    // Two seconds on, the window is empty: what refuses now is the switch, not the rate.
    expect(h.send(t + 2 * s, limit('f'))).toMatch(/^kill_switch: HALTED \(rate limit: /);
    expect(h.metrics()).toMatchObject({
      rejected_rate_limit: 1,
      rejected_kill_switch: 2,
      kill_switch_halted: 1,
      kill_switch_mode: 2,
      cancelled_at_halt: 3,
    });
    // The next session open releases it.
    h.at(day2);
    expect(h.send(day2 + s, limit('g'))).toBe('passed');
  });

  it('halt_on_rate_limit: false refuses the order over the rate and nothing more', () => {
    const h = ready({ max_orders: 1, rate_window_seconds: 1, halt_on_rate_limit: false });
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 1))).toBe('passed');
    expect(h.send(T0 + 2 * s, order('A', 'BUY', 1))).toMatch(/^rate_limit: /);
    expect(h.send(T0 + 3 * s, order('A', 'BUY', 1))).toBe('passed');
    expect(h.metrics()['kill_switch_halted']).toBeUndefined();
  });

  it('start_halted is a manual halt: nothing passes, and no session open releases it', () => {
    const h = harness({ start_halted: true }, { sessions });
    h.quote('A', T0 + s, 100);
    h.state(T0 + s, 1_000_000, [['A', 100, 100]]);
    expect(h.send(T0 + 2 * s, order('A', 'SELL', 1))).toBe('kill_switch: HALTED (manual halt: start_halted param): no order passes');
    h.at(day2 + s);
    expect(h.send(day2 + s, order('A', 'SELL', 1))).toMatch(/^kill_switch: HALTED \(manual halt/);
    expect(h.metrics()).toMatchObject({ kill_switch_halted: 1, rejected_kill_switch: 2 });
    expect(h.metrics()['kill_switch_active']).toBeUndefined();
    expect(h.logs).toEqual(['[risk] kill switch starts HALTED: manual halt: start_halted param']);
  });
});

describe('risk.pretrade when a live run stops', () => {
  const limit = (id: string, qty: number, extra: Partial<Order> = {}): Order =>
    order('A', 'BUY', qty, { order_id: id, order_type: 'LIMIT', limit_price: 99, ...extra });

  it('cancels every working DAY limit for what is left of it, at the stop, and passes no new order after it', () => {
    const h = ready({ limit_replaces: false });
    for (const o of [
      limit('day', 100),
      limit('part', 100),
      limit('ioc', 100, { time_in_force: 'IOC' }),
      order('A', 'BUY', 10, { order_id: 'mkt' }),
      limit('done', 20),
    ])
      expect(h.send(T0 + 2 * s, o)).toBe('passed');
    h.fill(T0 + 3 * s, limit('part', 100), 40);
    h.fill(T0 + 3 * s, limit('done', 20));
    const before = h.passed.length;
    h.command(T0 + 5 * s, 'stop', 'the stop signal');
    // A market or IOC order never rests at a venue; 'done' filled; 'part' has 60 left.
    expect(h.passed.slice(before).map((o) => [o.order_id, o.action, o.target_order_id, o.qty, o.ts_known])).toEqual([
      ['stop-day', 'CANCEL', 'day', 100, T0 + 5 * s],
      ['stop-part', 'CANCEL', 'part', 60, T0 + 5 * s],
    ]);
    expect(h.send(T0 + 6 * s, limit('late', 1))).toBe('stopping: the live run is stopping (cancel_at_stop); order late not sent');
    // A cancel still passes.
    expect(h.send(T0 + 6 * s, limit('c', 1, { action: 'CANCEL', target_order_id: 'ioc' }))).toBe('passed');
    expect(h.metrics()).toMatchObject({ cancelled_at_stop: 2, rejected_stopping: 1 });
  });

  it('after a halt cancelled everything, the stop has nothing left to cancel', () => {
    const h = ready();
    expect(h.send(T0 + 2 * s, limit('a', 100))).toBe('passed');
    h.command(T0 + 3 * s, 'halt', 'desk');
    const before = h.passed.length;
    h.command(T0 + 4 * s, 'stop', 'the end time');
    expect(h.passed.length).toBe(before);
    expect(h.metrics()).toMatchObject({ cancelled_at_halt: 1 });
    expect(h.metrics()['cancelled_at_stop']).toBeUndefined();
  });

  it('cancel_at_stop: false leaves the working orders and keeps passing', () => {
    const h = ready({ cancel_at_stop: false });
    expect(h.send(T0 + 2 * s, limit('a', 100))).toBe('passed');
    const before = h.passed.length;
    h.command(T0 + 3 * s, 'stop', 'the stop signal');
    expect(h.passed.length).toBe(before);
    expect(h.send(T0 + 4 * s, limit('b', 1))).toBe('passed');
  });
});

describe('risk.pretrade params', () => {
  const node = (params: string): string =>
    [
      'nodes:',
      '  - { name: quotes, type: source.replay }',
      '  - name: risk',
      '    type: risk.pretrade',
      '    inputs: { orders: orders, quotes: quotes, portfolio: accounting }',
      `    params: ${params}`,
      '  - { name: orders, type: execution.orders, inputs: { targets: sizing, quotes: quotes, portfolio: accounting } }',
      '  - { name: sizing, type: portfolio.proportional, inputs: { signals: alpha } }',
      '  - { name: alpha, type: signal.cross-sectional, inputs: model }',
      '  - { name: model, type: model.ridge, inputs: snap }',
      '  - { name: bars, type: feature.bars, inputs: { quotes: quotes } }',
      '  - { name: ret, type: feature.lagged-returns, inputs: bars }',
      '  - { name: snap, type: feature.cross-section, inputs: { features: [ret], bars: bars } }',
      '  - { name: broker, type: execution.sim-broker, inputs: { orders: risk, quotes: quotes } }',
      '  - { name: accounting, type: portfolio.accounting, inputs: { fills: broker, quotes: quotes } }',
      '',
    ].join('\n');

  it('has described params with defaults, in an object schema', () => {
    expect(pretrade.params instanceof z.ZodObject).toBe(true);
    expect(pretrade.params.parse({})).toEqual({
      max_order_qty: 250_000,
      max_order_notional: 1_000_000,
      collar_bps: 500,
      max_position_qty: 1_000_000,
      max_position_notional: 2_000_000,
      max_gross_exposure: 2,
      max_net_exposure: 1,
      max_orders: 100,
      rate_window_seconds: 1,
      restricted_symbols: [],
      daily_loss_reduce: 0.02,
      daily_loss_halt: 0.03,
      start_halted: false,
      limit_replaces: true,
      cancel_at_halt: true,
      halt_on_rate_limit: true,
      cancel_at_stop: true,
    });
  });

  it('validates between orders and the broker, with the default limits', () => {
    const { topology, problems } = validate(node('{}'));
    expect(problems).toEqual([]);
    const order = topology!.nodes.map((n) => n.name);
    expect(order.indexOf('orders')).toBeLessThan(order.indexOf('risk'));
    expect(order.indexOf('risk')).toBeLessThan(order.indexOf('broker'));
  });

  it.each([
    ['{ max_order_qty: -1 }', 'param "max_order_qty" is -1'],
    ['{ max_order_notional: 0 }', 'param "max_order_notional" is 0'],
    ['{ collar_bps: 0 }', 'param "collar_bps" is 0'],
    ['{ collar_bps: -5 }', 'param "collar_bps" is -5'],
    ['{ max_position_qty: -100 }', 'param "max_position_qty" is -100'],
    ['{ max_gross_exposure: 0 }', 'param "max_gross_exposure" is 0'],
    ['{ max_net_exposure: -0.1 }', 'param "max_net_exposure" is -0.1'],
    ['{ max_orders: 0 }', 'param "max_orders" is 0'],
    ['{ max_orders: 2.5 }', 'param "max_orders" is 2.5'],
    ['{ rate_window_seconds: 0 }', 'param "rate_window_seconds" is 0'],
    ['{ daily_loss_halt: 1.5 }', 'param "daily_loss_halt" is 1.5'],
    ['{ daily_loss_reduce: -0.01 }', 'param "daily_loss_reduce" is -0.01'],
    ['{ restricted_symbols: [""] }', 'param "restricted_symbols[0]" is ""'],
    ['{ max_qty: 5 }', 'unknown param "max_qty"'],
  ])('refuses %s', (params, message) => {
    const { topology, problems } = validate(node(params));
    expect(topology).toBeUndefined();
    expect(problems.map((p) => p.message)).toEqual([message]);
    expect(problems[0]).toMatchObject({ file: 'bad.yaml', line: 6, node: 'risk' });
  });

  it('refuses a reduce threshold beyond the halt threshold, and a net limit above the gross limit', () => {
    const reduce = validate(node('{ daily_loss_reduce: 0.05, daily_loss_halt: 0.03 }')).problems;
    expect(reduce.map((p) => [p.message, p.hint])).toEqual([
      ['param "daily_loss_reduce" is 0.05', expect.stringMatching(/^must be at most daily_loss_halt \(REDUCING comes before HALTED\)/)],
    ]);
    const net = validate(node('{ max_gross_exposure: 1, max_net_exposure: 1.5 }')).problems;
    expect(net.map((p) => p.message)).toEqual(['param "max_net_exposure" is 1.5']);
    // Equal thresholds are allowed: a loss at the limit goes straight to HALTED.
    expect(validate(node('{ daily_loss_reduce: 0.03, daily_loss_halt: 0.03 }')).problems).toEqual([]);
  });
});

describe('risk.pretrade in a graph: orders → risk → sim-broker → accounting, fed back', () => {
  /** A test source replaying records held in memory (orders carry the seq the merge needs). */
  const memory = <TName extends 'Quote' | 'Order'>(
    type: string,
    output: TName,
    rows: readonly { ts_known: number; seq: number }[],
  ): AnySpec =>
    defineSource({
      type,
      summary: 'Test source replaying records held in memory.',
      output,
      params: z.strictObject({}),
      open: () => {
        let done = false;
        return {
          next: async () => {
            if (done) return null;
            done = true;
            return rows as never;
          },
          close: async () => {},
        };
      },
    });

  async function run(yaml: string, quotes: Quote[], orders: (Order & { seq: number })[], sessions: Session[]) {
    const seen = new Map<string, Probe>();
    const specs = new Map<string, AnySpec>([
      ...registry,
      ['test.quotes', memory('test.quotes', 'Quote', quotes)],
      ['test.orders', memory('test.orders', 'Order', orders)],
      ['test.probe', probeSpec(seen)],
    ]);
    const { topology, problems } = validateTopology(loadTopology('test.yaml', [], yaml), specs);
    if (!topology) throw new TopologyError(problems);
    const logs: string[] = [];
    const run = await runGraph(topology, {
      sessions,
      universe: [{ symbol: 'A', sector: 'X' }],
      observe: [],
      log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
    });
    const probes = new Map<string, unknown[]>([...seen].map(([node, p]) => [node, p.records]));
    return { probes, deadLetters: run.deadLetters, logs, metrics: run.metrics.get('risk')! };
  }

  it('passes, fills, trips REDUCING then HALTED on marked-to-market losses, reports the working order, resets next session', async () => {
    const day2 = T0 + DAY;
    const sessions = [
      { open: T0, close: T0 + 10 * MINUTE },
      { open: day2, close: day2 + 2 * MINUTE },
    ];
    let seq = 0;
    const q = (t: number, mid: number): Quote => quote('A', t, mid - 0.5, mid + 0.5, ++seq);
    const o = (
      t: number,
      id: string,
      side: Order['side'],
      qty: number,
      ref: number,
      extra: Partial<Order> = {},
    ): Order & { seq: number } => ({
      ...order('A', side, qty, { ref_price: ref, ...extra }),
      ts_event: t,
      ts_known: t,
      order_id: id,
      seq: ++seq,
    });
    const yaml = `
nodes:
  - { name: quotes, type: test.quotes }
  - { name: orders, type: test.orders }
  - name: risk
    type: risk.pretrade
    inputs: { orders: orders, quotes: quotes, portfolio: accounting, fills: broker }
    params: { restricted_symbols: [X], daily_loss_reduce: 0.02, daily_loss_halt: 0.03 }
  - { name: broker, type: execution.sim-broker, inputs: { orders: risk, quotes: quotes }, params: { latency_us: 0, fee_bps: 0 } }
  - { name: accounting, type: portfolio.accounting, inputs: { fills: broker, quotes: quotes }, params: { initial_cash: 1000000, mark_every_minutes: 1 } }
  - { name: passed, type: test.probe, inputs: risk }
  - { name: fills, type: test.probe, inputs: broker }
`;
    const { probes, deadLetters, logs, metrics } = await run(
      yaml,
      [
        q(T0 + s, 100),
        q(T0 + 11 * s, 100),
        q(T0 + 90 * s, 80), // marked at 2:00: equity 979,500, a 2.05% loss → REDUCING
        q(T0 + 141 * s, 80),
        q(T0 + 200 * s, 60), // marked at 4:00: equity 969,250, a 3.08% loss → HALTED
      ],
      [
        o(T0 + 10 * s, 'buy', 'BUY', 1000, 100), // fills at 100.5 on the quote of 0:11
        { ...o(T0 + 20 * s, 'restricted', 'BUY', 10, 100), symbol: 'X' },
        o(T0 + 130 * s, 'add', 'BUY', 10, 80), // REDUCING: rejected
        o(T0 + 140 * s, 'cut', 'SELL', 500, 80), // REDUCING: reduces, passes, fills at 79.5
        o(T0 + 150 * s, 'rest', 'SELL', 100, 80, { order_type: 'LIMIT', limit_price: 80.5 }), // passes, never fills (no trades)
        o(T0 + 250 * s, 'late', 'SELL', 100, 60), // HALTED: rejected
        o(day2 + 10 * s, 'next', 'BUY', 10, 60), // next session: ACTIVE again
      ],
      sessions,
    );

    // At HALTED the resting limit is cancelled at the broker (cancel_at_halt, the default).
    expect((probes.get('passed') as Order[]).map((x) => x.order_id)).toEqual(['buy', 'cut', 'rest', 'halt-rest', 'next']);
    expect((probes.get('fills') as Fill[]).map((f) => [f.order_id, f.price])).toEqual([
      ['buy', 100.5],
      ['cut', 79.5],
    ]);
    const risk = deadLetters.filter((d) => d.node === 'risk');
    expect(risk.map((d) => [JSON.parse(d.payload).order_id, d.reason.split(':')[0], d.ts_known - T0])).toEqual([
      ['restricted', 'restricted', 20 * s],
      ['add', 'kill_switch', 130 * s],
      ['late', 'kill_switch', 250 * s],
    ]);
    expect(risk[1]!.reason).toMatch(
      /^kill_switch: REDUCING \(daily loss 2\.05% of session start equity 1,000,000 \(equity now 979,500\) >= reduce limit 2\.00%\)/,
    );
    expect(risk[2]!.reason).toMatch(
      /^kill_switch: HALTED \(daily loss 3\.08% of session start equity 1,000,000 \(equity now 969,250\) >= halt limit 3\.00%\)/,
    );
    expect(metrics).toMatchObject({
      passed: 5,
      rejected_restricted: 1,
      rejected_kill_switch: 2,
      kill_switch_reducing: 1,
      kill_switch_halted: 1,
      kill_switch_active: 1,
      working_at_halt: 1,
      cancelled_at_halt: 1,
      dead_letters: 3,
    });
    expect(logs.filter((l) => l.startsWith('[risk]')).map((l) => l.replace(/ at \S+: .*/, ''))).toEqual([
      '[risk] kill switch ACTIVE → REDUCING',
      '[risk] kill switch REDUCING → HALTED',
      '[risk] kill switch HALTED → ACTIVE',
    ]);
  });

  it('a burst over the rate limit halts the backtest the same way every run: the resting limit is cancelled, the rest refused until the next session', async () => {
    const day2 = T0 + DAY;
    const sessions = [
      { open: T0, close: T0 + 10 * MINUTE },
      { open: day2, close: day2 + 2 * MINUTE },
    ];
    let seq = 0;
    const ms = 1000;
    const burst = (i: number): Order & { seq: number } => ({
      ...order('A', 'BUY', 10, { order_type: 'LIMIT', limit_price: 99 }),
      ts_event: T0 + 10 * s + i * 100 * ms,
      ts_known: T0 + 10 * s + i * 100 * ms,
      order_id: `b${i}`,
      seq: ++seq,
    });
    const next = (): Order & { seq: number } => ({
      ...order('A', 'BUY', 10),
      ts_event: day2 + s,
      ts_known: day2 + s,
      order_id: 'next',
      seq: ++seq,
    });
    const yaml = `
nodes:
  - { name: quotes, type: test.quotes }
  - { name: orders, type: test.orders }
  - name: risk
    type: risk.pretrade
    inputs: { orders: orders, quotes: quotes, portfolio: accounting, fills: broker }
    params: { max_orders: 5, rate_window_seconds: 1 }
  - { name: broker, type: execution.sim-broker, inputs: { orders: risk, quotes: quotes }, params: { latency_us: 0, fee_bps: 0 } }
  - { name: accounting, type: portfolio.accounting, inputs: { fills: broker, quotes: quotes }, params: { initial_cash: 1000000 } }
  - { name: passed, type: test.probe, inputs: risk }
`;
    const once = () => {
      seq = 0;
      return run(yaml, [quote('A', T0 + s, 99.5, 100.5, 0)], [...Array.from({ length: 10 }, (_, i) => burst(i)), next()], sessions);
    };
    const { probes, deadLetters, metrics } = await once();
    // Ten orders 100 ms apart, at most 5 per 1 s. No timer falls between them, so the backtest delivers
    // them as one step at the first one's time, 10.0 s, and judges all ten then: b0..b4 pass, b5 sees
    // those five in its window, is refused and halts. Each limit replaced the one before at the
    // simulated broker, so only b4 is working: it is cancelled at the step's time, 10.0 s. b6..b9 meet
    // the HALTED switch; the next session's order passes.
    const passed = probes.get('passed') as Order[];
    expect(passed.map((o) => [o.order_id, o.action, (o.ts_known - T0) / ms])).toEqual([
      ['b0', 'NEW', 10_000],
      ['b1', 'NEW', 10_100],
      ['b2', 'NEW', 10_200],
      ['b3', 'NEW', 10_300],
      ['b4', 'NEW', 10_400],
      ['halt-b4', 'CANCEL', 10_000],
      ['next', 'NEW', DAY / ms + 1000],
    ]);
    const risk = deadLetters.filter((d) => d.node === 'risk');
    expect(risk.map((d) => [JSON.parse(d.payload).order_id, d.reason.split(':')[0]])).toEqual([
      ['b5', 'rate_limit'],
      ['b6', 'kill_switch'],
      ['b7', 'kill_switch'],
      ['b8', 'kill_switch'],
      ['b9', 'kill_switch'],
    ]);
    expect(metrics).toMatchObject({
      rejected_rate_limit: 1,
      rejected_kill_switch: 4,
      kill_switch_halted: 1,
      kill_switch_active: 1,
      cancelled_at_halt: 1,
    });
    // Event time only: a second run decides the same.
    const again = await once();
    expect(again.probes.get('passed')).toEqual(passed);
    expect(again.deadLetters.map((d) => d.reason)).toEqual(deadLetters.map((d) => d.reason));
  });
});
