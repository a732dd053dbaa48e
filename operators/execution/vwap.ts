/**
 * execution.vwap — works each parent order as IOC child orders every `slice_minutes` over
 * `horizon_minutes` from its arrival (cut at the close), each slice's share of the parent in
 * proportion to the volume the symbol traded in that part of the session, on average over the last
 * `lookback_days` complete sessions the operator has seen (buckets of `bucket_minutes`). Only sessions
 * already over count: no volume of the day itself or later. With no complete session yet, it is TWAP.
 * After the last slice, and in the reports, as execution.twap.
 */
import { z } from 'zod';
import { MINUTE } from '../../lib/core/time.ts';
import { vwapSchedule } from '../../lib/execution/slicing.ts';
import { VolumeProfile } from '../../lib/execution/volume-profile.ts';
import { algoInputs, algoOutputs, runAlgorithm } from '../sdk/algo.ts';
import { checkHorizon, horizonParams, scheduleWork } from '../sdk/algo-schedule.ts';
import { defineOperator } from '../sdk/spec.ts';

const params = z
  .strictObject({
    ...horizonParams,
    bucket_minutes: z
      .number()
      .min(1)
      .max(1440)
      .default(15)
      .describe('Width of the volume profile’s buckets, minutes from the open (from one).'),
    lookback_days: z.number().int().min(1).max(260).default(5).describe('Complete sessions the volume profile averages (the latest seen).'),
    lot_size: z.number().int().min(1).default(1).describe('Shares per lot: each slice but the last is whole lots.'),
  })
  .superRefine(checkHorizon);

export const vwap = defineOperator({
  type: 'execution.vwap',
  summary:
    'VWAP: each parent order as IOC children following the intraday volume profile of past sessions; shortfall per parent on `reports`.',
  inputs: algoInputs,
  output: 'Order',
  outputs: algoOutputs,
  params,
  create: (p, ctx) => (inputs) => {
    const profiles = new Map<string, VolumeProfile>();
    const profileOf = (symbol: string): VolumeProfile => {
      let v = profiles.get(symbol);
      if (!v) profiles.set(symbol, (v = new VolumeProfile(p.bucket_minutes * MINUTE, p.lookback_days)));
      return v;
    };
    return runAlgorithm(
      ctx,
      {
        name: 'VWAP',
        begin: (o, at, session) => {
          const interval = p.slice_minutes * MINUTE;
          const end = Math.min(at + p.horizon_minutes * MINUTE, session.close);
          const profile = profileOf(o.symbol);
          const expected = (from: number, to: number) => profile.expected(from - session.open, to - session.open);
          return scheduleWork(vwapSchedule(o.qty, p.lot_size, at, end, interval, expected), o.qty, interval);
        },
        trade: (symbol, _at, size, offset) => profileOf(symbol).add(offset, size),
        close: () => {
          for (const v of profiles.values()) v.endDay();
        },
      },
      inputs,
    );
  },
});
