/**
 * The consuming side of an edge that enters a process group. Records are gathered by the step that
 * emitted them (see publisher.ts); the edge's watermark is the lowest step key any partition has
 * confirmed. Before the group takes a step, `ready` waits until the watermark has passed it, then
 * schedules every complete remote step up to the watermark on the group's clock, as a timer at the
 * producer's time and rank: delivering its batches there puts them where they were in the producing
 * process, and a step with no records still cuts the stream as the producer's timer did.
 *
 * A producer that was restarted replays its run from the start and sends its steps again: records of
 * a step already delivered, or already received, are recognised by (step, batch, index) and dropped,
 * and a partition's watermark never moves back.
 */
import type { Subject } from 'rxjs';
import type { EdgeBatch } from '../../../lib/core/column-batch.ts';
import { AlphaError } from '../../../lib/core/errors.ts';
import type { EventClock } from '../event-clock.ts';
import { compareKeys, decodeKey, encodeKey, END_KEY, type StepKey } from '../step.ts';
import type { InboundEdge, InboundItem } from './edges.ts';
import { BATCH_HEADER, RECORDS_HEADER, REPLICA_HEADER, STEP_HEADER } from './publisher.ts';
import { Heap } from '../../../lib/core/heap.ts';

interface RemoteStep {
  key: StepKey;
  /** (replica, batch number) → its records by index. */
  batches: Map<string, { replica: number; n: number; records: unknown[]; count: number; received: number }>;
  items: InboundItem[];
}

/** Items (records and controls) read ahead of the group's steps before reading pauses. */
const MAX_BUFFERED = 65_536;
/**
 * Items held at most for steps past every confirmation any partition or replica has sent. While the
 * group waits for this edge it reads on past MAX_BUFFERED (the watermark it needs may be behind what
 * is buffered), and a partition or replica that lags (a restarted replica replaying its run) lets
 * the others' confirmed steps pile up: that is bounded by the run's own edge. But records of steps no
 * one has confirmed are a step's emission at most, unless the producer stamps steps it will never
 * confirm (an audit's 300,000 records of a far-future step took 871 MB, then vanished).
 */
const MAX_UNCONFIRMED = 4 * MAX_BUFFERED;
/** The most records one emission (one batch of a step, publisher.ts) may claim. */
const MAX_BATCH_RECORDS = 1 << 24;

const BEFORE_ALL: StepKey = { t: -Infinity, phase: 0, order: -Infinity, seq: -Infinity };

export class EdgeSubscriber {
  /** Per partition and producer replica: the last step confirmed. */
  private readonly marks: StepKey[][];
  private readonly steps = new Map<string, RemoteStep>();
  private readonly order = new Heap<RemoteStep>((a, b) => compareKeys(a.key, b.key) < 0);
  /**
   * Per partition, the last item whose step was delivered, not yet committed: a commit takes the
   * offset after the last one, so the others need not be kept (they held their records for up to a
   * second of commits).
   */
  private readonly processed = new Map<number, InboundItem>();
  /** Items taken into steps not yet delivered: reading pauses at MAX_BUFFERED unless the group waits for this edge. */
  private buffered = 0;
  private resume: (() => void) | undefined;
  private waiting: (() => void) | undefined;
  private failure: unknown;
  private closed = false;
  private readonly pump: Promise<void>;
  received = 0;
  /** Per producer replica, the records its end control says it wrote (undefined until one came). */
  private readonly wrote: (number | undefined)[];
  /** Records dropped as copies of ones already received (a restarted producer's replay). */
  duplicates = 0;
  /** The step header of the last item taken, decoded, and its step once looked up. */
  private last: { text: string | undefined; key: StepKey; step: RemoteStep | undefined } = {
    text: undefined,
    key: BEFORE_ALL,
    step: undefined,
  };
  /** Steps up to this key have been put on the clock. */
  private delivered: StepKey = BEFORE_ALL;
  /** Items held when the unconfirmed ones are next counted (checkUnconfirmed). */
  private nextCheck = MAX_UNCONFIRMED;
  /** Steps put on the clock whose time has not come yet, and the last step put there. */
  private scheduled = 0;
  private lastScheduled: StepKey = BEFORE_ALL;

  constructor(
    readonly producer: string,
    private readonly edge: InboundEdge,
    partitions: number,
    /** Processes producing the edge (a replicated group's replicas). */
    producers: number,
    private readonly subject: Subject<EdgeBatch<unknown>>,
    private readonly clock: EventClock,
  ) {
    this.marks = Array.from({ length: partitions }, () => Array.from({ length: producers }, () => BEFORE_ALL));
    this.wrote = Array.from({ length: producers }, () => undefined);
    this.pump = this.run();
  }

  /** Records of this edge sent to its dead-letter topic. */
  get deadLettered(): number {
    return this.edge.deadLettered();
  }

  /** The lowest step every partition has confirmed. */
  get watermark(): StepKey {
    // Asked before every step of the group: no arrays made here.
    let low = this.marks[0]![0]!;
    for (const byReplica of this.marks) for (const mark of byReplica) if (compareKeys(mark, low) < 0) low = mark;
    return low;
  }

  /** Resolves once every remote step up to `key` is on the clock. */
  async ready(key: StepKey): Promise<void> {
    const wait = this.readyOrWait(key);
    if (wait) await wait;
  }

  /**
   * {@link ready} without a promise when the watermark has passed `key` already, as it has before
   * most steps: the group calls it before every step, and an await per step was a large part of a
   * split run's allocation. A promise only when the step must wait for the producer.
   */
  readyOrWait(key: StepKey): Promise<void> | undefined {
    if (this.failure) throw this.failure;
    if (compareKeys(this.watermark, key) < 0) return this.waitFor(key);
    this.schedule();
    return undefined;
  }

  private async waitFor(key: StepKey): Promise<void> {
    while (compareKeys(this.watermark, key) < 0) {
      if (this.failure) throw this.failure;
      this.resumeReading(); // the group waits for this edge: read on, however much is buffered
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
    if (this.failure) throw this.failure;
    this.schedule();
  }

  async close(): Promise<void> {
    await this.commitProcessed();
    this.closed = true;
    this.waiting?.();
    this.resumeReading();
    await this.edge.close();
    await this.pump.catch(() => undefined);
  }

  private async run(): Promise<void> {
    try {
      while (!this.closed && compareKeys(this.watermark, END_KEY) < 0) {
        // A producer ahead of this group (or a topic written before it started) would otherwise be
        // read into memory whole: wait for the group's steps to take what is buffered.
        if (this.buffered >= MAX_BUFFERED && this.waiting === undefined) await new Promise<void>((r) => (this.resume = r));
        if (this.closed) break;
        if (this.buffered >= this.nextCheck) this.checkUnconfirmed();
        const items = await this.edge.next();
        for (const item of items) this.take(item);
        this.waiting?.();
      }
    } catch (err) {
      this.failure = this.closed ? undefined : err;
      this.waiting?.();
    }
  }

  private take(item: InboundItem): void {
    const stepText = item.headers[STEP_HEADER];
    if (stepText === undefined)
      throw new AlphaError(`edge of "${this.producer}": a record without the ${STEP_HEADER} header in partition ${item.partition}`);
    // The records of one batch arrive together and share their step: decoded once for all of them.
    if (stepText !== this.last.text) this.last = { text: stepText, key: this.stepKeyOf(stepText, item), step: undefined };
    const key = this.last.key;
    const replicaText = item.headers[REPLICA_HEADER];
    const replica = replicaText === undefined || replicaText === '0' ? 0 : Number(replicaText);
    const marks = this.marks[item.partition];
    if (!marks || !Number.isInteger(replica) || replica < 0 || replica >= marks.length) {
      throw new AlphaError(
        `edge of "${this.producer}": partition ${item.partition}, replica ${item.headers[REPLICA_HEADER]} is outside the ${this.marks.length} partitions × ${this.marks[0]?.length} replicas expected`,
      );
    }
    if (item.kind === 'control') {
      if (item.end) this.noteWritten(item, replica);
      const mark = item.end ? END_KEY : key;
      if (compareKeys(mark, marks[replica]!) > 0) marks[replica] = mark;
      // Committed with its step, after the records before it were delivered.
      if (compareKeys(key, this.delivered) <= 0) this.markProcessed(item);
      else this.hold(this.stepOf(key), item);
      return;
    }
    if (compareKeys(key, this.delivered) <= 0) {
      this.duplicates++;
      this.markProcessed(item);
      return;
    }
    const step = this.stepOf(key);
    this.hold(step, item);
    const [batchNo, index, count] = batchFields(item.headers[BATCH_HEADER] ?? '');
    if (
      !Number.isSafeInteger(batchNo) ||
      !Number.isInteger(index) ||
      !Number.isInteger(count) ||
      batchNo < 0 ||
      count < 1 ||
      count > MAX_BATCH_RECORDS ||
      index < 0 ||
      index >= count
    ) {
      throw new AlphaError(
        `edge of "${this.producer}": ${where(item)}: malformed ${BATCH_HEADER} header "${shortHeader(item.headers[BATCH_HEADER])}"` +
          ` (expected batch:index:count, 0 ≤ index < count ≤ ${MAX_BATCH_RECORDS})`,
      );
    }
    const id = `${replica}:${batchNo}`;
    let batch = step.batches.get(id);
    if (!batch) step.batches.set(id, (batch = { replica, n: batchNo, records: new Array<unknown>(count), count, received: 0 }));
    else if (batch.count !== count)
      throw new AlphaError(
        `edge of "${this.producer}": ${where(item)}: batch ${batchNo} of step ${encodeKey(key)} said ${batch.count} records, this record says ${count}`,
      );
    if (batch.records[index] !== undefined) {
      this.duplicates++;
      return;
    }
    batch.records[index] = item.value;
    batch.received++;
    this.received++;
  }

  /**
   * Fails when more than MAX_UNCONFIRMED items are held for steps past the highest confirmation of
   * any partition and replica. Looked at each time another MAX_BUFFERED items are held past
   * MAX_UNCONFIRMED (it walks the held steps).
   */
  private checkUnconfirmed(): void {
    let highest = BEFORE_ALL;
    for (const byReplica of this.marks) for (const mark of byReplica) if (compareKeys(mark, highest) > 0) highest = mark;
    let ahead = 0;
    let first: StepKey | undefined;
    for (const step of this.steps.values()) {
      if (compareKeys(step.key, highest) <= 0) continue;
      ahead += step.items.length;
      if (first === undefined || compareKeys(step.key, first) < 0) first = step.key;
    }
    if (ahead >= MAX_UNCONFIRMED)
      throw new AlphaError(
        `edge of "${this.producer}": ${ahead} records held for steps no partition has confirmed ` +
          `(the highest confirmation ${highest.t === -Infinity ? 'none yet' : encodeKey(highest)}, the first such step ${encodeKey(first!)}): ` +
          `at most ${MAX_UNCONFIRMED} are held; expected a producer that confirms the steps it sends`,
      );
    this.nextCheck = this.buffered + MAX_BUFFERED;
  }

  private stepKeyOf(text: string, item: InboundItem): StepKey {
    try {
      return decodeKey(text);
    } catch (err) {
      throw new AlphaError(
        `edge of "${this.producer}": ${where(item)}: ${err instanceof Error ? err.message.replace(text, shortHeader(text)) : String(err)}`,
      );
    }
  }

  /** The count of records an end control gives for its replica: the same on every partition. */
  private noteWritten(item: InboundItem, replica: number): void {
    const text = item.headers[RECORDS_HEADER];
    const n = text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n))
      throw new AlphaError(
        `edge of "${this.producer}": ${where(item)}: an end without a ${RECORDS_HEADER} count ("${shortHeader(text)}"); expected the number of records its producer wrote`,
      );
    const before = this.wrote[replica];
    if (before !== undefined && before !== n)
      throw new AlphaError(
        `edge of "${this.producer}": ${where(item)}: an end saying replica ${replica} wrote ${n} records, where another said ${before}`,
      );
    this.wrote[replica] = n;
  }

  /**
   * Why the edge is not done at the end of the run: a step it put on the clock past the run's end
   * (the clock never got there), or one it still holds. Every step a producer emits is within the
   * run's sessions, as the group's are, so either means records never delivered. Or records missing:
   * fewer arrived (delivered or dead-lettered) than its producers say they wrote (a record lost or
   * refused, or an end, a watermark or a step someone else wrote on the edge), or more.
   */
  undelivered(): string | undefined {
    const wrote = this.wrote.every((n) => n !== undefined) ? this.wrote.reduce<number>((a, n) => a + n!, 0) : undefined;
    // A restarted producer's copy of a refused record is refused again: dead letters may count a record twice.
    if (wrote !== undefined && (this.received + this.deadLettered < wrote || this.received > wrote))
      return (
        `edge of "${this.producer}": its producer${this.wrote.length > 1 ? 's' : ''} wrote ${wrote} records, ${this.received} were delivered` +
        `${this.deadLettered > 0 ? ` and ${this.deadLettered} refused as dead letters` : ''}: ` +
        (this.received > wrote
          ? `${this.received - wrote} more than were written (records not the producer's on the edge)`
          : `${wrote - this.received - this.deadLettered} never reached this group (lost, or dropped behind an end, a watermark or a step not the producer's); the run is incomplete`)
      );
    if (this.scheduled === 0 && this.order.size === 0) return undefined;
    const last = this.order.size > 0 ? this.order.peek()!.key : this.lastScheduled;
    return (
      `edge of "${this.producer}": ${this.scheduled + this.order.size} step(s) of records never delivered, at ${encodeKey(last)} among them` +
      ' (past the end of the run); expected steps within the run’s sessions'
    );
  }

  /**
   * `stepAt` for the step of the last item taken, kept with it: its key is past `delivered` (take
   * checks), so it cannot have been scheduled and removed since.
   */
  private stepOf(key: StepKey): RemoteStep {
    this.last.step ??= this.stepAt(key);
    return this.last.step;
  }

  private stepAt(key: StepKey): RemoteStep {
    const id = encodeKey(key);
    let step = this.steps.get(id);
    if (!step) {
      this.steps.set(id, (step = { key, batches: new Map(), items: [] }));
      this.order.push(step);
    }
    return step;
  }

  /** Puts every remote step at or below the watermark on the clock, in key order. */
  private schedule(): void {
    const mark = this.watermark;
    if (compareKeys(mark, this.delivered) > 0) this.delivered = mark;
    while (this.order.size > 0 && compareKeys(this.order.peek()!.key, mark) <= 0) {
      const step = this.order.pop()!;
      this.steps.delete(encodeKey(step.key));
      // Replicas' batches of one step in replica order (each replica holds other symbols).
      const batches = [...step.batches.values()]
        .sort((a, b) => a.replica - b.replica || a.n - b.n)
        .map((b) => {
          if (b.received !== b.count)
            throw new AlphaError(
              `edge of "${this.producer}": batch ${b.n} of replica ${b.replica} in step ${encodeKey(step.key)} has ${b.received} of ${b.count} records`,
            );
          return b.records;
        });
      const deliver = (): void => {
        for (const records of batches) this.subject.next(records);
        this.release(step.items);
      };
      if (step.key.t === Infinity) {
        // Emitted while the producer finished: delivered before this group finishes (see connect.ts).
        this.atEnd.push(deliver);
      } else if (step.key.phase === 0) {
        this.scheduled++;
        this.lastScheduled = step.key;
        const counted = (): void => {
          this.scheduled--;
          deliver();
        };
        this.clock.schedule(step.key.t, counted, step.key.order); // the rank of the producer's timer
      } else if (batches.length > 0) {
        throw new AlphaError(
          `edge of "${this.producer}": records emitted on a data step (${encodeKey(step.key)}) cannot be placed in event time`,
        );
      } else {
        this.release(step.items);
      }
    }
  }

  private hold(step: RemoteStep, item: InboundItem): void {
    step.items.push(item);
    this.buffered++;
  }

  /** A delivered step's items: processed, and no longer buffered. */
  private release(items: readonly InboundItem[]): void {
    for (const item of items) this.markProcessed(item);
    this.buffered -= items.length;
    if (this.buffered < MAX_UNCONFIRMED) this.nextCheck = MAX_UNCONFIRMED;
    if (this.buffered < MAX_BUFFERED / 2) this.resumeReading();
  }

  /** Keeps the item of the partition's highest offset (a copy of a delivered step is processed when read, before items held for a later step). */
  private markProcessed(item: InboundItem): void {
    const last = this.processed.get(item.partition);
    if (last === undefined || last.offset === undefined || item.offset === undefined || Number(item.offset) > Number(last.offset))
      this.processed.set(item.partition, item);
  }

  private resumeReading(): void {
    const r = this.resume;
    this.resume = undefined;
    r?.();
  }

  /** Commits what has been delivered (offsets are committed after processing). */
  async commitProcessed(): Promise<void> {
    if (this.processed.size === 0) return;
    const items = [...this.processed.values()];
    this.processed.clear();
    await this.edge.commit(items);
  }

  /** Deliveries of what the producer emitted as it finished. */
  readonly atEnd: (() => void)[] = [];
}

/** The first three `:`-separated numbers of a `n:i:count` batch header, as `split(':').map(Number)` reads them (NaN when missing). */
function batchFields(text: string): [number, number, number] {
  const a = text.indexOf(':');
  const b = a < 0 ? -1 : text.indexOf(':', a + 1);
  if (b < 0) return [Number.NaN, Number.NaN, Number.NaN];
  const c = text.indexOf(':', b + 1);
  return [Number(text.slice(0, a)), Number(text.slice(a + 1, b)), Number(text.slice(b + 1, c < 0 ? text.length : c))];
}

/** A header as a message shows it: cut at 40 characters. */
function shortHeader(text: string | undefined): string {
  if (text === undefined) return '';
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Where an item was read: its partition, and its offset when the edge has offsets. */
function where(item: InboundItem): string {
  return item.offset === undefined ? `partition ${item.partition}` : `partition ${item.partition} offset ${item.offset}`;
}
