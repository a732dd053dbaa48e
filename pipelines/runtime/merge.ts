/**
 * Merges the sources of a run into one stream in (ts_known, source order, seq) order, cut into
 * slices that never cross the next timer, so timers fire in order with the data. A slice is a run of
 * one source found by searching its ts_known keys (a column, for column batches), not record by
 * record, and is handed on as a slice of the source's batch (no copy for column batches).
 */
import { ColumnBatch, type EdgeBatch } from '../../lib/core/column-batch.ts';
import type { SourceRecord } from '../../operators/sdk/spec.ts';
import type { BuiltSource } from './graph.ts';
import type { StepKey } from './step.ts';

interface Head {
  readonly source: BuiltSource;
  readonly order: number;
  batch: EdgeBatch<SourceRecord> | undefined;
  /** ts_known and seq of the batch's rows, by absolute row index (`index` … `end − 1` are unread). */
  ts: ArrayLike<number>;
  seq: ArrayLike<number>;
  index: number;
  end: number;
  done: boolean;
}

export interface Slice {
  source: BuiltSource;
  records: EdgeBatch<SourceRecord>;
}

const NONE: ArrayLike<number> = new Float64Array(0);

export class SourceMerger {
  private readonly heads: Head[];
  events = 0;

  constructor(sources: readonly BuiltSource[]) {
    this.heads = sources.map((source, order) => ({ source, order, batch: undefined, ts: NONE, seq: NONE, index: 0, end: 0, done: false }));
  }

  /** Whether every source still open has a record in hand, so `take` needs no read. */
  ready(): boolean {
    for (const head of this.heads) if (!head.done && head.index >= head.end) return false;
    return true;
  }

  /** Reads the next batch of every open source that ran out. */
  async refill(): Promise<void> {
    for (const head of this.heads) if (!head.done && head.index >= head.end) await this.fill(head);
  }

  /** The key of the step the next slice would be (ts_known, source order, seq; call `refill` first unless `ready`), or null at the end. */
  headKey(): StepKey | null {
    const best = this.best();
    return best ? { t: best.ts[best.index]!, phase: 1, order: best.order, seq: best.seq[best.index]! } : null;
  }

  /** ts_known of the next record (after `refill`), or Infinity at the end. */
  headTime(): number {
    const best = this.best();
    return best ? best.ts[best.index]! : Infinity;
  }

  /**
   * The next slice from the current heads (call `refill` first unless `ready`): consecutive records of
   * one source, all before any other source's next record and strictly before `limit` (the next
   * timer); 'timer' when the earliest record is at or after `limit`; null when every source is done.
   */
  take(limit: number): Slice | 'timer' | null {
    let best: Head | undefined;
    let second: Head | undefined;
    for (const head of this.heads) {
      if (head.done) continue;
      if (!best || before(head, best)) {
        second = best;
        best = head;
      } else if (!second || before(head, second)) {
        second = head;
      }
    }
    if (!best) return null;
    const ts = best.ts;
    const from = best.index;
    if (ts[from]! >= limit) return 'timer';
    // The run ends at the first record at or after the limit or not before the other source's next
    // record: at the same ts_known, the source listed first goes first.
    let bound = limit;
    let inclusive = false;
    if (second) {
      const stop = second.ts[second.index]!;
      if (stop < bound || (stop === bound && best.order < second.order)) {
        bound = stop;
        inclusive = best.order < second.order && stop < limit;
      }
    }
    const to = runEnd(ts, from + 1, best.end, bound, inclusive);
    best.index = to;
    this.events += to - from;
    return { source: best.source, records: cut(best, from, to) };
  }

  private best(): Head | undefined {
    let best: Head | undefined;
    for (const head of this.heads) if (!head.done && (!best || before(head, best))) best = head;
    return best;
  }

  private async fill(head: Head): Promise<void> {
    while (!head.done && head.index >= head.end) {
      const next = await head.source.reader.next();
      if (next === null) {
        head.done = true;
        head.batch = undefined;
      } else if (next instanceof ColumnBatch) {
        head.batch = next;
        head.ts = next.columns.ts_known;
        head.seq = next.columns.seq;
        head.index = next.start;
        head.end = next.end;
      } else {
        head.batch = next;
        head.ts = Float64Array.from(next, (r) => r.ts_known);
        head.seq = Float64Array.from(next, (r) => r.seq);
        head.index = 0;
        head.end = next.length;
      }
    }
  }
}

/** Rows `from … to − 1` (absolute) of the head's batch, without a copy when it is the whole batch. */
function cut(head: Head, from: number, to: number): EdgeBatch<SourceRecord> {
  const batch = head.batch!;
  if (batch instanceof ColumnBatch) return batch.slice(from - batch.start, to - batch.start);
  return from === 0 && to === batch.length ? batch : batch.slice(from, to);
}

/**
 * The first index in `from … end` whose key is at or after `bound` (after it, when `inclusive`); the
 * keys ascend. Gallops from `from`, since most runs are short, then bisects.
 */
export function runEnd(ts: ArrayLike<number>, from: number, end: number, bound: number, inclusive: boolean): number {
  let lo = from;
  let step = 1;
  let hi = from;
  while (hi < end && !past(ts[hi]!, bound, inclusive)) {
    lo = hi + 1;
    hi = from + step;
    step *= 2;
  }
  if (hi > end) hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (past(ts[mid]!, bound, inclusive)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Whether key `t` ends a run bounded by `bound`: at or after it, or after it when `inclusive` (no closure per run: one is made per step). */
function past(t: number, bound: number, inclusive: boolean): boolean {
  return t > bound || (t === bound && !inclusive);
}

function before(a: Head, b: Head): boolean {
  const x = a.ts[a.index]!;
  const y = b.ts[b.index]!;
  return x < y || (x === y && (a.order < b.order || (a.order === b.order && a.seq[a.index]! < b.seq[b.index]!)));
}
