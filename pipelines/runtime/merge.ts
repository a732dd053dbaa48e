/**
 * Merges the sources of a run into one stream in (ts_known, source order, seq) order, cut into
 * slices that never cross the next timer, so timers fire in order with the data.
 */
import type { Batch, SourceRecord } from '../../operators/sdk/spec.ts';
import type { BuiltSource } from './graph.ts';

interface Head {
  source: BuiltSource;
  order: number;
  batch: Batch<SourceRecord>;
  index: number;
  done: boolean;
}

export class SourceMerger {
  private readonly heads: Head[];
  events = 0;

  constructor(sources: readonly BuiltSource[]) {
    this.heads = sources.map((source, order) => ({ source, order, batch: [], index: 0, done: false }));
  }

  /**
   * The next slice: consecutive records of one source, all before any other source's next record
   * and strictly before `limit` (the next timer), or null when every source is exhausted.
   * Returns 'timer' when the earliest record is at or after `limit`.
   */
  async next(limit: number): Promise<{ source: BuiltSource; records: Batch<SourceRecord> } | 'timer' | null> {
    // Refill, in source order, only the heads that ran out: most slices need no read, so no await.
    for (const head of this.heads) if (!head.done && head.index >= head.batch.length) await this.fill(head);
    return this.take(limit);
  }

  /** Key of the record the next slice would start with (ts_known, source order, seq), or null at the end. */
  async peek(): Promise<{ t: number; order: number; seq: number } | null> {
    for (const head of this.heads) if (!head.done && head.index >= head.batch.length) await this.fill(head);
    let best: Head | undefined;
    for (const head of this.heads) if (!head.done && (!best || before(head, best))) best = head;
    if (!best) return null;
    const r = best.batch[best.index]!;
    return { t: r.ts_known, order: best.order, seq: r.seq };
  }

  /** The next slice from the current heads (each already holds a record unless its source is done). */
  private take(limit: number): { source: BuiltSource; records: Batch<SourceRecord> } | 'timer' | null {
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
    const first = best.batch[best.index]!;
    if (first.ts_known >= limit) return 'timer';
    const stop = second ? second.batch[second.index]! : undefined;
    const batch = best.batch;
    let end = best.index + 1;
    while (end < batch.length) {
      const r = batch[end]!;
      if (r.ts_known >= limit) break;
      if (stop && (r.ts_known > stop.ts_known || (r.ts_known === stop.ts_known && best.order > second!.order))) break;
      end++;
    }
    const records = best.index === 0 && end === batch.length ? batch : batch.slice(best.index, end);
    best.index = end;
    this.events += records.length;
    return { source: best.source, records };
  }

  private async fill(head: Head): Promise<void> {
    while (!head.done && head.index >= head.batch.length) {
      const next = await head.source.reader.next();
      if (next === null) head.done = true;
      else {
        head.batch = next;
        head.index = 0;
      }
    }
  }
}

function before(a: Head, b: Head): boolean {
  const x = a.batch[a.index]!;
  const y = b.batch[b.index]!;
  return x.ts_known < y.ts_known || (x.ts_known === y.ts_known && (a.order < b.order || (a.order === b.order && x.seq < y.seq)));
}
