/**
 * The IC panel when the predictions and --data do not meet (review D10): a panel "over 0
 * cross-sections" of empty bars became a `not in this run: no prediction matched the data: …` note.
 * A run of one flat portfolio state and no fills, with three predictions made in hand.
 */
import { describe, expect, it } from 'vitest';
import type { MidSeries } from '../../lib/report/ic.ts';
import type { RunData } from '../../lib/report/run-data.ts';
import { tearSheet } from '../../lib/report/tear-sheet.ts';

const T0 = Date.UTC(2024, 0, 2, 15) * 1000; // µs
const MINUTE = 60e6;

const run: RunData = {
  summary: { topology: 'test' },
  equity: {
    ts: Float64Array.of(T0),
    equity: Float64Array.of(1e6),
    gross: Float64Array.of(0),
    net: Float64Array.of(0),
    tradedNotional: Float64Array.of(0),
    fees: Float64Array.of(0),
    costs: {},
    lastPositions: [],
  },
  fills: {
    ts: new Float64Array(0),
    orderId: [],
    symbol: [],
    sign: new Int8Array(0),
    qty: new Float64Array(0),
    price: new Float64Array(0),
    fee: new Float64Array(0),
    maker: new Uint8Array(0),
    costs: {},
  },
  orders: {
    ts: new Float64Array(0),
    orderId: [],
    symbol: [],
    qty: new Float64Array(0),
    limit: new Uint8Array(0),
    refPrice: new Float64Array(0),
    action: [],
  },
  predictions: { ts: Float64Array.of(T0, T0, T0), symbol: ['AAA', 'BBB', 'CCC'], value: Float64Array.of(0.1, 0.2, 0.3) },
};

/** A mid every minute for three hours from T0, rising by `step` a minute. */
const series = (step: number): MidSeries => ({
  ts: Float64Array.from({ length: 180 }, (_, i) => T0 + i * MINUTE),
  mid: Float64Array.from({ length: 180 }, (_, i) => 100 + i * step),
});

describe('the prediction IC against --data', () => {
  it('no symbol of the predictions quoted: a note, not a panel over 0 cross-sections', () => {
    const sheet = tearSheet(run, { mids: new Map([['ZZZ', series(0.01)]]) });
    expect(sheet.ic).toBeUndefined();
    expect(sheet.missing['ic']).toBe(
      'no prediction matched the data: none of the 3 symbols of predictions.parquet ("AAA" first) is quoted in --data DIR',
    );
  });

  it('symbols quoted, but never 3 at a time the model scored: a note too', () => {
    const sheet = tearSheet(run, {
      mids: new Map([
        ['AAA', series(0.01)],
        ['BBB', series(0.02)],
      ]),
    });
    expect(sheet.ic).toBeUndefined();
    expect(sheet.missing['ic']).toMatch(/^no prediction matched the data: at no time the model scored were 3 of its symbols quoted/);
  });

  it('three symbols quoted: the IC, ranks in the same order as the predictions (1 at every horizon)', () => {
    // Returns rise with the step, and the steps with the predictions: Spearman's rho is 1.
    const sheet = tearSheet(run, {
      mids: new Map([
        ['AAA', series(0.01)],
        ['BBB', series(0.02)],
        ['CCC', series(0.03)],
      ]),
    });
    expect(sheet.missing['ic']).toBeUndefined();
    expect(sheet.ic!.map((h) => [h.minutes, h.sections, h.mean])).toEqual([1, 5, 15, 30, 60, 120].map((m) => [m, 1, 1]));
  });
});
