import { Subject } from 'rxjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EdgeBatch, rowsOf } from '../../lib/core/column-batch.ts';
import type { SourceRecord } from '../../operators/sdk/spec.ts';
import { SourceMerger } from '../../pipelines/runtime/merge.ts';
import type { BuiltSource } from '../../pipelines/runtime/graph.ts';

type Rec = SourceRecord & { src: number };

function source(name: string, records: Rec[], batchSize: number): BuiltSource {
  let i = 0;
  return {
    name,
    subject: new Subject<EdgeBatch<SourceRecord>>(),
    reader: {
      next: async () => {
        if (i >= records.length) return null;
        const b = records.slice(i, i + batchSize);
        i += batchSize;
        return b;
      },
      close: async () => {},
    },
  };
}

const sortedSource = fc
  .array(fc.integer({ min: 0, max: 50 }), { maxLength: 60 })
  .map((ts) => ts.sort((a, b) => a - b).map((t, seq) => ({ ts_known: t, seq })));

describe('SourceMerger', () => {
  it('delivers every record once, in (ts_known, source order, seq) order, never crossing a timer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(sortedSource, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.integer({ min: 0, max: 55 }), { maxLength: 5 }),
        async (sources, batchSize, timerTimes) => {
          const built = sources.map((recs, src) =>
            source(
              `s${src}`,
              recs.map((r) => ({ ...r, src })),
              batchSize,
            ),
          );
          const merger = new SourceMerger(built);
          const timers = [...timerTimes].sort((a, b) => a - b);
          const out: Rec[] = [];
          for (;;) {
            const limit = timers[0] ?? Infinity;
            const slice = await merger.next(limit);
            if (slice === null) break;
            if (slice === 'timer') {
              timers.shift();
              continue;
            }
            for (const r of rowsOf(slice.records)) {
              expect(r.ts_known).toBeLessThan(limit);
              out.push(r as Rec);
            }
          }
          const expected = sources
            .flatMap((recs, src) => recs.map((r) => ({ ...r, src })))
            .sort((a, b) => a.ts_known - b.ts_known || a.src - b.src || a.seq - b.seq);
          expect(out).toEqual(expected);
          expect(merger.events).toBe(expected.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
