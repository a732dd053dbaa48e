/**
 * Each pre-trade rule alone, on a view written out in the test: just inside its limit it passes
 * (null), just outside it names the rule, the value and the limit. Limits are the operator's defaults
 * unless a test says otherwise.
 */
import { describe, expect, it } from 'vitest';
import type { OrderView } from '../../../../lib/portfolio/pretrade/book.ts';
import {
  checkOrder,
  collar,
  invalidOrder,
  killSwitch,
  maxGrossExposure,
  maxNetExposure,
  maxNotional,
  maxPositionNotional,
  maxPositionQty,
  maxQty,
  noPortfolio,
  PRETRADE_RULES,
  rateLimit,
  restricted,
  workingAtHaltReason,
  type PretradeLimits,
} from '../../../../lib/portfolio/pretrade/rules.ts';
import type { Order } from '../../../../schemas/types.generated.ts';
import * as records from '../../../helpers/records.ts';

const LIMITS: PretradeLimits = {
  restricted: new Set(['X']),
  maxOrderQty: 250_000,
  maxOrderNotional: 1_000_000,
  collarBps: 500,
  maxPositionQty: 1_000_000,
  maxPositionNotional: 2_000_000,
  maxGrossExposure: 2,
  maxNetExposure: 1,
  maxOrders: 100,
  rateWindowSeconds: 1,
};

/** An order o1 in A. */
const order = (side: Order['side'], qty: number, extra: Partial<Order> = {}): Order =>
  records.order('A', side, qty, { order_id: 'o1', ...extra });

/** A flat book: ACTIVE, mid 100, equity 1,000,000, no position, no exposure, no recent orders. */
function view(v: Partial<OrderView> = {}): OrderView {
  const zero = { gross: 0, net: 0 };
  return {
    kill: { mode: 'ACTIVE', reason: 'initial' },
    mid: 100,
    equity: 1_000_000,
    position: 0,
    exposure: { before: zero, after: zero },
    passedInWindow: 0,
    ...v,
  };
}

const limits = (l: Partial<PretradeLimits>): PretradeLimits => ({ ...LIMITS, ...l });
const reason = (r: { reason: string } | null): string | null => r?.reason ?? null;

describe('pre-trade rules, each alone', () => {
  it('restricted: a symbol on the list', () => {
    expect(restricted(order('BUY', 1), view(), LIMITS)).toBeNull();
    expect(restricted(order('BUY', 1, { symbol: 'X' }), view(), LIMITS)).toEqual({
      rule: 'restricted',
      reason: 'restricted: X is on the restricted list',
    });
  });

  it('invalid_order: the quantity, then the price the order is judged at (limit price of a LIMIT, else ref price)', () => {
    expect(invalidOrder(order('BUY', 1), view(), LIMITS)).toBeNull();
    expect(reason(invalidOrder(order('BUY', -3), view(), LIMITS))).toBe('invalid_order: quantity -3 is not a positive number');
    expect(reason(invalidOrder(order('BUY', Infinity), view(), LIMITS))).toBe('invalid_order: quantity Infinity is not a positive number');
    // A LIMIT order is judged at its limit price, whatever its ref price.
    expect(reason(invalidOrder(order('SELL', 1, { order_type: 'LIMIT' }), view(), LIMITS))).toBe(
      'invalid_order: limit price null is not a positive number',
    );
    expect(invalidOrder(order('SELL', 1, { order_type: 'LIMIT', limit_price: 99, ref_price: -1 }), view(), LIMITS)).toBeNull();
    expect(reason(invalidOrder(order('SELL', 1, { ref_price: 0 }), view(), LIMITS))).toBe(
      'invalid_order: ref price 0 is not a positive number',
    );
  });

  describe('kill_switch', () => {
    const reducing = { mode: 'REDUCING', reason: 'loss' } as const;

    it('ACTIVE passes anything; HALTED nothing', () => {
      expect(killSwitch(order('BUY', 1e6), view(), LIMITS)).toBeNull();
      expect(reason(killSwitch(order('SELL', 1), view({ kill: { mode: 'HALTED', reason: 'manual halt: x' }, position: 10 }), LIMITS))).toBe(
        'kill_switch: HALTED (manual halt: x): no order passes',
      );
    });

    it('REDUCING passes an order that shrinks |position| down to zero, not one that grows it or flips it', () => {
      // Long 100: selling 1..100 ends between 99 and 0; selling 101 ends at -1 (a flip); buying grows it.
      expect(killSwitch(order('SELL', 100), view({ kill: reducing, position: 100 }), LIMITS)).toBeNull();
      expect(reason(killSwitch(order('SELL', 101), view({ kill: reducing, position: 100 }), LIMITS))).toBe(
        'kill_switch: REDUCING (loss): SELL 101 does not reduce |position| 100 of A',
      );
      expect(reason(killSwitch(order('BUY', 1), view({ kill: reducing, position: 100 }), LIMITS))).toBe(
        'kill_switch: REDUCING (loss): BUY 1 does not reduce |position| 100 of A',
      );
      // Short 2,500: buying 2,500 closes it.
      expect(killSwitch(order('BUY', 2500), view({ kill: reducing, position: -2500 }), LIMITS)).toBeNull();
      expect(reason(killSwitch(order('SELL', 1), view({ kill: reducing, position: 0 }), LIMITS))).toBe(
        'kill_switch: REDUCING (loss): SELL 1 does not reduce |position| 0 of A',
      );
    });
  });

  it('max_qty', () => {
    expect(maxQty(order('BUY', 1000), view(), limits({ maxOrderQty: 1000 }))).toBeNull();
    expect(reason(maxQty(order('SELL', 1000.5), view(), limits({ maxOrderQty: 1000 })))).toBe(
      'max_qty: order quantity 1,000.5 > limit 1,000',
    );
  });

  describe('collar', () => {
    // 100 bps of mid 100 is 1: prices in [99, 101] pass.
    const l = limits({ collarBps: 100 });

    it('the limit price of a LIMIT order, in bps of the last mid', () => {
      expect(collar(order('BUY', 1, { order_type: 'LIMIT', limit_price: 101 }), view(), l)).toBeNull();
      // |98.9 − 100| / 100 = 110 bps.
      expect(reason(collar(order('BUY', 1, { order_type: 'LIMIT', limit_price: 98.9 }), view(), l))).toBe(
        'collar: limit price 98.9 is 110.0 bps from the last mid 100 > limit 100 bps',
      );
    });

    it('the ref price of a MARKET order; no quote yet rejects', () => {
      expect(collar(order('SELL', 1, { ref_price: 99 }), view(), l)).toBeNull();
      // |110 − 125| / 125 = 1,200 bps.
      expect(reason(collar(order('SELL', 1, { ref_price: 110 }), view({ mid: 125 }), l))).toBe(
        'collar: ref price 110 is 1200.0 bps from the last mid 125 > limit 100 bps',
      );
      expect(reason(collar(order('SELL', 1), view({ mid: undefined }), l))).toBe(
        'collar: no quote for A yet: cannot check the ref price 100',
      );
    });
  });

  it('max_notional: quantity × the price the order is judged at', () => {
    const l = limits({ maxOrderNotional: 100_000 });
    // 1,000 × 100 = 100,000 (at the limit); 400 × 250.5 = 100,200.
    expect(maxNotional(order('BUY', 1000), view(), l)).toBeNull();
    expect(reason(maxNotional(order('BUY', 400, { order_type: 'LIMIT', limit_price: 250.5 }), view(), l))).toBe(
      'max_notional: order notional 100,200 > limit 100,000',
    );
  });

  it('no_portfolio: no equity known yet', () => {
    expect(noPortfolio(order('BUY', 1), view({ equity: 0 }), LIMITS)).toBeNull();
    expect(reason(noPortfolio(order('BUY', 1), view({ equity: undefined }), LIMITS))).toBe(
      'no_portfolio: no portfolio state yet: positions and exposure unknown',
    );
  });

  it('max_position_qty: |position| after the order, only when the order grows it', () => {
    const l = limits({ maxPositionQty: 1000 });
    // Long 600: +400 ends at 1,000 (the limit), +401 at 1,001.
    expect(maxPositionQty(order('BUY', 400), view({ position: 600 }), l)).toBeNull();
    expect(reason(maxPositionQty(order('BUY', 401), view({ position: 600 }), l))).toBe(
      'max_position_qty: |position| of A after the order 1,001 > limit 1,000 shares',
    );
    // Long 600: −1,601 ends at −1,001 (a flip that grows |position|).
    expect(reason(maxPositionQty(order('SELL', 1601), view({ position: 600 }), l))).toMatch(/after the order 1,001 > limit 1,000 shares$/);
    // Long 1,500 (above the limit): selling 100 moves towards it and passes.
    expect(maxPositionQty(order('SELL', 100), view({ position: 1500 }), l)).toBeNull();
  });

  it('max_position_notional: |position| after the order × the last mid, only when the order grows it', () => {
    const l = limits({ maxPositionNotional: 100_000 });
    // Short 500 at mid 200 is 100,000: selling 1 more is 501 × 200 = 100,200; buying 1 shrinks it.
    expect(reason(maxPositionNotional(order('SELL', 1), view({ position: -500, mid: 200 }), l))).toBe(
      'max_position_notional: |position| of A after the order 100,200 > limit 100,000',
    );
    expect(maxPositionNotional(order('BUY', 1), view({ position: -501, mid: 200 }), l)).toBeNull();
    expect(maxPositionNotional(order('SELL', 1), view({ position: -499, mid: 200 }), l)).toBeNull();
  });

  it('max_gross_exposure: Σ|value| after the order, as a multiple of equity, only when it grows', () => {
    const l = limits({ maxGrossExposure: 0.5 });
    const grows = (gross: number): Partial<OrderView> => ({ exposure: { before: { gross: 0, net: 0 }, after: { gross, net: 0 } } });
    // 0.5 × 1,000,000 = 500,000 is the limit; 500,100 / 1,000,000 = 0.5001×.
    expect(maxGrossExposure(order('BUY', 1), view(grows(500_000)), l)).toBeNull();
    expect(reason(maxGrossExposure(order('BUY', 1), view(grows(500_100)), l))).toBe(
      'max_gross_exposure: gross exposure after the order 500,100 (0.5001× equity 1,000,000) > limit 0.5× = 500,000',
    );
    // Above the limit but shrinking: passes.
    const shrinks = { exposure: { before: { gross: 900_000, net: 0 }, after: { gross: 800_000, net: 0 } } };
    expect(maxGrossExposure(order('SELL', 1), view(shrinks), l)).toBeNull();
    // Equity not positive: no multiple to show; any growth is past 0.5 × 0.
    expect(reason(maxGrossExposure(order('BUY', 1), view({ ...grows(100), equity: -10 }), l))).toBe(
      'max_gross_exposure: gross exposure after the order 100 (equity -10) > limit 0.5× = -5',
    );
  });

  it('max_net_exposure: |Σ value| after the order, as a multiple of equity, only when it grows', () => {
    const l = limits({ maxNetExposure: 0.3 });
    const net = (before: number, after: number): Partial<OrderView> => ({
      exposure: { before: { gross: Math.abs(before), net: before }, after: { gross: Math.abs(after), net: after } },
    });
    // 0.3 × 1,000,000 = 300,000; short side counts by its absolute value: |−300,100| / 1,000,000 = 0.3001×.
    expect(maxNetExposure(order('SELL', 1), view(net(-299_900, -300_000)), l)).toBeNull();
    expect(reason(maxNetExposure(order('SELL', 1), view(net(-300_000, -300_100)), l))).toBe(
      'max_net_exposure: |net exposure| after the order 300,100 (0.3001× equity 1,000,000) > limit 0.3× = 300,000',
    );
    expect(maxNetExposure(order('BUY', 1), view(net(-400_000, -399_900)), l)).toBeNull();
  });

  it('rate_limit: orders already passed in the window', () => {
    const l = limits({ maxOrders: 3, rateWindowSeconds: 2 });
    expect(rateLimit(order('BUY', 1), view({ passedInWindow: 2 }), l)).toBeNull();
    expect(reason(rateLimit(order('BUY', 1), view({ passedInWindow: 3 }), l))).toBe('rate_limit: 3 orders passed in the last 2 s, limit 3');
  });
});

describe('checkOrder', () => {
  it('checks the rules in the documented order', () => {
    expect(PRETRADE_RULES.map((r) => r.name)).toEqual([
      'restricted',
      'invalidOrder',
      'killSwitch',
      'maxQty',
      'collar',
      'maxNotional',
      'noPortfolio',
      'maxPositionQty',
      'maxPositionNotional',
      'maxGrossExposure',
      'maxNetExposure',
      'rateLimit',
    ]);
  });

  it('returns the first rule broken, or null', () => {
    expect(checkOrder(order('BUY', 1), view(), LIMITS)).toBeNull();
    // Restricted and too large: restricted comes first.
    expect(checkOrder(order('BUY', 1e9, { symbol: 'X' }), view(), LIMITS)?.rule).toBe('restricted');
    // HALTED and too large: the kill switch comes before max_qty.
    expect(checkOrder(order('BUY', 1e9), view({ kill: { mode: 'HALTED', reason: 'r' } }), LIMITS)?.rule).toBe('kill_switch');
    // No quote and no portfolio: the collar comes first.
    expect(checkOrder(order('BUY', 1), view({ mid: undefined, equity: undefined }), LIMITS)?.rule).toBe('collar');
  });

  it('reads the exposure and the rate count only when the rules before them passed', () => {
    let reads = 0;
    const lazy = view();
    const flat = { before: { gross: 0, net: 0 }, after: { gross: 0, net: 0 } };
    Object.defineProperty(lazy, 'exposure', {
      get: () => {
        reads++;
        return flat;
      },
    });
    Object.defineProperty(lazy, 'passedInWindow', {
      get: () => {
        reads++;
        return 0;
      },
    });
    expect(checkOrder(order('BUY', 1e9), lazy, LIMITS)?.rule).toBe('max_qty');
    expect(reads).toBe(0);
    expect(checkOrder(order('BUY', 1), lazy, LIMITS)).toBeNull();
    // Gross, net, rate.
    expect(reads).toBe(3);
  });
});

it('workingAtHaltReason names the order, what is left of it and the node', () => {
  expect(workingAtHaltReason({ order: order('SELL', 1500, { order_id: 'w' }), remaining: 1250.5 }, 'risk')).toBe(
    'kill_switch_cancel: order w (SELL 1,500 A) still working, 1,250.5 unfilled, at HALTED; ' +
      'cancel it at the venue (no cancel path downstream of risk)',
  );
});
