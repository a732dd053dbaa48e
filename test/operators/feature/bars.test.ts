import { describe, expect, it } from 'vitest';
import type { Bar } from '../../../schemas/types.generated.ts';
import { MINUTE, T0, runInMemory } from '../../helpers/memory-graph.ts';
import { quote, trade } from '../../helpers/records.ts';

const topology = `
nodes:
  - { name: quotes, type: test.memory-quotes }
  - { name: trades, type: test.memory-trades }
  - { name: bars, type: feature.bars, inputs: { quotes: quotes, trades: trades } }
  - { name: out, type: test.probe, inputs: bars }
`;
const s = 1_000_000;

describe('feature.bars in event time', () => {
  it('closes a bar at each minute boundary, with the boundary as its time, in order with the data', async () => {
    const { probes, metrics } = await runInMemory(topology, {
      quotes: [quote('A', T0 + 10 * s, 99.9, 100.1, 1), quote('A', T0 + 30 * s, 100.9, 101.1, 2), quote('A', T0 + 70 * s, 101.9, 102.1, 3)],
      trades: [
        trade('A', T0 + 20 * s, 100.5, 100, 1),
        // A correction of that trade, known inside the same bar: replaces it.
        trade('A', T0 + 20 * s, 100.5, 300, 2, { id: 1, version: 2, ts_known: T0 + 50 * s }),
        // A correction known after its bar closed: counted, bars are not revised.
        trade('A', T0 + 20 * s, 100.5, 50, 3, { id: 1, version: 3, ts_known: T0 + 125 * s }),
      ],
      sessions: [{ open: T0, close: T0 + 3 * MINUTE }],
    });
    const bars = probes.get('out')!.records as Bar[];
    expect(bars.map((b) => b.ts_event - T0)).toEqual([MINUTE, 2 * MINUTE, 3 * MINUTE]);
    expect(bars.every((b) => b.ts_known === b.ts_event)).toBe(true);
    expect(bars[0]).toMatchObject({ open: 100, high: 101, low: 100, close: 101, quotes: 2, trades: 1, volume: 300, vwap: 100.5 });
    expect(bars[1]).toMatchObject({ open: 102, high: 102, low: 102, close: 102, quotes: 1, volume: 0, vwap: 102 });
    // A quiet minute repeats the last price, with no quotes.
    expect(bars[2]).toMatchObject({ open: 102, close: 102, quotes: 0, volume: 0 });
    expect(Number.isNaN(bars[2]!.spread_bps)).toBe(true);
    expect(bars[0]!.spread_bps).toBeCloseTo(((0.2 / 100) * 1e4 + (0.2 / 101) * 1e4) / 2, 9);
    expect(metrics.get('bars')!['late_corrections']).toBe(1);
    // Each bar was delivered when the clock reached its boundary, not before.
    expect(probes.get('out')!.clockAt.map((t) => t - T0)).toEqual([MINUTE, 2 * MINUTE, 3 * MINUTE]);
  });

  it('fires only during sessions: nothing between the close and the next open', async () => {
    const day2 = T0 + 24 * 60 * MINUTE;
    const { probes } = await runInMemory(topology.replace('minutes', 'minutes'), {
      quotes: [quote('A', T0 + s, 10, 10.02, 1), quote('A', day2 + s, 11, 11.02, 2)],
      sessions: [
        { open: T0, close: T0 + 2 * MINUTE },
        { open: day2, close: day2 + 2 * MINUTE },
      ],
    });
    const times = (probes.get('out')!.records as Bar[]).map((b) => b.ts_event);
    expect(times).toEqual([T0 + MINUTE, T0 + 2 * MINUTE, day2 + MINUTE, day2 + 2 * MINUTE]);
  });

  it('a quote known exactly at a boundary belongs to the next bar', async () => {
    const { probes } = await runInMemory(topology, {
      quotes: [quote('A', T0 + s, 10, 10.02, 1), quote('A', T0 + MINUTE, 20, 20.02, 2)],
      sessions: [{ open: T0, close: T0 + 2 * MINUTE }],
    });
    const bars = probes.get('out')!.records as Bar[];
    expect(bars).toHaveLength(2);
    expect(bars[0]!.close).toBeCloseTo(10.01, 12);
    expect(bars[1]!.close).toBeCloseTo(20.01, 12);
  });
});

describe('timers across nodes', () => {
  it('a snapshot at a bar boundary sees the bar that closes at that same instant', async () => {
    const { probes } = await runInMemory(
      `
nodes:
  - { name: quotes, type: test.memory-quotes }
  - { name: bars, type: feature.bars, inputs: { quotes: quotes } }
  - { name: returns, type: feature.lagged-returns, inputs: bars, params: { horizons: [1] } }
  - { name: snap, type: feature.cross-section, inputs: { features: [returns], bars: bars }, params: { every_minutes: 2, first_after_minutes: 2 } }
  - { name: out, type: test.probe, inputs: snap }
`,
      {
        quotes: [
          quote('A', T0 + 30 * s, 10, 10, 1),
          quote('B', T0 + 30 * s, 20, 20, 2),
          quote('A', T0 + 90 * s, 11, 11, 3),
          quote('B', T0 + 100 * s, 19, 19, 4),
        ],
        sessions: [{ open: T0, close: T0 + 4 * MINUTE }],
      },
    );
    const snaps = probes.get('out')!.records as { ts_known: number; symbols: string[]; values: number[]; prices: number[] }[];
    expect(snaps.map((c) => c.ts_known - T0)).toEqual([2 * MINUTE, 4 * MINUTE]);
    // The bar closing at 2:00 (A: 10 → 11) is in the 2:00 snapshot.
    expect(snaps[0]!.prices).toEqual([11, 19]);
    expect(snaps[0]!.values[0]).toBeCloseTo(Math.log(11 / 10), 12);
    expect(snaps[0]!.values[1]).toBeCloseTo(Math.log(19 / 20), 12);
  });
});
