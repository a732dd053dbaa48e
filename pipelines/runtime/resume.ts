/**
 * Resuming a live run whose process died (`alpha live --resume`): the new process takes the dead
 * run's capture again through the same graph, so every node's state (features, the model's and the
 * risk model's history, positions and cash, working orders, the kill switch, order ids) is what it
 * was at the last complete arrival. Order entry only records the orders it sees then (the capture
 * says they were decided; the venue says whether they arrived), and reconciles with the venue in
 * its onRecovered hook before anything new is sent (operators/execution/ouch.ts).
 *
 * A live feed that joins again re-delivers the session from its start, and a group's Kafka input
 * the last batch it took (not yet committed): what the capture already holds is dropped (feedPrefix,
 * uncommitted below).
 */
import { ColumnBatch, type EdgeBatch, rowsOf } from '../../lib/core/column-batch.ts';
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
  // A warm start's sessions come before the live one; the switch to live is its go-live.
  if (capture.header.sessions.length > 1 && !capture.arrivals.some((a) => a.kind === 'command' && a.command === 'go-live'))
    throw new AlphaError(
      `--resume: the run of ${file} died during its warm-up, before it went live: start a new run (--warm, --overwrite)`,
    );
  if (capture.arrivals.some((a) => a.kind === 'command' && a.command === 'stop'))
    throw new AlphaError(
      `--resume: the run of ${file} died while it was stopping (its working orders were being cancelled): start a new run with --overwrite`,
    );
}

/** Takes the dead run's arrivals again on the live graph; what they leave for the resumed run. */
export async function retake(
  graph: BuiltGraph,
  steps: ArrivalSteps,
  capture: Capture,
  kafkaInputs: ReadonlySet<string> = new Set(),
): Promise<Resumed> {
  const sources = new Map(graph.sources.map((s) => [s.name, s]));
  const marks = new Map<string, number>();
  const lastBatch = new Map<string, unknown[]>();
  for (const a of capture.arrivals) {
    if (a.kind === 'external' && a.mark !== undefined) marks.set(a.node, a.mark);
    if (a.kind === 'source' && a.records.length > 0) lastBatch.set(a.node, a.records);
    await takeArrival(a, graph, sources, steps);
  }
  const filters = new Map<string, (batch: EdgeBatch<SourceRecord>) => number[] | 'all' | 'none'>();
  for (const [source, records] of lastBatch)
    filters.set(source, kafkaInputs.has(source) ? uncommitted(records) : feedPrefix(records.at(-1) as Record<string, unknown>));
  const resumed: Resumed = {
    marks,
    duplicates: 0,
    fresh(source, batch) {
      const filter = filters.get(source);
      if (!filter) return batch;
      const keep = filter(batch);
      if (keep === 'all') return batch;
      if (keep === 'none') {
        resumed.duplicates += batch.length;
        return batch instanceof ColumnBatch ? batch.slice(0, 0) : [];
      }
      resumed.duplicates += batch.length - keep.length;
      if (batch instanceof ColumnBatch) return batch.pick(keep.map((i) => batch.start + i));
      return keep.map((i) => (batch as SourceRecord[])[i]!);
    },
  };
  return resumed;
}

/** Field `name` of row `i` of a batch (undefined when its records have no such field). */
function field(batch: EdgeBatch<SourceRecord>, i: number, name: string): unknown {
  if (!(batch instanceof ColumnBatch)) return ((batch as SourceRecord[])[i] as unknown as Record<string, unknown>)[name];
  if (!(name in batch.columns)) return undefined;
  return batch.value(name as keyof SourceRecord & string, batch.start + i);
}

/**
 * A feed that joins again re-delivers the session from its start: its records up to the last one
 * captured, by (ts_event, id) when the records carry a numeric `id`, by ts_event alone otherwise.
 */
function feedPrefix(last: Record<string, unknown>): (batch: EdgeBatch<SourceRecord>) => number[] | 'all' | 'none' {
  const tsEvent = last['ts_event'];
  if (typeof tsEvent !== 'number') return () => 'all';
  const id = typeof last['id'] === 'number' ? last['id'] : undefined;
  const seen = (batch: EdgeBatch<SourceRecord>, i: number): boolean => {
    const t = field(batch, i, 'ts_event') as number;
    if (t !== tsEvent) return t < tsEvent;
    const x = field(batch, i, 'id');
    return id === undefined || typeof x !== 'number' || x <= id;
  };
  let past = false; // past what the capture holds: the rest of the feed is new
  return (batch) => {
    if (past) return 'all';
    let k = 0;
    while (k < batch.length && seen(batch, k)) k++;
    if (k < batch.length) past = true;
    if (k === 0) return 'all';
    if (k === batch.length) return 'none';
    return Array.from({ length: batch.length - k }, (_, j) => k + j);
  };
}

/**
 * A group's Kafka input commits a batch when the graph asks for the next one, so the last batch the
 * dead run captured may come again: each of its records is dropped once, matched on every field but
 * the receive stamp and arrival order (ts_known, seq), which the new process gives afresh.
 */
function uncommitted(records: readonly unknown[]): (batch: EdgeBatch<SourceRecord>) => number[] | 'all' | 'none' {
  const pending = new Map<string, number>();
  for (const r of records) {
    const k = identity(r as Record<string, unknown>);
    pending.set(k, (pending.get(k) ?? 0) + 1);
  }
  return (batch) => {
    if (pending.size === 0) return 'all';
    const keep: number[] = [];
    rowsOf(batch).forEach((r, i) => {
      const k = identity(r as unknown as Record<string, unknown>);
      const n = pending.get(k);
      if (n === undefined) keep.push(i);
      else if (n === 1) pending.delete(k);
      else pending.set(k, n - 1);
    });
    // Kept until matched: with several partitions the repeats may come after new records of another.
    return keep.length === batch.length ? 'all' : keep.length === 0 ? 'none' : keep;
  };
}

function identity(r: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(r)
      .filter((k) => k !== 'ts_known' && k !== 'seq')
      .sort()
      .map((k) => [k, r[k]]),
  );
}
