/**
 * Dead letters of an edge: a record the reader cannot decode into the edge's schema goes to
 * `<topic>.dlq` unchanged (its key and value bytes and its headers, in order, repeats kept), with
 * headers saying why and where it came from. One partition, so the dead letters keep the order in
 * which they were found.
 */
import { TopicAdmin } from './admin.ts';
import { SerialProducer } from './producer.ts';
import type { RawRecord } from './consumer.ts';
import type { KafkaSettings } from './settings.ts';

export const DLQ_ERROR = 'alpha.dlq.error';
export const DLQ_TOPIC = 'alpha.dlq.topic';
export const DLQ_PARTITION = 'alpha.dlq.partition';
export const DLQ_OFFSET = 'alpha.dlq.offset';

export const dlqTopicOf = (topic: string): string => `${topic}.dlq`;

export class DeadLetterWriter {
  private producer: SerialProducer | undefined;
  constructor(
    private readonly s: KafkaSettings,
    readonly sourceTopic: string,
  ) {}

  get topic(): string {
    return dlqTopicOf(this.sourceTopic);
  }

  /** Writes the records with their errors; resolves when the broker has them. */
  async write(letters: readonly { record: RawRecord; error: string }[]): Promise<void> {
    if (letters.length === 0) return;
    if (!this.producer) {
      const admin = await TopicAdmin.connect(this.s);
      try {
        if ((await admin.partitions(this.topic)) === undefined) await admin.ensureTopic(this.topic, 1);
      } finally {
        await admin.close();
      }
      this.producer = new SerialProducer(this.s, `dlq-${this.sourceTopic}`);
      await this.producer.prepare(this.topic);
    }
    await this.producer.send(
      letters.map(({ record, error }) => ({
        topic: this.topic,
        partition: 0,
        key: record.key,
        value: record.value,
        headers: [
          ...record.headerList,
          [DLQ_ERROR, error],
          [DLQ_TOPIC, this.sourceTopic],
          [DLQ_PARTITION, String(record.partition)],
          [DLQ_OFFSET, String(record.offset)],
        ] as const,
      })),
    );
  }

  /** Waits until the broker has every dead letter (at most `withinMs`, else failing: see SerialProducer.close). */
  async close(withinMs?: number): Promise<void> {
    await this.producer?.close(withinMs);
  }
}
