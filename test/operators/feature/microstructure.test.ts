/**
 * feature.microstructure: per symbol, the mean spread and quote imbalance of the last `window` bars
 * that had quotes, and the mean volume of the last `window` bars over the mean of the last
 * `norm_window` (NaN while that norm is zero). Nothing resets at a session boundary.
 *
 * Expected values are worked out by hand from the bars fed (each comment shows the arithmetic).
 */
import { describe, expect, it } from 'vitest';
import { microstructure } from '../../../operators/feature/microstructure.ts';
import { runOperator } from '../../../pipelines/harness/harness.ts';
import type { Bar, FeatureVector } from '../../../schemas/types.generated.ts';
import { expectNear } from '../../helpers/expect-near.ts';
import { minuteBar, session as day } from '../../helpers/records.ts';

/** Bar `i` of day `d` at 10; a bar with no quotes has NaN spread and imbalance, as feature.bars makes it. */
const bar = (symbol: string, i: number, m: { spread: number; imbalance: number; volume: number }, d = 0): Bar =>
  minuteBar(symbol, i, 10, d, {
    volume: m.volume,
    trades: m.volume > 0 ? 1 : 0,
    quotes: Number.isNaN(m.spread) ? 0 : 1,
    spread_bps: m.spread,
    imbalance: m.imbalance,
  });

const rows = (out: unknown[], symbol: string): number[][] =>
  (out as FeatureVector[]).filter((v) => v.symbol === symbol).map((v) => v.values);
const col = (out: unknown[], symbol: string, k: number): number[] => rows(out, symbol).map((v) => v[k]!);

describe('feature.microstructure', () => {
  it('names its three columns', () => {
    expect(microstructure.features!({ window: 15, norm_window: 390 }, [])).toEqual(['spread_bps', 'imbalance', 'volume_ratio']);
  });

  it('averages spread and imbalance over the last bars with quotes, and compares recent volume with its norm', async () => {
    const a = [
      { spread: 10, imbalance: 0.2, volume: 100 },
      { spread: NaN, imbalance: NaN, volume: 0 }, // no quotes in this bar
      { spread: 20, imbalance: -0.4, volume: 300 },
      { spread: 30, imbalance: 0.1, volume: 200 },
    ];
    const run = await runOperator(
      microstructure,
      { window: 2, norm_window: 3 },
      {
        bars: a.map((m, i) => [bar('A', i, m)]),
      },
      { sessions: [day(0)] },
    );
    const out = run.outputs['out']!;
    // The quoteless bar is left out of the spread and imbalance windows: bar 1 keeps bar 0's means,
    // bar 2 averages bars 0 and 2, bar 3 bars 2 and 3.
    expectNear(col(out, 'A', 0), [10, 10, (10 + 20) / 2, (20 + 30) / 2]);
    expectNear(col(out, 'A', 1), [0.2, 0.2, (0.2 - 0.4) / 2, (-0.4 + 0.1) / 2]);
    // Volume counts every bar. Mean of the last 2 over the mean of the last 3:
    //   bar 0: 100/100; bar 1: 50/50; bar 2: 150/(400/3); bar 3: 250/(500/3).
    expectNear(col(out, 'A', 2), [1, 1, 150 / (400 / 3), 250 / (500 / 3)]);
  });

  it('is NaN where nothing defines it: no quote yet, or no volume over the norm window', async () => {
    const b = [
      { spread: NaN, imbalance: NaN, volume: 0 },
      { spread: NaN, imbalance: NaN, volume: 0 },
      { spread: 8, imbalance: 0, volume: 60 },
    ];
    const run = await runOperator(
      microstructure,
      { window: 2, norm_window: 3 },
      { bars: b.map((m, i) => [bar('B', i, m)]) },
      { sessions: [day(0)] },
    );
    const out = run.outputs['out']!;
    expectNear(col(out, 'B', 0), [NaN, NaN, 8]);
    expectNear(col(out, 'B', 1), [NaN, NaN, 0]);
    // Norm zero for two bars; then (0 + 60)/2 over (0 + 0 + 60)/3 = 30/20.
    expectNear(col(out, 'B', 2), [NaN, NaN, 1.5]);
  });

  it('keeps symbols apart and carries its windows across sessions', async () => {
    const m = (spread: number, volume: number) => ({ spread, imbalance: 0, volume });
    const run = await runOperator(
      microstructure,
      { window: 2, norm_window: 4 },
      {
        bars: [
          [bar('A', 0, m(4, 10), 0), bar('B', 0, m(40, 1000), 0)],
          [bar('A', 1, m(6, 30), 0), bar('B', 1, m(60, 3000), 0)],
          [bar('A', 0, m(8, 50), 1), bar('B', 0, m(80, 5000), 1)],
        ],
      },
      { sessions: [day(0), day(1)] },
    );
    const out = run.outputs['out']!;
    // Day 1's first bar still averages day 0's last bar: spread (6 + 8)/2; volume (30 + 50)/2 over (10 + 30 + 50)/3.
    expectNear(col(out, 'A', 0), [4, 5, 7]);
    expectNear(col(out, 'A', 2), [1, 20 / 20, 40 / 30]);
    // B is A scaled by 10 in spread and 100 in volume: the same ratios, its own spreads.
    expectNear(col(out, 'B', 0), [40, 50, 70]);
    expectNear(col(out, 'B', 2), col(out, 'A', 2));
  });
});
