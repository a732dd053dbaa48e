/** A parent worked along a fixed schedule of slices (TWAP, VWAP), then caught up every interval. */
import { z } from 'zod';
import type { Micros } from '../../lib/core/time.ts';
import type { Slice } from '../../lib/execution/slicing.ts';
import type { Work } from './algo.ts';

/**
 * At each slice's time its cumulative target; after the last slice the whole `qty` every `interval`
 * (what IOC children left unfilled), until the parent is filled or the session closes.
 */
export function scheduleWork(slices: readonly Slice[], qty: number, interval: Micros): Work {
  let i = 0;
  return {
    step: (at) => {
      while (i < slices.length - 1 && slices[i + 1]!.at <= at) i++;
      const slice = slices[i]!;
      const target = slice.at <= at ? slice.cumulative : 0;
      const next = i + 1 < slices.length ? slices[i + 1]!.at : at + interval;
      return { target: i === slices.length - 1 ? qty : target, next };
    },
  };
}

/** The most child orders a parent is sliced into: its whole schedule is made when it arrives. */
export const MAX_SLICES = 1440;
/** The shortest slice: one second. */
const MIN_SLICE_MINUTES = 1 / 60;

/** The params of a schedule over a horizon (TWAP, VWAP): how long, and how often a child goes out. */
export const horizonParams = {
  horizon_minutes: z
    .number()
    .gt(0)
    .max(1440)
    .default(30)
    .describe('Minutes from a parent’s arrival over which it is spread (at most to the close).'),
  slice_minutes: z
    .number()
    .min(MIN_SLICE_MINUTES)
    .max(1440)
    .default(5)
    .describe(`Minutes between child orders, from one second; at most horizon_minutes, and at most ${MAX_SLICES} slices in a horizon.`),
};

/** Refuses a slice longer than the horizon, or so short that a parent makes more than MAX_SLICES children (for the `superRefine` of a schema with {@link horizonParams}). */
export function checkHorizon(p: { horizon_minutes: number; slice_minutes: number }, issue: z.RefinementCtx): void {
  if (p.horizon_minutes > 0 && p.slice_minutes > p.horizon_minutes)
    issue.addIssue({ code: 'custom', path: ['slice_minutes'], message: `expected at most horizon_minutes (${p.horizon_minutes})` });
  else if (p.slice_minutes >= MIN_SLICE_MINUTES && p.horizon_minutes / p.slice_minutes > MAX_SLICES)
    issue.addIssue({
      code: 'custom',
      path: ['slice_minutes'],
      message: `expected at least horizon_minutes / ${MAX_SLICES} (${Number((p.horizon_minutes / MAX_SLICES).toPrecision(3))}): a parent's slices are planned at its arrival`,
    });
}
