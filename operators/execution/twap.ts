/**
 * execution.twap — works each parent order as equal child orders, one every `slice_minutes` over
 * `horizon_minutes` from its arrival (cut at the session's close), each the parent's type and limit,
 * immediate-or-cancel: what a child could not fill goes out with the next. After the last slice it
 * sends what is still missing every slice until filled or the close. One ParentOrderReport per parent
 * on `reports`: fills and implementation shortfall against the arrival mid.
 */
import { z } from 'zod';
import { MINUTE } from '../../lib/core/time.ts';
import { twapSchedule } from '../../lib/execution/slicing.ts';
import { algoInputs, algoOutputs, runAlgorithm } from '../sdk/algo.ts';
import { checkHorizon, horizonParams, scheduleWork } from '../sdk/algo-schedule.ts';
import { defineOperator } from '../sdk/spec.ts';

const params = z
  .strictObject({
    ...horizonParams,
    lot_size: z.number().int().min(1).default(1).describe('Shares per lot: each slice but the last is whole lots.'),
  })
  .superRefine(checkHorizon);

export const twap = defineOperator({
  type: 'execution.twap',
  summary: 'TWAP: each parent order as equal IOC children at even times over a horizon; shortfall per parent on `reports`.',
  inputs: algoInputs,
  output: 'Order',
  outputs: algoOutputs,
  params,
  create: (p, ctx) => (inputs) =>
    runAlgorithm(
      ctx,
      {
        name: 'TWAP',
        begin: (o, at, session) => {
          const interval = p.slice_minutes * MINUTE;
          const end = Math.min(at + p.horizon_minutes * MINUTE, session.close);
          return scheduleWork(twapSchedule(o.qty, p.lot_size, at, end, interval), o.qty, interval);
        },
      },
      inputs,
    ),
});
