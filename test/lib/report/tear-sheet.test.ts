/**
 * The tear sheet's figures on a two-day run written by hand, each expected value worked out in the
 * comments: 1,000 of cash; day 1 buys 10 A at 10.10 against an arrival mid of 10.00 (fee 0.50); day 2
 * sells 5 A at 10.90 against 11.00 (a limit order for 8, maker, fee 0.25) and buys 2 B at 50.00 against
 * 50.00; at the end A is marked at 11 and B at 49.
 */
import { describe, expect, it } from 'vitest';
import { sharpeRatio } from '../../../lib/report/metrics.ts';
import type { RunData } from '../../../lib/report/run-data.ts';
import { histogram, tearSheet } from '../../../lib/report/tear-sheet.ts';

const us = (iso: string): number => Date.parse(iso) * 1000;
const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);

function run(extra: Partial<Pick<RunData['fills'], 'costs'>> = {}): RunData {
  return {
    summary: { topology: 't' },
    equity: {
      ts: f64([us('2024-01-02T14:30:00Z'), us('2024-01-02T20:00:00Z'), us('2024-01-03T20:00:00Z')]),
      // Day 1: cash 1000 − 101 − 0.5 = 898.5, plus 10 A at 10 = 998.5.
      // Day 2: cash 898.5 + 54.5 − 0.25 − 100 = 852.75, plus 5 A at 11 and 2 B at 49 = 1005.75.
      equity: f64([1000, 998.5, 1005.75]),
      gross: f64([0, 100, 153]),
      net: f64([0, 100, 153]),
      tradedNotional: f64([0, 101, 255.5]),
      fees: f64([0, 0.5, 0.75]),
      costs: {},
      lastPositions: [
        { symbol: 'A', qty: 5, mark: 11 },
        { symbol: 'B', qty: 2, mark: 49 },
      ],
    },
    fills: {
      ts: f64([us('2024-01-02T15:00:00Z'), us('2024-01-03T15:00:00Z'), us('2024-01-03T16:00:00Z')]),
      orderId: ['o1', 'o2', 'o3'],
      symbol: ['A', 'A', 'B'],
      sign: Int8Array.from([1, -1, 1]),
      qty: f64([10, 5, 2]),
      price: f64([10.1, 10.9, 50]),
      fee: f64([0.5, 0.25, 0]),
      maker: Uint8Array.from([0, 1, 0]),
      costs: extra.costs ?? {},
    },
    orders: {
      ts: f64([us('2024-01-02T14:59:00Z'), us('2024-01-03T14:59:00Z'), us('2024-01-03T15:59:00Z'), us('2024-01-03T17:00:00Z')]),
      orderId: ['o1', 'o2', 'o3', 'o4'],
      symbol: ['A', 'A', 'B', 'A'],
      qty: f64([10, 8, 2, 0]),
      limit: Uint8Array.from([0, 1, 0, 1]),
      refPrice: f64([10, 11, 50, 11]),
      action: ['NEW', 'NEW', 'NEW', 'CANCEL'],
    },
  };
}

describe('tearSheet', () => {
  const s = tearSheet(run());

  it('daily returns close to close, the first against the first state', () => {
    expect(s.days).toEqual(['2024-01-02', '2024-01-03']);
    expect(s.dailyReturns[0]).toBeCloseTo(998.5 / 1000 - 1, 15);
    expect(s.dailyReturns[1]).toBeCloseTo(1005.75 / 998.5 - 1, 15);
    expect(s.metrics['sharpe']).toBe(sharpeRatio(s.dailyReturns));
    // Two returns a and b: mean (a+b)/2, sample std |a−b|/√2.
    const [a, b] = s.dailyReturns as [number, number];
    expect(s.metrics['sharpe']).toBeCloseTo(((a + b) / 2 / (Math.abs(a - b) / Math.SQRT2)) * Math.sqrt(252), 10);
    expect(s.metrics['total_return']).toBeCloseTo(0.00575, 15);
  });

  it('turnover: each day traded notional over the previous close', () => {
    expect(s.turnover[0]).toBeCloseTo(101 / 1000, 15);
    expect(s.turnover[1]).toBeCloseTo(154.5 / 998.5, 15);
  });

  it('drawdown and exposure along the curve', () => {
    // The peak is 1000 until the last state (1005.75, a new peak).
    expect(s.curve.drawdown).toEqual([0, 998.5 / 1000 - 1, 0]);
    expect(s.metrics['max_drawdown_intraday']).toBe(998.5 / 1000 - 1);
    expect(s.curve.gross[2]).toBeCloseTo(153 / 1005.75, 15);
  });

  it('PnL by symbol adds up to the change in equity', () => {
    // A: −101 − 0.5 + 54.5 − 0.25 + 5 × 11 = 7.75; B: −100 + 2 × 49 = −2.
    expect(s.pnlBySymbol.map((p) => p.symbol)).toEqual(['A', 'B']);
    expect(s.pnlBySymbol[0]!.pnl).toBeCloseTo(7.75, 12);
    expect(s.pnlBySymbol[1]!.pnl).toBeCloseTo(-2, 12);
    expect(s.pnlBySymbol.reduce((x, p) => x + p.pnl, 0)).toBeCloseTo(1005.75 - 1000, 12);
    expect(s.pnlBySector).toBeUndefined();
    expect(s.missing['pnl-sector']).toContain('--data');
  });

  it('PnL by sector from a symbol → sector map', () => {
    const t = tearSheet(run(), { sectors: new Map([['A', 'TECH']]) });
    expect(t.pnlBySector!.map((x) => x.sector)).toEqual(['TECH', '(no sector)']);
    expect(t.pnlBySector![0]!.pnl).toBeCloseTo(7.75, 12);
    expect(t.missing['pnl-sector']).toBeUndefined();
  });

  it('costs: fees, and the spread paid against the arrival mid; the rest listed as missing', () => {
    // Spread: buy 10 × (10.10 − 10) = 1.0, sell 5 × (11 − 10.90) = 0.5, B none: 1.5.
    expect(s.costs.map((c) => c.name)).toEqual(['fees', 'spread']);
    expect(s.costs[0]!.amount).toBeCloseTo(0.75, 15);
    expect(s.costs[1]!.amount).toBeCloseTo(1.5, 12);
    expect(s.missing['costs']).toMatch(/^impact, borrow, financing/);
  });

  it('an impact column is shown and taken out of the spread; borrow from the equity states', () => {
    const r = run({ costs: { impact: f64([0.2, 0.1, 0]) } });
    r.equity.costs = { borrow: f64([0, 0.01, 0.03]) };
    const t = tearSheet(r);
    expect(t.costs.map((c) => c.name)).toEqual(['fees', 'spread', 'impact', 'borrow']);
    expect(t.costs[1]!.amount).toBeCloseTo(1.5 - 0.3, 12);
    expect(t.costs[2]!.amount).toBeCloseTo(0.3, 12);
    expect(t.costs[3]!.amount).toBe(0.03);
    expect(t.missing['costs']).toMatch(/^financing/);
  });

  it('fill statistics: slippage in bps, the limit fill ratio (cancels left out), maker share', () => {
    // +100 bps (10.10 vs 10), +90.9 bps (sold 10.90 vs 11: 1 − 10.9/11), 0.
    const expected = [100, (1 - 10.9 / 11) * 1e4, 0];
    expect(s.fills.meanSlippageBps).toBeCloseTo((expected[0]! + expected[1]! + expected[2]!) / 3, 9);
    expect(s.fills.medianSlippageBps).toBeCloseTo(expected[1]!, 9);
    expect(s.fills.limitOrders).toBe(1);
    expect(s.fills.limitFillRatio).toBe(5 / 8);
    expect(s.fills.makerShare).toBe(1 / 3);
  });

  it('says what the run lacks: predictions, market volume, and days for a rolling window', () => {
    expect(s.missing['ic']).toContain('predictions.parquet');
    expect(s.missing['participation']).toContain('market volume');
    expect(s.missing['rolling-sharpe']).toContain('the run has 2');
    expect(s.rollingSharpe.values).toEqual([]);
  });

  it('participation from the prints of each symbol', () => {
    // A printed 200 shares in o1's first minute and 100 in o2's; B 10 in o3's.
    const at = (iso: string): number => us(iso);
    const t = tearSheet(run(), {
      volumes: new Map([
        ['A', { ts: f64([at('2024-01-02T14:59:30Z'), at('2024-01-03T14:59:30Z')]), cum: f64([200, 300]) }],
        ['B', { ts: f64([at('2024-01-03T16:00:00Z')]), cum: f64([10]) }],
      ]),
    });
    // o1: 10 of 200; o2: 5 of 100; o3: 2 of 10 (its window runs to its fill at 16:00).
    expect(t.fills.participation!.orders).toBe(3);
    expect(t.fills.participation!.median).toBeCloseTo(0.05, 14);
    expect(t.missing['participation']).toBeUndefined();
  });

  it('a fill whose order is not in orders.parquet is left out of the spread, and said', () => {
    const r = run();
    r.fills.orderId[0] = 'gone';
    const t = tearSheet(r);
    expect(t.costs[1]!.amount).toBeCloseTo(0.5, 12);
    expect(t.costs[1]!.source).toContain('1 fill(s) without their order');
  });
});

describe('helpers', () => {
  it('histogram: equal bins from the least to the greatest value, the greatest in the last bin', () => {
    expect(histogram([0, 1, 2, 3, 4], 4)).toEqual({ edges: [0, 1, 2, 3, 4], counts: [1, 1, 1, 2] });
    expect(histogram([2, 2, Number.NaN], 5)).toEqual({ edges: [1.5, 2.5], counts: [2] });
    expect(histogram([], 3)).toEqual({ edges: [], counts: [] });
  });
});
