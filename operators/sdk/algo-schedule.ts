/** A parent worked along a fixed schedule of slices (TWAP, VWAP), then caught up every interval. */
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
