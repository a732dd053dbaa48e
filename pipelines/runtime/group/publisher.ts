/**
 * The producing side of an edge that leaves a process group. Every batch the node emits is sent with
 * the key of the step that emitted it (`alpha.step`), its number among the node's batches and each
 * record's place in it, so the consumer can rebuild the batch and deliver it at the same place in
 * event time. After every timer step a watermark carrying the step's key follows on every partition:
 * it says the steps up to it are complete, and tells the consumer where this process's timers cut
 * the event stream. After data steps a watermark is sent only every `WATERMARK_EVERY` steps (or when
 * records went out), which bounds how long a consumer waits.
 */
import type { Observable } from 'rxjs';
import { type EdgeBatch, rowsOf } from '../../../lib/core/column-batch.ts';
import type { Batch } from '../../../operators/sdk/spec.ts';
import { AlphaError } from '../../../lib/core/errors.ts';
import { encodeKey, type StepKey } from '../step.ts';
import type { OutboundEdge } from './edges.ts';

export const STEP_HEADER = 'alpha.step';
export const BATCH_HEADER = 'alpha.batch';
/** Which replica of a replicated group sent the record (0 without replicas). */
export const REPLICA_HEADER = 'alpha.replica';
/**
 * On the end control: how many records this replica wrote in all, so the consumer can tell an edge
 * that lost records (one sent to the dead-letter topic, one never written, a forged end) from one
 * that is whole.
 */
export const RECORDS_HEADER = 'alpha.records';
const WATERMARK_EVERY = 1024;
/**
 * Sends issued and not yet seen acknowledged before a step waits for the oldest half of them. The
 * edge runs its round trips off the JS thread, so those are usually acknowledged already and the wait
 * is one turn of the event loop, where acknowledgements are seen.
 */
const MAX_IN_FLIGHT = 256;

export class EdgePublisher {
  private pending: { key: StepKey; batch: Batch<unknown> }[] = [];
  private batches = 0;
  /** Records queued for sending so far (the end control says how many). */
  private written = 0;
  private sinceWatermark = 0;
  private sending: Promise<void> = Promise.resolve();
  /** The sends not yet seen acknowledged, oldest first (each settles without throwing). */
  private readonly inFlight: Promise<void>[] = [];
  private failure: unknown;

  constructor(
    readonly node: string,
    private readonly edge: OutboundEdge,
    output: Observable<EdgeBatch<unknown>>,
    private readonly currentStep: () => StepKey,
    /** A tap's mirror: read by people and tools, not placed in another process's event time. */
    private readonly mirror = false,
    /** This process's replica index in its group. */
    private readonly replica = 0,
  ) {
    output.subscribe((batch) => this.pending.push({ key: this.currentStep(), batch: rowsOf(batch) }));
  }

  /** Called after each step: queues the step's batches and, when due, a watermark. */
  async stepDone(key: StepKey): Promise<void> {
    const wait = this.stepDoneOrWait(key);
    if (wait) await wait;
  }

  /**
   * {@link stepDone} without a promise unless the step must wait for sends in flight (rarely): the
   * group calls it after every step, and an await per step was a large part of a split run's allocation.
   */
  stepDoneOrWait(key: StepKey): Promise<void> | undefined {
    if (this.failure) throw this.failure;
    const emitted = this.pending.length > 0;
    if (emitted) this.sendPending();
    if (key.t === Infinity) {
      const headers = { [STEP_HEADER]: encodeKey(key), [REPLICA_HEADER]: String(this.replica), [RECORDS_HEADER]: String(this.written) };
      this.enqueue(() => this.edge.writeControl({ end: true }, headers));
    } else if (key.phase === 0 || emitted || ++this.sinceWatermark >= WATERMARK_EVERY) {
      this.sinceWatermark = 0;
      this.enqueue(() =>
        this.edge.writeControl({ watermark: key.t }, { [STEP_HEADER]: encodeKey(key), [REPLICA_HEADER]: String(this.replica) }),
      );
    }
    // Bound the queue: when too many sends are in flight, wait for the oldest half.
    return this.inFlight.length > MAX_IN_FLIGHT ? this.drainHalf() : undefined;
  }

  /** Queues the batches emitted in this step, each record stamped with its step, batch and place. */
  private sendPending(): void {
    for (const { key: at, batch } of this.pending) {
      if (at.phase === 1 && at.t !== Infinity && !this.mirror) {
        throw new AlphaError(
          `node "${this.node}" emitted on its Kafka edge while data was delivered (not on a timer); ` +
            'a process group can only publish what timers produce (bars, snapshots, …): move the cut to such an edge',
        );
      }
      const n = this.batches++;
      const step = encodeKey(at);
      const replica = String(this.replica);
      const records = batch.map((value, i) => ({
        key: keyOf(value, this.node),
        value,
        headers: { [STEP_HEADER]: step, [BATCH_HEADER]: `${n}:${i}:${batch.length}`, [REPLICA_HEADER]: replica },
      }));
      this.written += records.length;
      this.enqueue(() => this.edge.write(records));
    }
    this.pending = [];
  }

  private async drainHalf(): Promise<void> {
    while (this.inFlight.length > MAX_IN_FLIGHT / 2) await this.inFlight.shift();
  }

  /** Resolves when everything queued has been acknowledged. */
  async flush(): Promise<void> {
    await this.sending;
    if (this.failure) throw this.failure;
  }

  close(): Promise<void> {
    return this.edge.close();
  }

  /**
   * Issues the send now: the edge applies sends in call order and fails every send after a failed one
   * (see OutboundEdge), so a watermark never follows lost records; sends pile up on the edge while one
   * is in flight and go out together. Once a failure is known, nothing more is issued.
   */
  private enqueue(send: () => Promise<void>): void {
    if (this.failure) return;
    const sent = send().then(
      () => undefined,
      (err: unknown) => {
        this.failure ??= err;
      },
    );
    this.inFlight.push(sent);
    this.sending = this.sending.then(() => sent);
  }
}

/** The record's symbol, so per-symbol records spread over partitions; else one key per edge. */
function keyOf(value: unknown, node: string): string {
  const symbol = (value as { symbol?: unknown }).symbol;
  return typeof symbol === 'string' ? symbol : node;
}
