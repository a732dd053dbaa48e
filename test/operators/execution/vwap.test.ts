/**
 * execution.vwap wired to execution.book-broker: slices follow the volume of past sessions only (the
 * day's own volume never counts), TWAP with no past session. Expected values worked out in the test.
 */
import { describe, expect, it } from 'vitest';
import { DAY, MINUTE } from '../../../lib/core/time.ts';
import { quotes, runAlgoGraph } from '../../helpers/algo-graph.ts';
import * as records from '../../helpers/records.ts';
import { T0 } from '../../helpers/records.ts';

const sessions = [0, 1, 2].map((d) => ({ open: T0 + d * DAY, close: T0 + d * DAY + 60 * MINUTE }));
const parent = (day: number, minute: number, id: string, qty: number) =>
  records.order('A', 'BUY', qty, { ts_event: T0 + day * DAY + minute * MINUTE, ts_known: T0 + day * DAY + minute * MINUTE, order_id: id });
let seq = 1000;
const trade = (day: number, minute: number, size: number) => [records.trade('A', T0 + day * DAY + minute * MINUTE, 100, size, ++seq)];

describe('execution.vwap', () => {
  it('follows the profile of the sessions before the parent’s, averaged; TWAP with none', async () => {
    const run = await runAlgoGraph({
      type: 'execution.vwap',
      params: { horizon_minutes: 20, slice_minutes: 10, bucket_minutes: 10, lookback_days: 2 },
      orders: [[parent(0, 10, 'D0', 1000)], [parent(1, 10, 'D1', 1000)], [parent(2, 10, 'D2', 1000)]],
      quotes: [0, 1, 2].flatMap((d) => quotes(40, 10_000, T0 + d * DAY)),
      trades: [
        // Day 0: 100 in bucket 1 (minutes 10–20), 300 in bucket 2 (20–30).
        trade(0, 12, 100),
        trade(0, 25, 300),
        // Day 1: its own heavy trading in bucket 1 must not shape D1 — only D2, with day 0.
        trade(1, 11, 9_000),
        trade(1, 12, 900),
        trade(1, 26, 100),
      ],
      sessions,
    });
    const byParent = (id: string) => run.children.filter((c) => c.order.order_id.startsWith(`${id}/`)).map((c) => c.order.qty);
    // Day 0, no past session: two even slices at 10 and 20 minutes.
    expect(byParent('D0')).toEqual([500, 500]);
    // Day 1, day 0's profile: [10, 20) 100 and [20, 30) 300 → 1000·100/400 = 250, then the rest 750.
    expect(byParent('D1')).toEqual([250, 750]);
    // Day 2, the average of days 0 and 1: bucket 1 (100 + 9,900)/2 = 5,000, bucket 2 (300 + 100)/2 = 200:
    // 1000·5000/5200 = 961.5 → 961, then 39.
    expect(byParent('D2')).toEqual([961, 39]);
    expect(run.reports.map((r) => [r.parent_order_id, r.algo, r.status, r.filled_qty])).toEqual([
      ['D0', 'VWAP', 'FILLED', 1000],
      ['D1', 'VWAP', 'FILLED', 1000],
      ['D2', 'VWAP', 'FILLED', 1000],
    ]);
  });
});
