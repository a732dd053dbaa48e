import { describe, expect, it } from 'vitest';
import type { FeatureVector } from '../../../schemas/types.generated.ts';
import { MINUTE, T0, runInMemory } from '../../helpers/memory-graph.ts';
import { quote, trade } from '../../helpers/records.ts';

const s = 1_000_000;
/** One quote a minute at each mid (spread 0.02), the minute's bar closing at that mid. */
const quotesAt = (symbol: string, mids: number[], seq0 = 0) =>
  mids.map((m, i) => quote(symbol, T0 + i * MINUTE + s, m - 0.01, m + 0.01, seq0 + i + 1));
const graph = (node: string) => `
nodes:
  - { name: quotes, type: test.memory-quotes }
  - { name: trades, type: test.memory-trades }
  - { name: bars, type: feature.bars, inputs: { quotes: quotes, trades: trades } }
  ${node}
  - { name: out, type: test.probe, inputs: f }
`;

describe('feature.bar-stats', () => {
  it('range, close location, VWAP gap and share of up bars over the last w bars', async () => {
    const mids = [100, 102, 101, 104];
    const { probes } = await runInMemory(graph('- { name: f, type: feature.bar-stats, inputs: bars, params: { windows: [3] } }'), {
      quotes: quotesAt('A', mids),
      trades: [trade('A', T0 + 3 * MINUTE + 2 * s, 103, 100, 1), trade('A', T0 + 3 * MINUTE + 3 * s, 105, 300, 2)],
      sessions: [{ open: T0, close: T0 + 4 * MINUTE }],
    });
    const last = (probes.get('out')!.records as FeatureVector[]).at(-1)!;
    const [range, closeLoc, vwapGap, upShare] = last.values;
    expect(range).toBeCloseTo(Math.log(104 / 101), 12);
    expect(closeLoc).toBeCloseTo(0.5, 12);
    // Only the last bar traded: 100 @ 103 and 300 @ 105 → VWAP 104.5.
    expect(vwapGap).toBeCloseTo(Math.log(104 / 104.5), 12);
    // The last 3 bars and the bar before them: 102 > 100 up, 101 < 102 down, 104 > 101 up.
    expect(upShare).toBeCloseTo(2 / 3 - 0.5, 12);
  });

  it('leaves the VWAP gap NaN without volume, and names its columns per window', async () => {
    const { probes } = await runInMemory(graph('- { name: f, type: feature.bar-stats, inputs: bars, params: { windows: [2, 5] } }'), {
      quotes: quotesAt('A', [10, 11]),
      sessions: [{ open: T0, close: T0 + 2 * MINUTE }],
    });
    const [first, second] = probes.get('out')!.records as FeatureVector[];
    expect(first!.values).toHaveLength(8);
    expect(Number.isNaN(first!.values[2])).toBe(true);
    expect(Number.isNaN(first!.values[3])).toBe(true); // one bar: no step to count
    expect(second!.values[3]).toBe(0.5); // one step, up
  });
});

describe('feature.lagged-returns, scaled', () => {
  it('emits each return over σ₁·√h, σ₁ the RMS of the one-bar returns, once there are enough of them', async () => {
    const mids = [100, 101, 100.5, 101.5, 101, 102, 101.2, 102.4];
    const { probes } = await runInMemory(
      graph('- { name: f, type: feature.lagged-returns, inputs: bars, params: { horizons: [1, 4], scaled: true, scale_window: 5 } }'),
      {
        quotes: quotesAt('A', mids),
        sessions: [{ open: T0, close: T0 + 8 * MINUTE }],
      },
    );
    const out = probes.get('out')!.records as FeatureVector[];
    const logs = mids.map(Math.log);
    const one = logs.slice(1).map((l, i) => l - logs[i]!);
    // Four one-bar returns after five bars: below the minimum of five, so still NaN.
    expect(Number.isNaN(out[4]!.values[2])).toBe(true);
    const sigma = Math.sqrt(one.slice(2, 7).reduce((a, r) => a + r * r, 0) / 5);
    const v = out[7]!.values;
    expect(v[0]).toBeCloseTo(logs[7]! - logs[6]!, 12);
    expect(v[1]).toBeCloseTo(logs[7]! - logs[3]!, 12);
    expect(v[2]).toBeCloseTo(v[0]! / sigma, 10);
    expect(v[3]).toBeCloseTo(v[1]! / (sigma * 2), 10);
  });
});
