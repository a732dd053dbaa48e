/**
 * Hostile params and parent orders of the execution algorithms: bad params are refused at validation
 * with one located problem naming the node, the param, the value and what is accepted; bad parents are
 * dead letters with a reason, and the run goes on.
 */
import { describe, expect, it } from 'vitest';
import { MINUTE } from '../../lib/core/time.ts';
import { registry } from '../../operators/index.ts';
import { feedSpec } from '../../pipelines/harness/harness.ts';
import { loadTopology } from '../../pipelines/topology/load.ts';
import { formatProblem } from '../../pipelines/topology/problems.ts';
import { validateTopology } from '../../pipelines/topology/validate.ts';
import { quotes, runAlgoGraph } from '../helpers/algo-graph.ts';
import * as records from '../helpers/records.ts';
import { T0 } from '../helpers/records.ts';

const topology = (type: string, params: string, fills = 'broker') => `name: t
nodes:
  - { name: quotes, type: source.replay }
  - { name: trades, type: source.replay, params: { dataset: trades, schema: Trade } }
  - { name: orders, type: harness.feed, params: { schema: Order, name: orders } }
  - name: algo
    type: ${type}
    inputs: { orders: orders, quotes: quotes, trades: trades, fills: ${fills}, states: broker.states }
    params: ${params}
  - { name: broker, type: execution.book-broker, inputs: { orders: algo, quotes: quotes, trades: trades } }
`;
const specs = new Map([...registry, ['harness.feed', feedSpec(new Map())]]);
const problemsOf = (yaml: string): string[] => validateTopology(loadTopology('t.yaml', [], yaml), specs).problems.map(formatProblem);

describe('execution algorithm params', () => {
  it.each([
    ['execution.twap', '{ horizon_minutes: 0 }', 'param "horizon_minutes" is 0 — Too small: expected number to be >0'],
    ['execution.twap', '{ horizon_minutes: -5 }', 'param "horizon_minutes" is -5 — Too small: expected number to be >0'],
    ['execution.twap', '{ horizon_minutes: .nan }', 'param "horizon_minutes" is NaN'],
    ['execution.twap', '{ slice_minutes: 0 }', 'param "slice_minutes" is 0 — Too small: expected number to be >=0.016'],
    ['execution.twap', '{ slice_minutes: 1e-9 }', 'param "slice_minutes" is 1e-9 — Too small: expected number to be >=0.016'],
    [
      'execution.twap',
      '{ horizon_minutes: 1440, slice_minutes: 0.5 }',
      'param "slice_minutes" is 0.5 — expected at least horizon_minutes / 1440 (1)',
    ],
    ['execution.twap', '{ horizon_minutes: 10, slice_minutes: 15 }', 'param "slice_minutes" is 15 — expected at most horizon_minutes (10)'],
    ['execution.twap', '{ lot_size: 0 }', 'param "lot_size" is 0 — Too small: expected number to be >=1'],
    ['execution.twap', '{ lot_size: 2.5 }', 'param "lot_size" is 2.5'],
    ['execution.twap', '{ horizon: 10 }', 'horizon'],
    ['execution.vwap', '{ bucket_minutes: 0 }', 'param "bucket_minutes" is 0 — Too small: expected number to be >=1'],
    ['execution.vwap', '{ bucket_minutes: 1e-300 }', 'param "bucket_minutes" is 1e-300 — Too small: expected number to be >=1'],
    ['execution.vwap', '{ lookback_days: 0 }', 'param "lookback_days" is 0 — Too small: expected number to be >=1'],
    ['execution.vwap', '{ lookback_days: 1.5 }', 'param "lookback_days" is 1.5'],
    ['execution.pov', '{ rate: 0 }', 'param "rate" is 0 — Too small: expected number to be >0'],
    ['execution.pov', '{ rate: -0.1 }', 'param "rate" is -0.1 — Too small: expected number to be >0'],
    ['execution.pov', '{ rate: 1.5 }', 'param "rate" is 1.5 — Too big: expected number to be <=1'],
    ['execution.pov', '{ rate: "10%" }', 'param "rate" is "10%"'],
    ['execution.pov', '{ interval_seconds: 0 }', 'param "interval_seconds" is 0 — Too small: expected number to be >=1'],
    ['execution.pov', '{ interval_seconds: 0.000001 }', 'param "interval_seconds" is 0.000001 — Too small: expected number to be >=1'],
    ['execution.pov', '{ max_child_qty: 0 }', 'param "max_child_qty" is 0 — Too small: expected number to be >=1'],
  ])('%s %s is refused at validation', (type, params, words) => {
    const problems = problemsOf(topology(type, params));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^t\.yaml:\d+:\d+ node "algo": /);
    expect(problems[0]).toContain(words);
  });

  it('accepts the defaults, and refuses fills bound to an edge of another schema', () => {
    expect(problemsOf(topology('execution.pov', '{}'))).toEqual([]);
    expect(problemsOf(topology('execution.twap', '{}', 'quotes')).join('\n')).toContain(
      'node "algo": input "quotes" emits Quote but port "fills" accepts Fill',
    );
  });
});

describe('execution algorithm parent orders', () => {
  it('a parent with a bad qty or ref_price is a dead letter with its reason; the good one is worked', async () => {
    const at = (m: number) => ({ ts_event: T0 + m * MINUTE, ts_known: T0 + m * MINUTE });
    const run = await runAlgoGraph({
      type: 'execution.twap',
      params: { horizon_minutes: 10, slice_minutes: 5 },
      orders: [
        [
          records.order('A', 'BUY', -100, { ...at(10), order_id: 'neg' }),
          records.order('A', 'BUY', 10.5, { ...at(10), order_id: 'frac' }),
          records.order('A', 'BUY', Number.NaN, { ...at(10), order_id: 'nan' }),
          records.order('A', 'BUY', 100, { ...at(10), order_id: 'ref', ref_price: Number.POSITIVE_INFINITY }),
          records.order('A', 'BUY', 100, { ...at(10), order_id: 'ok' }),
        ],
      ],
      quotes: quotes(30, 1000),
      sessions: [{ open: T0, close: T0 + 390 * MINUTE }],
    });
    expect(run.deadLetters.map((d) => d.reason)).toEqual([
      'bad parent qty: -100 is not a positive whole number of shares (TWAP)',
      'bad parent qty: 10.5 is not a positive whole number of shares (TWAP)',
      'bad parent qty: NaN is not a positive whole number of shares (TWAP)',
      'bad parent ref_price: Infinity is not a positive price (TWAP)',
    ]);
    expect(run.reports.map((r) => [r.parent_order_id, r.status, r.filled_qty])).toEqual([['ok', 'FILLED', 100]]);
  });
});
