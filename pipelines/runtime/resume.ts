/**
 * Resuming a live run whose process died (`alpha live --resume`): the new process takes the dead
 * run's capture again through the same graph, so every node's state (features, the model's and the
 * risk model's history, positions and cash, working orders, the kill switch, order ids) is what it
 * was at the last complete arrival. Order entry only records the orders it sees then (the capture
 * says they were decided; the venue says whether they arrived), and reconciles with the venue in
 * its onRecovered hook before anything new is sent (operators/execution/ouch.ts).
 *
 * A live feed that joins again re-delivers the session from its start; what the capture already
 * holds is dropped: a source's records up to the last one captured, compared by (ts_event, id) when
 * its records carry a numeric `id` (an ITCH message number), by ts_event alone otherwise. The feed's
 * order is the message order, so the duplicates are a prefix of what the source delivers.
 */
import { ColumnBatch, type EdgeBatch } from '../../lib/core/column-batch.ts';
import { AlphaError } from '../../lib/core/errors.ts';
import type { SourceRecord } from '../../operators/sdk/spec.ts';
import type { Capture } from '../io/capture-log.ts';
import type { ArrivalSteps } from './arrivals.ts';
import { takeArrival } from './drive-capture.ts';
import type { BuiltGraph } from './graph.ts';

export interface Resumed {
  /** Each external node's last mark in the capture. */
  marks: ReadonlyMap<string, number>;
  /** Live records dropped as already captured. */
  duplicates: number;
  /** What of a live batch of `source` the capture does not hold already (the batch itself when all of it). */
  fresh(source: string, batch: EdgeBatch<SourceRecord>): EdgeBatch<SourceRecord>;
}

/** Where the dead run's capture leaves off: refused when it cannot be resumed. */
export function checkResumable(capture: Capture, file: string): void {
  if (capture.ended)
    throw new AlphaError(
      `--resume: ${file} is the capture of a run that ended: there is nothing to resume (start a new run with --overwrite)`,
    );
  if (capture.arrivals.some((a) => a.kind === 'command' && a.command === 'stop'))
    throw new AlphaError(
      `--resume: the run of ${file} died while it was stopping (its working orders were being cancelled): start a new run with --overwrite`,
    );
}

/** Takes the dead run's arrivals again on the live graph; what they leave for the resumed run. */
export async function retake(graph: BuiltGraph, steps: ArrivalSteps, capture: Capture): Promise<Resumed> {
  const sources = new Map(graph.sources.map((s) => [s.name, s]));
  const marks = new Map<string, number>();
  const last = new Map<string, { tsEvent: number; id: number | undefined }>();
  for (const a of capture.arrivals) {
    if (a.kind === 'external' && a.mark !== undefined) marks.set(a.node, a.mark);
    if (a.kind === 'source' && a.records.length > 0) {
      const r = a.records.at(-1) as { ts_event?: unknown; id?: unknown };
      if (typeof r.ts_event === 'number') last.set(a.node, { tsEvent: r.ts_event, id: typeof r.id === 'number' ? r.id : undefined });
    }
    await takeArrival(a, graph, sources, steps);
  }
  const resumed: Resumed = {
    marks,
    duplicates: 0,
    fresh(source, batch) {
      const seen = last.get(source);
      if (!seen) return batch;
      const columns = batch instanceof ColumnBatch;
      const n = batch.length;
      const tsEvent = (i: number): number =>
        columns
          ? (batch.columns as Record<string, ArrayLike<number>>)['ts_event']![batch.start + i]!
          : ((batch as SourceRecord[])[i] as never)['ts_event'];
      const id = (i: number): unknown =>
        columns
          ? (batch.columns as Record<string, ArrayLike<number> | undefined>)['id']?.[batch.start + i]
          : ((batch as SourceRecord[])[i] as never)['id'];
      let k = 0;
      while (k < n && isSeen(tsEvent(k), id(k), seen)) k++;
      if (k < n) last.delete(source); // past the capture: the rest of the feed is new
      resumed.duplicates += k;
      if (k === 0) return batch;
      return columns ? batch.slice(k) : (batch as SourceRecord[]).slice(k);
    },
  };
  return resumed;
}

function isSeen(tsEvent: number, id: unknown, seen: { tsEvent: number; id: number | undefined }): boolean {
  if (tsEvent !== seen.tsEvent) return tsEvent < seen.tsEvent;
  return seen.id === undefined || typeof id !== 'number' || id <= seen.id;
}
