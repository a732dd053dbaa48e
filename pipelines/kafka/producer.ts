/**
 * The adapter's producer: librdkafka through our binding (native/kafka), idempotent (acks = all),
 * one round trip in flight at a time, so records reach each partition in call order and a failure is
 * known before anything after it is sent. Sends made while one is in flight go out together next.
 * The binding runs those round trips on its own thread: they go on while the JS thread is busy.
 *
 * A failed send breaks the producer: every later send fails with the same error and nothing more is
 * written. Records after a lost one would leave a gap that a consumer cannot see (a watermark sent
 * after the gap would vouch for the missing records), so the owner must start again from its last
 * good point instead (a group's process replays its run, and the consumer drops what it already has).
 * librdkafka itself retries through a broker restart (for up to `message.timeout.ms`) before a send fails.
 */
import { RdProducer, toColumns, type ProducedColumns, type ProducedRecord } from '../../native/kafka/index.ts';
import type { KafkaSettings } from './settings.ts';
import { KafkaEdgeError } from './errors.ts';

export type OutRecord = ProducedRecord;

export class SerialProducer {
  private readonly producer: RdProducer;
  /** Settles after the last send issued (the binding settles sends in call order). */
  private last: Promise<void> = Promise.resolve();
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

  /**
   * {@link send} for records already laid out in columns (see EdgeWriter.write). The binding takes
   * the batch now and queues it in librdkafka once every earlier send has been acknowledged, together
   * with the others waiting then; after a failure, it fails every later send with the same error.
   */
  sendColumns(batch: ProducedColumns): Promise<void> {
    if (this.closed) return Promise.reject(new KafkaEdgeError('producer is closed'));
    if (this.broken) return Promise.reject(this.broken);
    const count = batch.partitions.length;
    if (count === 0) return this.flush();
    const sent = this.producer.sendColumns(batch).catch((err: unknown) => {
      this.broken ??= new KafkaEdgeError(
        `producing ${count} record(s) to ${batch.topic} failed: ${err instanceof Error ? err.message : String(err)}`,
      );
      throw this.broken;
    });
    this.last = sent.catch(() => undefined);
    return sent;
  }

  /** Resolves when every send so far has been acknowledged (rejects once one has failed). */
  async flush(): Promise<void> {
    await this.last;
    if (this.broken) throw this.broken;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush().catch(() => undefined);
    await this.producer.close();
  }
}
