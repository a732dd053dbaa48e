/**
 * The adapter's producer: librdkafka through our binding (native/kafka), idempotent (acks = all),
 * one round trip in flight at a time, so records reach each partition in call order and a failure is
 * known before anything after it is sent. Sends made while one is in flight go out together next.
 *
 * A failed send breaks the producer: every later send fails with the same error and nothing more is
 * written. Records after a lost one would leave a gap that a consumer cannot see (a watermark sent
 * after the gap would vouch for the missing records), so the owner must start again from its last
 * good point instead (a group's process replays its run, and the consumer drops what it already has).
 * librdkafka itself retries through a broker restart (for up to `message.timeout.ms`) before a send fails.
 */
import { mergeColumns, RdProducer, toColumns, type ProducedColumns, type ProducedRecord } from '../../native/kafka/index.ts';
import type { KafkaSettings } from './settings.ts';
import { KafkaEdgeError } from './errors.ts';

export type OutRecord = ProducedRecord;

interface Queued {
  batch: ProducedColumns;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class SerialProducer {
  private readonly producer: RdProducer;
  /** Sends waiting for the one in flight; they go out together when it is acknowledged. */
  private queue: Queued[] = [];
  private inFlight: Promise<void> | undefined;
  private closed = false;
  private broken: KafkaEdgeError | undefined;

  constructor(s: KafkaSettings, name: string) {
    this.producer = new RdProducer({ brokers: s.brokers, clientId: `${s.clientId}-${name}` });
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

  /** {@link send} for records already laid out in columns (see EdgeWriter.write). */
  sendColumns(batch: ProducedColumns): Promise<void> {
    if (this.closed) return Promise.reject(new KafkaEdgeError('producer is closed'));
    if (this.broken) return Promise.reject(this.broken);
    if (batch.partitions.length === 0) return this.flush();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      // Started on the next microtask, so sends made together (a step's records and its watermark)
      // share the first round trip too.
      this.inFlight ??= Promise.resolve().then(() => this.pump());
    });
  }

  /**
   * One round trip at a time: everything queued while a send was in flight goes out as one batch (in
   * call order, so each partition still receives the records in order), and its callers settle
   * together. After a failure, what is queued fails with it and nothing more is sent.
   */
  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      const taken = this.queue;
      this.queue = [];
      const count = taken.reduce((n, q) => n + q.batch.partitions.length, 0);
      try {
        if (this.broken) throw this.broken;
        await this.producer.sendColumns(mergeColumns(taken.map((q) => q.batch)));
        for (const q of taken) q.resolve();
      } catch (err) {
        this.broken ??= new KafkaEdgeError(
          `producing ${count} record(s) to ${taken[0]!.batch.topic} failed: ${err instanceof Error ? err.message : String(err)}`,
        );
        for (const q of taken) q.reject(this.broken);
      }
    }
    this.inFlight = undefined;
  }

  /** Resolves when every send so far has been acknowledged (rejects once one has failed). */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    if (this.broken) throw this.broken;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush().catch(() => undefined);
    await this.producer.close();
  }
}
