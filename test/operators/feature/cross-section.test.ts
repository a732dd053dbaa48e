/**
 * feature.cross-section: on a timer at open + first_after + k·every of each session, one snapshot of
 * the universe (in universe order) holding every symbol that has a bar price, its latest close, and
 * the latest vector of each feature input concatenated in input order; a vector older than
 * max_age_minutes at the snapshot is NaN. No snapshot while no universe symbol has a price; a run with
 * no universe is refused.
 *
 * Expected rows are written out from the records fed, with the age arithmetic in comments.
 */
import { describe, expect, it } from 'vitest';
import { DAY, MINUTE } from '../../../lib/core/time.ts';
import { crossSection } from '../../../operators/feature/cross-section.ts';
import { runOperator } from '../../../pipelines/harness/harness.ts';
import type { CrossSection, FeatureVector } from '../../../schemas/types.generated.ts';
import { T0, bar } from '../../helpers/records.ts';

const universe = [
  { symbol: 'B', sector: 'x' },
  { symbol: 'A', sector: 'x' },
  { symbol: 'C', sector: 'x' },
];

const vec = (symbol: string, at: number, values: number[]): FeatureVector => ({ ts_event: at, ts_known: at, symbol, values });

/** A snapshot as [minutes after T0, { symbol: [price, ...values] }], NaN written as null for toEqual. */
const table = (cs: CrossSection): [number, Record<string, (number | null)[]>] => {
  const k = cs.features.length;
  return [
    (cs.ts_known - T0) / MINUTE,
    Object.fromEntries(
      cs.symbols.map((s, i) => [s, [cs.prices[i]!, ...cs.values.slice(i * k, i * k + k).map((v) => (Number.isNaN(v) ? null : v))]]),
    ),
  ];
};

describe('feature.cross-section', () => {
  it('snapshots the latest features and close of the universe on its timer, stale features NaN', async () => {
    const m = (minutes: number) => T0 + minutes * MINUTE;
    const run = await runOperator(
      crossSection,
      { every_minutes: 10, first_after_minutes: 20, max_age_minutes: 5 },
      {
        features: [
          { features: ['a', 'b'], batches: [[vec('A', m(16), [1, 2]), vec('B', m(16), [3, 4])], [vec('B', m(25), [5, 6])]] },
          { features: ['c'], batches: [[vec('A', m(14), [7])], [vec('B', m(38), [8])]] },
        ],
        bars: [[bar('A', m(19), 10), bar('B', m(19), 20), bar('Z', m(19), 5)], [bar('A', m(29), 11)]],
      },
      { universe, sessions: [{ open: T0, close: m(40) }] },
    );
    const snaps = run.outputs['out'] as CrossSection[];
    expect(snaps.every((cs) => cs.ts_event === cs.ts_known)).toBe(true);
    expect(snaps.every((cs) => cs.features.join() === 'a,b,c')).toBe(true);
    expect(snaps.map(table)).toEqual([
      // 20: A's c (known at 14) is 6 minutes old, past the 5 allowed. C has no bar, Z is not in the universe.
      [20, { B: [20, 3, 4, null], A: [10, 1, 2, null] }],
      // 30: B's a,b known at 25 (5 minutes: still fresh); A's, known at 16, are stale. A's new close.
      [30, { B: [20, 5, 6, null], A: [11, null, null, null] }],
      // 40 (the close): B's a,b are 15 minutes old; its c, known at 38, is fresh.
      [40, { B: [20, null, null, 8], A: [11, null, null, null] }],
    ]);
    // Rows follow the universe (B before A), not arrival order.
    expect(snaps[0]!.symbols).toEqual(['B', 'A']);
  });

  it('refuses a run with no universe: no snapshot would ever hold a symbol, and the graph after it would decide nothing', async () => {
    await expect(
      runOperator(
        crossSection,
        { every_minutes: 10, first_after_minutes: 20, max_age_minutes: 5 },
        { features: [{ features: ['a'], batches: [] }], bars: [[bar('A', T0 + MINUTE, 10)]] },
        { universe: [], sessions: [{ open: T0, close: T0 + 40 * MINUTE }] },
      ),
    ).rejects.toThrow(
      'feature.cross-section subject: the run has no universe, so no snapshot would ever hold a symbol: expected a data folder whose manifest names one',
    );
  });

  it('starts each session first_after minutes after its open, and emits nothing before a price is known', async () => {
    const day2 = T0 + DAY;
    const run = await runOperator(
      crossSection,
      { every_minutes: 5, first_after_minutes: 10, max_age_minutes: 60 },
      {
        features: [{ features: ['r'], batches: [[vec('A', T0 + MINUTE, [0.5])]] }],
        bars: [[bar('A', T0 + 12 * MINUTE, 10)], [bar('A', day2 + MINUTE, 12)]],
      },
      {
        universe,
        sessions: [
          { open: T0, close: T0 + 20 * MINUTE },
          { open: day2, close: day2 + 15 * MINUTE },
        ],
      },
    );
    const snaps = run.outputs['out'] as CrossSection[];
    // Timers: 10, 15, 20 on day 1 (nothing at 10: no bar yet); 10 and 15 after day 2's open.
    expect(snaps.map((cs) => cs.ts_known)).toEqual([T0 + 15 * MINUTE, T0 + 20 * MINUTE, day2 + 10 * MINUTE, day2 + 15 * MINUTE]);
    expect(snaps.map((cs) => cs.prices)).toEqual([[10], [10], [12], [12]]);
    // The feature (age 14 and 19 minutes, within 60) is used on day 1, and too old by day 2.
    expect(snaps.map((cs) => cs.values[0])).toEqual([0.5, 0.5, NaN, NaN]);
  });

  it('declares the upstream columns in input order', () => {
    expect(crossSection.features!({ every_minutes: 15, first_after_minutes: 30, max_age_minutes: 5 }, ['ret_1', 'vol_15'])).toEqual([
      'ret_1',
      'vol_15',
    ]);
  });
});
