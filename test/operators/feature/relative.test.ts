/**
 * feature.relative: for each chosen column, `<column>_mkt` (minus the mean over the snapshot's finite
 * values) and `<column>_sec` (minus the mean of the symbol's sector; a symbol outside the universe
 * falls in one unnamed sector), appended after the input's columns. A NaN value stays NaN and counts
 * in no mean; a snapshot without a chosen column is a dead letter.
 *
 * Expected values are worked out by hand in the comments.
 */
import { describe, expect, it } from 'vitest';
import { relative } from '../../../operators/feature/relative.ts';
import { runOperator } from '../../../pipelines/harness/harness.ts';
import type { CrossSection } from '../../../schemas/types.generated.ts';
import { expectNear } from '../../helpers/expect-near.ts';

const T0 = Date.UTC(2024, 0, 2, 15, 0) * 1000;
const universe = [
  { symbol: 'A', sector: 'tech' },
  { symbol: 'B', sector: 'tech' },
  { symbol: 'C', sector: 'energy' },
  { symbol: 'D', sector: 'energy' },
];

/** A snapshot with the rows given as arrays of column values. */
const snapshot = (at: number, features: string[], rows: Record<string, number[]>): CrossSection => ({
  ts_event: at,
  ts_known: at,
  symbols: Object.keys(rows),
  features,
  values: Object.values(rows).flat(),
  prices: Object.keys(rows).map(() => 10),
});

/** The value of column `name` for each symbol of a snapshot. */
const column = (cs: CrossSection, name: string): number[] => {
  const j = cs.features.indexOf(name);
  expect(j, `column ${name} in [${cs.features.join(', ')}]`).toBeGreaterThanOrEqual(0);
  return cs.symbols.map((_, i) => cs.values[i * cs.features.length + j]!);
};

describe('feature.relative', () => {
  const input = snapshot(T0, ['ret_5', 'x'], {
    A: [1, 100],
    B: [3, 200],
    C: [NaN, 300],
    D: [10, 400],
    E: [4, 500], // E is outside the universe
  });

  it('appends market- and sector-relative columns; NaN stays NaN and counts in no mean', async () => {
    const run = await runOperator(
      relative,
      { columns: ['ret_5'] },
      { cross_section: { batches: [[input]], features: ['ret_5', 'x'] } },
      { universe },
    );
    const [out] = run.outputs['out'] as CrossSection[];
    expect(out!.features).toEqual(['ret_5', 'x', 'ret_5_mkt', 'ret_5_sec']);
    expect(out!.symbols).toEqual(input.symbols);
    expect(out!.prices).toEqual(input.prices);
    expect({ ts_event: out!.ts_event, ts_known: out!.ts_known }).toEqual({ ts_event: T0, ts_known: T0 });
    // The input columns pass through untouched.
    expectNear(column(out!, 'ret_5'), [1, 3, NaN, 10, 4]);
    expectNear(column(out!, 'x'), [100, 200, 300, 400, 500]);
    // Market mean of the finite values: (1 + 3 + 10 + 4) / 4 = 4.5.
    expectNear(column(out!, 'ret_5_mkt'), [1 - 4.5, 3 - 4.5, NaN, 10 - 4.5, 4 - 4.5]);
    // tech: (1 + 3) / 2 = 2; energy: C is NaN, so D alone, 10; E alone in the unnamed sector.
    expectNear(column(out!, 'ret_5_sec'), [1 - 2, 3 - 2, NaN, 0, 0]);
    expect(run.deadLetters).toEqual([]);
  });

  it('takes every input column for ["*"], and adds only the variants asked for', async () => {
    const run = await runOperator(
      relative,
      { columns: ['*'], sector: false },
      { cross_section: { batches: [[input]], features: ['ret_5', 'x'] } },
      { universe },
    );
    const [out] = run.outputs['out'] as CrossSection[];
    expect(out!.features).toEqual(['ret_5', 'x', 'ret_5_mkt', 'x_mkt']);
    // x: (100 + 200 + 300 + 400 + 500) / 5 = 300.
    expectNear(column(out!, 'x_mkt'), [-200, -100, 0, 100, 200]);
    expect(relative.features!({ columns: ['*'], market: false, sector: true }, ['a', 'b'])).toEqual(['a', 'b', 'a_sec', 'b_sec']);
    expect(relative.features!({ columns: ['b'], market: true, sector: true }, ['a', 'b'])).toEqual(['a', 'b', 'b_mkt', 'b_sec']);
  });

  it('is NaN for a column with no finite value, for the market and for a whole sector', async () => {
    const cs = snapshot(T0, ['r'], { A: [NaN], B: [NaN], C: [2], D: [6] });
    const run = await runOperator(relative, { columns: ['r'] }, { cross_section: { batches: [[cs]], features: ['r'] } }, { universe });
    const [out] = run.outputs['out'] as CrossSection[];
    // Market mean (2 + 6) / 2 = 4; the tech sector has no finite value; energy's mean is 4.
    expectNear(column(out!, 'r_mkt'), [NaN, NaN, -2, 2]);
    expectNear(column(out!, 'r_sec'), [NaN, NaN, -2, 2]);
  });

  it('dead-letters a snapshot without a chosen column, naming it and the columns there are, and goes on', async () => {
    const bad = snapshot(T0, ['ret_5', 'x'], { A: [1, 2] });
    const good = snapshot(T0 + 60_000_000, ['ret_5', 'ret_15', 'x'], { A: [1, 2, 3], B: [3, 4, 5] });
    const run = await runOperator(
      relative,
      { columns: ['ret_5', 'ret_15'], sector: false },
      {
        cross_section: { batches: [[bad], [good]], features: ['ret_5', 'ret_15', 'x'] },
      },
      { universe },
    );
    expect(run.deadLetters.map((d) => [d.node, d.reason, d.ts_known])).toEqual([
      ['subject', 'columns not in the cross-section: ret_15 (columns: ret_5, x)', T0],
    ]);
    const out = run.outputs['out'] as CrossSection[];
    expect(out.map((c) => c.ts_known)).toEqual([good.ts_known]);
    // ret_5: mean 2; ret_15: mean 3.
    expectNear(column(out[0]!, 'ret_5_mkt'), [-1, 1]);
    expectNear(column(out[0]!, 'ret_15_mkt'), [-1, 1]);
  });
});
