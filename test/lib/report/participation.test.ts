/** Participation of orders against prints written by hand. */
import { describe, expect, it } from 'vitest';
import { participation, type VolumeSeries, volumeBetween } from '../../../lib/report/participation.ts';
import type { FillColumns, OrderColumns } from '../../../lib/report/run-data.ts';

const MIN = 60e6;
// Prints of A at 0, 30 s, 1 min, 5 min of sizes 100, 200, 300, 400 (running totals 100, 300, 600, 1000).
const a: VolumeSeries = { ts: Float64Array.of(0, 0.5 * MIN, MIN, 5 * MIN), cum: Float64Array.of(100, 300, 600, 1000) };

describe('volumeBetween', () => {
  it('counts prints at both ends of the window', () => {
    expect(volumeBetween(a, 0, MIN)).toBe(600);
    expect(volumeBetween(a, 0.5 * MIN, 0.5 * MIN)).toBe(200);
    expect(volumeBetween(a, 1, MIN - 1)).toBe(200);
    expect(volumeBetween(a, 6 * MIN, 7 * MIN)).toBe(0);
    expect(volumeBetween(a, 2 * MIN, 5 * MIN)).toBe(400);
  });
});

describe('participation', () => {
  const orders: OrderColumns = {
    ts: Float64Array.of(0, 2 * MIN, 3 * MIN, 0),
    orderId: ['o1', 'o2', 'o3', 'o4'],
    symbol: ['A', 'A', 'A', 'B'],
    qty: Float64Array.of(60, 50, 10, 5),
    limit: Uint8Array.of(0, 1, 1, 0),
    refPrice: Float64Array.of(1, 1, 1, 1),
    action: ['NEW', 'NEW', 'NEW', 'NEW'],
  };
  const fills: FillColumns = {
    // o1 fills at once (its window is stretched to a minute); o2 fills 20 + 30 by 5 min; o3 and o4 never.
    ts: Float64Array.of(0, 4 * MIN, 5 * MIN),
    orderId: ['o1', 'o2', 'o2'],
    symbol: ['A', 'A', 'A'],
    sign: Int8Array.of(1, 1, 1),
    qty: Float64Array.of(60, 20, 30),
    price: Float64Array.of(1, 1, 1),
    fee: Float64Array.of(0, 0, 0),
    maker: Uint8Array.of(0, 1, 1),
    costs: {},
  };

  it('shares filled over shares printed from arrival to the last fill, at least a minute', () => {
    // o1: 60 of the 600 printed in [0, 1 min]; o2: 50 of the 400 printed in [2 min, 5 min].
    const p = participation(orders, fills, new Map([['A', a]]));
    expect(p.values).toEqual([60 / 600, 50 / 400]);
    expect(p.noPrints).toBe(0);
  });

  it('a filled order whose window saw no print is counted apart', () => {
    const quiet: VolumeSeries = { ts: Float64Array.of(10 * MIN), cum: Float64Array.of(5) };
    expect(participation(orders, fills, new Map([['A', quiet]]))).toEqual({ values: [], noPrints: 2 });
  });
});
