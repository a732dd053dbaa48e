/**
 * feature.lagged-returns: ret_h = ln(close / close h bars earlier), NaN until h earlier bars are
 * known; with `intraday` (the default) each session starts afresh, so no return spans the night. With
 * `scaled`, zret_h = ret_h / (σ₁·√h), σ₁ the root mean square of the last scale_window one-bar returns,
 * NaN below five of them or when σ₁ is zero.
 *
 * Expected values are recomputed from the closes fed (logs and their differences written out).
 */
import { describe, expect, it } from 'vitest';
import { laggedReturns } from '../../../operators/feature/lagged-returns.ts';
import { runOperator } from '../../../pipelines/harness/harness.ts';
import type { FeatureVector } from '../../../schemas/types.generated.ts';
import { expectNear } from '../../helpers/expect-near.ts';
import { minuteBar as bar, session as day } from '../../helpers/records.ts';

const col = (out: unknown[], symbol: string, k: number): number[] =>
  (out as FeatureVector[]).filter((v) => v.symbol === symbol).map((v) => v.values[k]!);
/** ln(c[i] / c[i − h]), NaN where there is no c[i − h]. */
const ret = (closes: readonly number[], h: number): number[] => closes.map((c, i) => (i >= h ? Math.log(c / closes[i - h]!) : NaN));

describe('feature.lagged-returns', () => {
  it('names ret_h per horizon, then zret_h when scaled', () => {
    expect(laggedReturns.features!({ horizons: [1, 5], intraday: true, scaled: false, scale_window: 60 }, [])).toEqual(['ret_1', 'ret_5']);
    expect(laggedReturns.features!({ horizons: [1, 5], intraday: true, scaled: true, scale_window: 60 }, [])).toEqual([
      'ret_1',
      'ret_5',
      'zret_1',
      'zret_5',
    ]);
  });

  it('is the log return over each horizon once enough bars are known, per symbol', async () => {
    const a = [100, 101, 99.5, 102, 103.5];
    const b = [20, 19.5, 19.8, 20.4, 20.1];
    const run = await runOperator(
      laggedReturns,
      { horizons: [1, 3] },
      {
        bars: a.map((c, i) => [bar('A', i, c), bar('B', i, b[i]!)]),
      },
      { sessions: [day(0)] },
    );
    const out = run.outputs['out']!;
    expectNear(col(out, 'A', 0), ret(a, 1));
    expectNear(col(out, 'A', 1), ret(a, 3));
    expectNear(col(out, 'B', 0), ret(b, 1));
    expectNear(col(out, 'B', 1), ret(b, 3));
    expect((out as FeatureVector[]).map((v) => v.ts_known)).toEqual(
      a.flatMap((_, i) => [bar('A', i, 1).ts_known, bar('B', i, 1).ts_known]),
    );
  });

  it('starts afresh each session unless intraday is false', async () => {
    const day0 = [100, 102];
    const day1 = [110, 111];
    const bars = [...day0.map((c, i) => [bar('A', i, c, 0)]), ...day1.map((c, i) => [bar('A', i, c, 1)])];
    const sessions = [day(0), day(1)];
    const fresh = await runOperator(laggedReturns, { horizons: [1, 2] }, { bars }, { sessions });
    // Day 1 has no bar before its first: ret_1 NaN there, ret_2 NaN all day (two bars only).
    expectNear(col(fresh.outputs['out']!, 'A', 0), [NaN, Math.log(102 / 100), NaN, Math.log(111 / 110)]);
    expectNear(col(fresh.outputs['out']!, 'A', 1), [NaN, NaN, NaN, NaN]);
    const spanning = await runOperator(laggedReturns, { horizons: [1, 2], intraday: false }, { bars }, { sessions });
    const all = [...day0, ...day1];
    expectNear(col(spanning.outputs['out']!, 'A', 0), ret(all, 1));
    expectNear(col(spanning.outputs['out']!, 'A', 1), ret(all, 2));
  });

  it('scales by the RMS of the last scale_window one-bar returns, from five of them on', async () => {
    const closes = [50, 50.4, 50.1, 50.6, 50.2, 50.9, 51.3, 50.8];
    const run = await runOperator(
      laggedReturns,
      { horizons: [1, 4], scaled: true, scale_window: 5 },
      {
        bars: closes.map((c, i) => [bar('A', i, c)]),
      },
      { sessions: [day(0)] },
    );
    const out = run.outputs['out']!;
    const one = ret(closes, 1);
    // Bar i has one-bar returns 1…i; σ₁ over the last five of them, from bar 5 on.
    const sigma = closes.map((_, i) => (i < 5 ? NaN : Math.sqrt(one.slice(i - 4, i + 1).reduce((s, r) => s + r * r, 0) / 5)));
    expectNear(
      col(out, 'A', 2),
      one.map((r, i) => r / sigma[i]!),
      10,
    );
    expectNear(
      col(out, 'A', 3),
      ret(closes, 4).map((r, i) => r / (sigma[i]! * 2)),
      10,
    );
  });

  it('leaves zret NaN when the price has not moved (σ₁ = 0)', async () => {
    const run = await runOperator(
      laggedReturns,
      { horizons: [1], scaled: true, scale_window: 5 },
      {
        bars: Array.from({ length: 7 }, (_, i) => [bar('A', i, 42)]),
      },
      { sessions: [day(0)] },
    );
    expectNear(col(run.outputs['out']!, 'A', 0), [NaN, 0, 0, 0, 0, 0, 0]);
    expectNear(col(run.outputs['out']!, 'A', 1), [NaN, NaN, NaN, NaN, NaN, NaN, NaN]);
  });
});
