/** feature.bar-quotes: each bar's close becomes a quote with bid = ask = close, sizes 0, a running seq and id. */
import { describe, expect, it } from 'vitest';
import { barQuotes } from '../../../operators/feature/bar-quotes.ts';
import { runOperator } from '../../../pipelines/harness/harness.ts';
import type { Quote } from '../../../schemas/types.generated.ts';
import { bar, T0 } from '../../helpers/records.ts';

describe('feature.bar-quotes', () => {
  it('turns each close into a zero-spread quote at the bar time', async () => {
    const run = await runOperator(barQuotes, {}, { bars: [[bar('A', T0, 10), bar('B', T0, 20)], [bar('A', T0 + 60e6, 10.5)]] });
    expect(
      (run.outputs['out'] as Quote[]).map((q) => [q.symbol, q.ts_known, q.bid, q.ask, q.bid_size, q.ask_size, q.seq, q.id, q.version]),
    ).toEqual([
      ['A', T0, 10, 10, 0, 0, 1, 1, 1],
      ['B', T0, 20, 20, 0, 0, 2, 2, 1],
      ['A', T0 + 60e6, 10.5, 10.5, 0, 0, 3, 3, 1],
    ]);
  });
});
