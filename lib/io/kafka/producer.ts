/**
 * The adapter's producer: librdkafka through our binding (native/kafka), idempotent (acks = all),
 * one round trip in flight at a time, so records reach each partition in call order and a failure is
 * known before anything after it is sent. Sends made while one is in flight go out together next.
 * The binding runs those round trips on its own thread: they go on while the JS thread is busy.
 * Sends are held here until the event loop turns (or `HOLD_SENDS` are held) and handed to the
 * binding together: a call into it costs ~10 µs and often wakes its thread, and a process group
 * makes a send per step (its watermarks) while it runs steps without turning the event loop.
 *
 * A failed send breaks the producer: every later send fails with the same error and nothing more is
 * written. Records after a lost one would leave a gap that a consumer cannot see (a watermark sent
 * after the gap would vouch for the missing records), so the owner must start again from its last
 * good point instead (a group's process replays its run, and the consumer drops what it already has).
 * librdkafka itself retries through a broker restart (for up to `message.timeout.ms`) before a send fails.
 */
import { mergeColumns, RdProducer, toColumns, type ProducedColumns, type ProducedRecord } from '../../../native/kafka/index.ts';
import type { KafkaSettings } from './settings.ts';
import { KafkaEdgeError } from './errors.ts';

export type OutRecord = ProducedRecord;

/** Sends held before they go to the binding without waiting for the event loop to turn. */
const HOLD_SENDS = 64;

interface Held {
  batch: ProducedColumns;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class SerialProducer {
  private readonly producer: RdProducer;
  /** Settles after the last send issued (the binding settles sends in call order). */
  private last: Promise<void> = Promise.resolve();
  private closed = false;
  private broken: KafkaEdgeError | undefined;
  /** Sends not yet handed to the binding, in call order. */
  private held: Held[] = [];
  private releaseScheduled = false;
  /** Records sent and not yet settled (acknowledged or failed), per topic. */
  private readonly unsettled = new Map<string, number>();
  private readonly brokers: string;

  /** `extra`: librdkafka properties over the binding's defaults (linger.ms, batch.num.messages, …). */
  constructor(s: KafkaSettings, name: string, extra?: Record<string, string>) {
    this.brokers = s.brokers.join(',');
    this.producer = new RdProducer({ brokers: s.brokers, clientId: `${s.clientId}-${name}`, ...(extra ? { extra } : {}) });
  }

  /** Whether the producer is idempotent (always, unless librdkafka was told otherwise). */
  get idempotent(): boolean {
    return this.producer.idempotent;
  }

  /** Looks the topic up before the first send (which would otherwise wait up to a second for it). */
  async prepare(topic: string): Promise<void> {
    try {
      await this.producer.prepare(topic);
    } catch (err) {
      throw new KafkaEdgeError(`producer for ${topic}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Sends after every earlier send has been acknowledged; resolves when this one is. */
  send(records: readonly OutRecord[]): Promise<void> {
    return this.sendColumns(toColumns(records));
  }

  /**
   * {@link send} for records already laid out in columns (see EdgeWriter.write). The binding takes
   * the batch (held here until the event loop turns) and queues it in librdkafka once every earlier
   * send has been acknowledged, together with the others waiting then; after a failure, it fails
   * every later send with the same error.
   */
  sendColumns(batch: ProducedColumns): Promise<void> {
    if (this.closed) return Promise.reject(new KafkaEdgeError('producer is closed'));
    if (this.broken) return Promise.reject(this.broken);
    if (batch.partitions.length === 0) return this.flush();
    const n = batch.partitions.length;
    this.unsettled.set(batch.topic, (this.unsettled.get(batch.topic) ?? 0) + n);
    const settle = (): void => {
      const left = this.unsettled.get(batch.topic)! - n;
      if (left === 0) this.unsettled.delete(batch.topic);
      else this.unsettled.set(batch.topic, left);
    };
    return new Promise<void>((resolve, reject) => {
      this.held.push({
        batch,
        resolve: () => {
          settle();
          resolve();
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      });
      if (this.held.length >= HOLD_SENDS) this.release();
      else if (!this.releaseScheduled) {
        this.releaseScheduled = true;
        setImmediate(() => {
          this.releaseScheduled = false;
          this.release();
        });
      }
    });
  }

  /**
   * Hands the held sends to the binding, those to one topic as one batch in call order. Topics have
   * no order between them, and the binding queues every send waiting for a round in that one round,
   * so this is the order it would apply anyway; a group's sends alternate between its edges' topics
   * (records, then a watermark on each edge), and a call per run of one topic cost ~10 µs each.
   */
  private release(): void {
    const byTopic = new Map<string, Held[]>();
    for (const h of this.held) {
      const group = byTopic.get(h.batch.topic);
      if (group) group.push(h);
      else byTopic.set(h.batch.topic, [h]);
    }
    this.held = [];
    for (const group of byTopic.values()) {
      const batch = mergeColumns(group.map((h) => h.batch));
      const sent = this.producer.sendColumns(batch).catch((err: unknown) => {
        this.broken ??= new KafkaEdgeError(
          `producing ${batch.partitions.length} record(s) to ${batch.topic} failed: ${err instanceof Error ? err.message : String(err)}`,
        );
        throw this.broken;
      });
      sent.then(
        () => {
          for (const h of group) h.resolve();
        },
        (err: unknown) => {
          for (const h of group) h.reject(err);
        },
      );
      this.last = sent.catch(() => undefined);
    }
  }

  /** Resolves when every send so far has been acknowledged (rejects once one has failed). */
  async flush(): Promise<void> {
    this.release();
    await this.last;
    if (this.broken) throw this.broken;
  }

  /**
   * Waits until every send so far has settled, then releases the producer. With `withinMs`: when the
   * broker has not acknowledged everything by then (it is gone, and librdkafka would retry for
   * message.timeout.ms), what is left is given up (purged) and the close fails naming it, once the
   * producer is released. Without: a failed send is the sender's to report, and the wait is librdkafka's.
   */
  async close(withinMs?: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let lost: KafkaEdgeError | undefined;
    if (withinMs === undefined) await this.flush().catch(() => undefined);
    else {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const flushed = this.flush().then(
        () => true,
        () => true,
      );
      const inTime = await Promise.race([flushed, new Promise<false>((r) => (timer = setTimeout(() => r(false), withinMs)))]);
      clearTimeout(timer);
      if (!inTime) {
        const left = [...this.unsettled].map(([topic, n]) => `${n} record(s) to topic "${topic}"`).join(', ');
        lost = new KafkaEdgeError(
          `${left || 'records'} not acknowledged by the broker at ${this.brokers} within ${withinMs / 1000} s (is it up?): given up, not delivered`,
        );
        this.producer.purge(lost.message);
        await flushed;
      }
    }
    await this.producer.close();
    if (lost) throw lost;
  }
}
