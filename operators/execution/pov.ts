/**
 * execution.pov — works each parent order at a target participation `rate` of the volume traded in
 * the symbol since the parent's arrival: every `interval_seconds` it sends an IOC child (the parent's
 * type and limit) for rate × that volume, rounded down to lots, less what is filled or working, at
 * most `max_child_qty`, until the parent is filled or the session closes. One ParentOrderReport per
 * parent on `reports`, as execution.twap.
 */
import { z } from 'zod';
import { SECOND } from '../../lib/core/time.ts';
import { povTarget } from '../../lib/execution/slicing.ts';
import { algoInputs, algoOutputs, runAlgorithm } from '../sdk/algo.ts';
import { defineOperator } from '../sdk/spec.ts';

const params = z.strictObject({
  rate: z.number().gt(0).max(1).default(0.1).describe('Target participation: the fraction of the volume traded since arrival, in (0, 1].'),
  interval_seconds: z.number().min(1).max(3600).default(60).describe('Seconds between looks at the volume (and child orders), from one.'),
  max_child_qty: z.number().int().min(1).nullable().default(null).describe('Most shares of one child order; null: no cap.'),
  lot_size: z.number().int().min(1).default(1).describe('Shares per lot: targets are whole lots.'),
});

export const pov = defineOperator({
  type: 'execution.pov',
  summary:
    'POV: each parent order at a participation rate of the volume traded since its arrival, in capped IOC children; shortfall per parent on `reports`.',
  inputs: algoInputs,
  output: 'Order',
  outputs: algoOutputs,
  params,
  create: (p, ctx) => (inputs) => {
    const volume = new Map<string, number>();
    const interval = p.interval_seconds * SECOND;
    return runAlgorithm(
      ctx,
      {
        name: 'POV',
        begin: (o) => {
          const since = volume.get(o.symbol) ?? 0;
          return {
            step: (at) => ({
              target: povTarget(o.qty, p.lot_size, p.rate, (volume.get(o.symbol) ?? 0) - since),
              cap: p.max_child_qty ?? Infinity,
              next: at + interval,
            }),
          };
        },
        trade: (symbol, _at, size) => volume.set(symbol, (volume.get(symbol) ?? 0) + size),
      },
      inputs,
    );
  },
});
