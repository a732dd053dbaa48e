/**
 * execution.pov wired to execution.book-broker: children at a participation rate of the volume traded
 * since the parent's arrival, capped, every interval. Expected values worked out in the test.
 */
import { describe, expect, it } from 'vitest';
import { MINUTE, SECOND } from '../../../lib/core/time.ts';
import { quotes, runAlgoGraph } from '../../helpers/algo-graph.ts';
import * as records from '../../helpers/records.ts';
import { T0 } from '../../helpers/records.ts';

let seq = 1000;
const trade = (minute: number, size: number) => [records.trade('A', T0 + minute * MINUTE + 15 * SECOND, 100, size, ++seq)];
const session = { open: T0, close: T0 + 390 * MINUTE };

describe('execution.pov', () => {
  it('sends rate × volume since arrival, less what is filled, at most the cap, each minute until filled', async () => {
    const run = await runAlgoGraph({
      type: 'execution.pov',
      params: { rate: 0.1, interval_seconds: 60, max_child_qty: 30 },
      orders: [[records.order('A', 'BUY', 100, { ts_event: T0 + 10 * MINUTE, ts_known: T0 + 10 * MINUTE, order_id: 'P' })]],
      quotes: quotes(60, 10_000),
      // 5,000 before arrival (not counted), then 200, 500, 1,000.
      trades: [trade(9, 5000), trade(10, 200), trade(11, 500), trade(12, 1000)],
      sessions: [session],
    });
    // At 10: 0 seen → nothing. At 11: 200 → 20. At 12: 700 → 70 − 20 = 50, capped 30. At 13: 1,700 →
    // 170, at most the parent's 100: 100 − 50 = 50, capped 30. At 14: 100 − 80 = 20. Filled.
    expect(run.children.map((c) => [(c.at - T0) / MINUTE, c.order.qty])).toEqual([
      [11, 20],
      [12, 30],
      [13, 30],
      [14, 20],
    ]);
    expect(run.reports.map((r) => [r.algo, r.status, r.filled_qty, r.children])).toEqual([['POV', 'FILLED', 100, 4]]);
  });
});
