import { Subject } from 'rxjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ColumnBatch, type EdgeBatch, rowsOf } from '../../lib/core/column-batch.ts';
import type { SourceRecord } from '../../operators/sdk/spec.ts';
import { runEnd, SourceMerger } from '../../pipelines/runtime/merge.ts';
import type { BuiltSource } from '../../pipelines/runtime/graph.ts';

type Rec = SourceRecord & { src: number };

/** A source of `records` in batches of `batchSize`: records, or column batches (slices of one, when `columns`). */
function source(name: string, records: Rec[], batchSize: number, columns = false): BuiltSource {
  let i = 0;
  return {
    name,
    subject: new Subject<EdgeBatch<SourceRecord>>(),
    reader: {
      next: async () => {
        if (i >= records.length) return null;
        const b = records.slice(i, i + batchSize);
        i += batchSize;
        if (!columns) return b;
        // A slice of a larger batch, so the merger must honour `start`.
        const padded = ColumnBatch.fromRecords([...b, ...b], ['ts_known', 'seq', 'src']);
        return padded.slice(b.length, 2 * b.length);
      },
      close: async () => {},
    },
  };
}

const sortedSource = fc
  .array(fc.integer({ min: 0, max: 50 }), { maxLength: 60 })
  .map((ts) => ts.sort((a, b) => a - b).map((t, seq) => ({ ts_known: t, seq })));

describe('SourceMerger', () => {
  it('delivers every record once, in (ts_known, source order, seq) order, never crossing a timer, from records or columns', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(sortedSource, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 7 }),
        fc.array(fc.integer({ min: 0, max: 55 }), { maxLength: 5 }),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        async (sources, batchSize, timerTimes, asColumns) => {
          const built = sources.map((recs, src) =>
            source(
              `s${src}`,
              recs.map((r) => ({ ...r, src })),
              batchSize,
              asColumns[src],
            ),
          );
          const merger = new SourceMerger(built);
          const timers = [...timerTimes].sort((a, b) => a - b);
          const out: Rec[] = [];
          for (;;) {
            const limit = timers[0] ?? Infinity;
            if (!merger.ready()) await merger.refill();
            const slice = merger.take(limit);
            if (slice === null) break;
            if (slice === 'timer') {
              timers.shift();
              continue;
            }
            for (const r of rowsOf(slice.records)) {
              expect(r.ts_known).toBeLessThan(limit);
              out.push({ ...(r as Rec) });
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

  it('finds the end of a run as a scan would (runEnd)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 40 }).map((ts) => ts.sort((a, b) => a - b)),
        fc.nat(40),
        fc.integer({ min: -1, max: 22 }),
        fc.boolean(),
        (ts, start, bound, inclusive) => {
          const from = Math.min(start, ts.length);
          let scan = from;
          while (scan < ts.length && (inclusive ? ts[scan]! <= bound : ts[scan]! < bound)) scan++;
          expect(runEnd(Float64Array.from(ts), from, ts.length, bound, inclusive)).toBe(scan);
        },
      ),
      { numRuns: 500 },
    );
  });
});
