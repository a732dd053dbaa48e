/**
 * The adapter's consumer: librdkafka through our binding (native/kafka), in a consumer group, pulled
 * in batches. librdkafka fetches ahead on its own threads (bounded per partition); offsets are
 * committed only by `commit()`, never automatically. Broker restarts and coordinator moves are
 * retried underneath; other errors fail `next()`.
 */
import { RdConsumer, recordsOf, type ConsumedColumns, type ConsumedRecord } from '../../../native/kafka/index.ts';
import { CLOSE_ON_SIGNAL_MS, closedOnSignal } from '../../core/on-signal.ts';
import { KafkaEdgeError } from './errors.ts';
import type { KafkaSettings } from './settings.ts';

export type RawRecord = ConsumedRecord;

/** Most records one `next()` hands over. */
const MAX_BATCH = 10_000;
/** How long one poll of the binding waits for a first record before `next()` polls again. */
const POLL_MS = 200;

/** How long `open` waits for the group to assign partitions before it gives up. */
const JOIN_TIMEOUT_MS = 60_000;

export class PullConsumer {
  private closed = false;
  /** Batches fetched while `open` waited for the assignment. */
  private early: ConsumedColumns[] = [];
  /** The offsets last committed without waiting: committed again, waiting, on close. */
  private lastCommit: ReadonlyMap<number, number> | undefined;
  /**
   * A signal ending the process (Ctrl-C on a backtest) closes the consumer first, so it leaves its
   * group: killed, its member held the group for the session timeout (30 s), and the next run in the
   * group waited for it or was refused a reset.
   */
  private readonly forgetOnSignal = closedOnSignal(() => this.close(CLOSE_ON_SIGNAL_MS - 500));

  private constructor(
    readonly topic: string,
    private readonly consumer: RdConsumer,
  ) {}

  /**
   * Joins the group and resolves once it has assigned this consumer its partitions, so a reader that
   * starts at the end (`fromBeginning: false`) misses nothing written after `open` resolves. `signal`
   * gives up waiting (a run stopped meanwhile, its broker perhaps gone).
   */
  static async open(
    s: KafkaSettings,
    o: { topic: string; groupId: string; fromBeginning: boolean; partitions: number; signal?: AbortSignal },
  ): Promise<PullConsumer> {
    const where = `consumer group "${o.groupId}" on topic "${o.topic}" (${s.brokers.join(',')})`;
    let self: PullConsumer;
    try {
      self = new PullConsumer(
        o.topic,
        new RdConsumer({
          brokers: s.brokers,
          clientId: `${s.clientId}-reader`,
          groupId: o.groupId,
          topic: o.topic,
          fromBeginning: o.fromBeginning,
        }),
      );
    } catch (err) {
      throw new KafkaEdgeError(`${where}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const started = Date.now();
    while (self.consumer.assigned === 0) {
      if (o.signal?.aborted) {
        await self.close();
        throw new KafkaEdgeError(`${where}: stopped before the group assigned partitions`);
      }
      if (Date.now() - started > JOIN_TIMEOUT_MS) {
        await self.close();
        throw new KafkaEdgeError(
          `${where}: no partitions assigned after ${JOIN_TIMEOUT_MS / 1000} s (is the broker up, and the topic there?)`,
        );
      }
      const batch = await self.consumer.nextColumns(MAX_BATCH, 20);
      if (batch.count > 0) self.early.push(batch);
    }
    return self;
  }

  /** The next fetched records (offset order within each partition); waits for at least one. */
  async next(): Promise<RawRecord[]> {
    return recordsOf(await this.nextColumns());
  }

  /** {@link next} as columns, without an object per record (see native/kafka); `count` ≥ 1. */
  async nextColumns(): Promise<ConsumedColumns> {
    for (;;) {
      const batch = await this.poll(POLL_MS);
      if (batch.count > 0) return batch;
    }
  }

  /** The records fetched within `waitMs` as columns (`count` 0 when none came). */
  async poll(waitMs: number): Promise<ConsumedColumns> {
    const early = this.early.shift();
    if (early) return early;
    if (this.closed) throw new KafkaEdgeError(`reader of "${this.topic}" is closed`);
    try {
      return await this.consumer.nextColumns(MAX_BATCH, waitMs);
    } catch (err) {
      if (this.closed) throw new KafkaEdgeError(`reader of "${this.topic}" is closed`);
      throw new KafkaEdgeError(`consumer of "${this.topic}" failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * Per partition assigned to this consumer, the offset after the last record or control batch
   * librdkafka consumed: past a transaction's commit or abort marker, which no poll hands out. Empty
   * while batches fetched during `open` wait to be handed out (the position is ahead of them then).
   */
  consumedThrough(): Map<number, number> {
    if (this.early.length > 0 || this.closed) return new Map();
    return new Map(this.consumer.positions().flatMap((p) => (p.offset >= 0 ? [[p.partition, p.offset] as const] : [])));
  }

  /** Per partition assigned to this consumer: the group's committed offset, or -1 where it has none. */
  async committed(): Promise<Map<number, number>> {
    try {
      return new Map((await this.consumer.committed()).map((c) => [c.partition, c.offset]));
    } catch (err) {
      throw new KafkaEdgeError(`consumer of "${this.topic}": ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * Commits `offsets` (partition → the offset of the next record to read). Without `wait` the commit
   * goes out in the background and `close` commits the last offsets again, waiting for the broker.
   */
  async commit(offsets: ReadonlyMap<number, number>, wait = true): Promise<void> {
    if (offsets.size === 0) return;
    if (!wait) this.lastCommit = new Map([...(this.lastCommit ?? []), ...offsets]);
    await this.consumer.commit(offsets, wait);
  }

  /**
   * Commits the last offsets again, waiting for the broker, and leaves the group. With `withinMs`,
   * each of the two waits at most that long (with the broker gone, librdkafka's close waits for the
   * commits in flight, or for good), and one that did not finish fails the close: a reader restarted
   * in the group reads again from the last commit the broker confirmed.
   */
  async close(withinMs?: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.forgetOnSignal();
    let unconfirmed: unknown;
    if (this.lastCommit)
      await this.consumer.commit(this.lastCommit, true, withinMs).catch((err: unknown) => {
        unconfirmed = err;
      });
    const left = await this.consumer.close(withinMs);
    if (withinMs === undefined) return;
    if (unconfirmed !== undefined)
      throw new KafkaEdgeError(
        `the offsets read from "${this.topic}" were not committed (${unconfirmed instanceof Error ? unconfirmed.message : String(unconfirmed)})`,
      );
    if (!left) throw new KafkaEdgeError(`the consumer of "${this.topic}" did not leave its group within ${withinMs / 1000} s: abandoned`);
  }
}
