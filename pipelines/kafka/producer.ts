/**
 * The adapter's producer: librdkafka through our binding (native/kafka), idempotent (acks = all),
 * one send in flight at a time, so records reach each partition in call order and a failure is known
 * before anything after it is sent.
 *
 * A failed send breaks the producer: every later send fails with the same error and nothing more is
 * written. Records after a lost one would leave a gap that a consumer cannot see (a watermark sent
 * after the gap would vouch for the missing records), so the owner must start again from its last
 * good point instead (a group's process replays its run, and the consumer drops what it already has).
 * librdkafka itself retries through a broker restart (for up to `message.timeout.ms`) before a send fails.
 */
import { RdProducer, type ProducedColumns, type ProducedRecord } from '../../native/kafka/index.ts';
import type { KafkaSettings } from './settings.ts';
import { KafkaEdgeError } from './errors.ts';

export type OutRecord = ProducedRecord;

export class SerialProducer {
  private readonly producer: RdProducer;
  private tail: Promise<void> = Promise.resolve();
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
    if (records.length === 0) return this.closed ? Promise.reject(new KafkaEdgeError('producer is closed')) : this.tail;
    return this.enqueue(records.length, records[0]!.topic, () => this.producer.send(records));
  }

  /** {@link send} for records already laid out in columns (see EdgeWriter.write). */
  sendColumns(batch: ProducedColumns): Promise<void> {
    if (batch.partitions.length === 0) return this.closed ? Promise.reject(new KafkaEdgeError('producer is closed')) : this.tail;
    return this.enqueue(batch.partitions.length, batch.topic, () => this.producer.sendColumns(batch));
  }

  private enqueue(count: number, topic: string, send: () => Promise<void>): Promise<void> {
    if (this.closed) return Promise.reject(new KafkaEdgeError('producer is closed'));
    const run = async (): Promise<void> => {
      if (this.broken) throw this.broken;
      try {
        await send();
      } catch (err) {
        this.broken = new KafkaEdgeError(`producing ${count} record(s) to ${topic} failed: ${err instanceof Error ? err.message : String(err)}`);
        throw this.broken;
      }
    };
    const p = this.tail.then(run);
    this.tail = p.catch(() => undefined);
    return p;
  }

  /** Resolves when every send so far has been acknowledged. */
  flush(): Promise<void> {
    return this.tail;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    await this.producer.close();
  }
}
