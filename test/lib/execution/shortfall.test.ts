/** Implementation shortfall against the arrival mid, every figure worked out in the test. */
import { describe, expect, it } from 'vitest';
import { implementationShortfall } from '../../../lib/execution/shortfall.ts';

describe('implementationShortfall', () => {
  it('a buy partly filled: trading cost, opportunity cost of the rest, fees, delay beside', () => {
    const r = implementationShortfall({
      side: 'BUY',
      qty: 1000,
      decision: 50,
      arrival: 50.02,
      endMid: 50.1,
      fills: [
        { qty: 300, price: 50.03, fee: 1 },
        { qty: 300, price: 50.06, fee: 1.5 },
      ],
    });
    // avg (300·50.03 + 300·50.06)/600 = 50.045; trading (50.045 − 50.02)·600 = 15;
    // opportunity (50.10 − 50.02)·400 = 32; fees 2.5; shortfall 49.5 over 1000·50.02 = 50,020 → 9.896 bps.
    expect(r.filled).toBe(600);
    expect(r.avgPrice).toBeCloseTo(50.045, 10);
    expect(r.trading).toBeCloseTo(15, 9);
    expect(r.opportunity).toBeCloseTo(32, 9);
    expect(r.fees).toBe(2.5);
    expect(r.shortfall).toBeCloseTo(49.5, 9);
    expect(r.bps).toBeCloseTo((49.5 / 50_020) * 1e4, 9);
    // delay (50.02 − 50)·600 = 12.
    expect(r.delay).toBeCloseTo(12, 9);
  });

  it('a sell filled below arrival costs; a price that rose while unfilled is a gain for a seller', () => {
    const r = implementationShortfall({
      side: 'SELL',
      qty: 200,
      decision: 20,
      arrival: 20,
      endMid: 20.5,
      fills: [{ qty: 100, price: 19.9, fee: 0 }],
    });
    // trading −(19.9 − 20)·100 = 10; opportunity −(20.5 − 20)·100 = −50; shortfall −40 over 4000 → −100 bps.
    expect(r.trading).toBeCloseTo(10, 9);
    expect(r.opportunity).toBeCloseTo(-50, 9);
    expect(r.shortfall).toBeCloseTo(-40, 9);
    expect(r.bps).toBeCloseTo(-100, 9);
  });

  it('nothing filled: no average price, the whole parent is opportunity', () => {
    const r = implementationShortfall({ side: 'BUY', qty: 10, decision: 5, arrival: 5, endMid: 4.9, fills: [] });
    expect(r.avgPrice).toBeNull();
    expect(r.trading).toBe(0);
    expect(r.opportunity).toBeCloseTo(-1, 9); // (4.9 − 5)·10
  });
});
