/**
 * `test.wall-quotes`: a live source of the given quote batches on a wall clock it moves itself, for
 * live runs of the harness (runLive) without a venue: each batch arrives at its last quote's time,
 * and the source ends at `endsAt` (default 2 minutes into the session of records.ts's T0), so the
 * run's end closes the bars before it.
 */
import { z } from 'zod';
import { MINUTE, type Micros } from '../../lib/core/time.ts';
import { type AnySpec, defineSource } from '../../operators/sdk/spec.ts';
import type { TimeSource } from '../../pipelines/runtime/wall-clock.ts';
import type { Quote } from '../../schemas/types.generated.ts';
import { T0 } from './records.ts';

export function wallQuotes(batches: readonly (readonly Quote[])[], endsAt: Micros = T0 + 2 * MINUTE): { spec: AnySpec; time: TimeSource } {
  let wall: Micros = T0;
  const time: TimeSource = { now: () => wall, wakeAt: () => () => {} };
  const spec = defineSource({
    type: 'test.wall-quotes',
    summary: 'Test source: quote batches, the wall clock at each batch.',
    output: 'Quote',
    params: z.strictObject({}),
    open: () => {
      let i = 0;
      return {
        next: async () => {
          const batch = batches[i++];
          wall = batch ? batch.at(-1)!.ts_known : endsAt;
          return batch ? batch.map((q) => ({ ...q })) : null;
        },
        close: async () => {},
      };
    },
  });
  return { spec, time };
}
