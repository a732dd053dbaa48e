/**
 * Dead letters of an edge: a record the reader cannot decode into the edge's schema goes to
 * `<topic>.dlq` unchanged (its key and value bytes and its headers, in order, repeats kept), with
 * headers saying why and where it came from. One partition, so the dead letters keep the order in
 * which they were found.
 *
 * A record the source topic took must not stop its readers for good because its copy cannot be
 * written (a producer peer could otherwise block every reader at one offset). So, at the first
 * letter: the `.dlq` topic is created with room for the source's largest record and these headers;
 * an existing one that is compacted is refused, saying what to do (it refuses key-less records and
 * would compact letters away), already when the reader opens (`check`); the producer is sized for
 * the `.dlq` topic's limit. A letter that still does not fit that limit (a `.dlq` made smaller by
 * hand) is written without its value (and, if need be, without its key and original headers), with
 * headers saying what was left out and why: the record itself stays at the topic, partition and
 * offset the headers name.
 */
import type { HeaderList } from '../../../native/kafka/index.ts';
import { TopicAdmin } from './admin.ts';
import type { RawRecord } from './consumer.ts';
import { KafkaEdgeError } from './errors.ts';
import { SerialProducer } from './producer.ts';
import type { KafkaSettings } from './settings.ts';

export const DLQ_ERROR = 'alpha.dlq.error';
export const DLQ_TOPIC = 'alpha.dlq.topic';
export const DLQ_PARTITION = 'alpha.dlq.partition';
export const DLQ_OFFSET = 'alpha.dlq.offset';
/** On a letter written without part of the record: what was left out, and why. */
export const DLQ_OMITTED = 'alpha.dlq.omitted';
/** On a letter written without its value: the value's size in bytes. */
export const DLQ_VALUE_BYTES = 'alpha.dlq.value.bytes';

export const dlqTopicOf = (topic: string): string => `${topic}.dlq`;

/** Most bytes of the error header (a reason quoting a long value is cut, saying so). */
export const DLQ_ERROR_MAX_BYTES = 2_000;
/** Room a new `.dlq` topic has beyond the source's largest record: the headers added here (< 3 KB). */
const DLQ_HEADROOM_BYTES = 8_192;
/** Kafka's default max.message.bytes, for a broker that does not report one. */
const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
/** librdkafka's default (and the floor here) and upper bound of `message.max.bytes`. */
const PRODUCER_DEFAULT_MAX_BYTES = 1_000_000;
const PRODUCER_MAX_BYTES = 1_000_000_000;
/** What librdkafka adds to a record's key, value and headers when it checks `message.max.bytes` (its v2 overhead, rounded up). */
const PRODUCER_RECORD_OVERHEAD = 128;

/** Bytes of a length as a Kafka record's zigzag varint (-1, for null, takes one). */
function varintBytes(n: number): number {
  let z = n < 0 ? -2 * n - 1 : 2 * n;
  let bytes = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    bytes++;
  }
  return bytes;
}

/** Bytes of a field as a length varint and its bytes (null: the varint alone). */
const fieldBytes = (b: Buffer | string | null): number => {
  if (b === null) return varintBytes(-1);
  const n = typeof b === 'string' ? Buffer.byteLength(b) : b.length;
  return varintBytes(n) + n;
};

/**
 * The most bytes a record batch holding only this record can take on the broker (what
 * `max.message.bytes` bounds): the batch header (61 bytes), then the record (v2 format) with its
 * length, attributes and time and offset deltas at their widest, and its key, value and headers as
 * they are. A header's overhead is its two length varints: 2 bytes for a short one.
 */
export function letterBytes(key: Buffer | null, value: Buffer | null, headers: HeaderList<string | Buffer>): number {
  let body = 1 + 10 + 5 + fieldBytes(key) + fieldBytes(value) + varintBytes(headers.length);
  for (const [name, v] of headers) body += fieldBytes(name) + fieldBytes(v);
  return 61 + varintBytes(body) + body;
}

/** `text` in at most `max` bytes of UTF-8: cut, saying so, when longer. */
export function boundedText(text: string, max: number): string {
  const bytes = Buffer.byteLength(text);
  if (bytes <= max) return text;
  const suffix = ` … (cut: ${bytes} bytes in all)`;
  const cut = Buffer.from(text)
    .subarray(0, Math.max(0, max - Buffer.byteLength(suffix)))
    .toString('utf8');
  // A character cut in two decodes as U+FFFD: drop it.
  return `${cut.endsWith('\uFFFD') ? cut.slice(0, -1) : cut}${suffix}`;
}

/** A topic config in bytes (an integer), or undefined when absent or not one. */
function bytesConfig(configs: Record<string, string>, name: string): number | undefined {
  const v = configs[name];
  return v !== undefined && /^\d{1,12}$/.test(v) ? Number(v) : undefined;
}

interface Opened {
  producer: SerialProducer;
  /** The most bytes a letter may take: the `.dlq` topic's max.message.bytes, within the producer's bound. */
  limit: number;
}

export class DeadLetterWriter {
  private opened: Promise<Opened> | undefined;
  constructor(
    private readonly s: KafkaSettings,
    readonly sourceTopic: string,
  ) {}

  get topic(): string {
    return dlqTopicOf(this.sourceTopic);
  }

  /**
   * Writes the records with their errors; resolves when the broker has them, with a note per letter
   * written without part of the record (undefined for a whole copy).
   */
  async write(letters: readonly { record: RawRecord; error: string }[]): Promise<(string | undefined)[]> {
    if (letters.length === 0) return [];
    this.opened ??= this.open();
    const opened = this.opened;
    // A refused `.dlq` (compacted) or a broker that did not answer: asked again at the next letter.
    opened.catch(() => {
      if (this.opened === opened) this.opened = undefined;
    });
    const { producer, limit } = await opened;
    const notes: (string | undefined)[] = [];
    const out = letters.map(({ record, error }) => {
      const fitted = this.fit(record, error, limit);
      notes.push(fitted.note);
      return { topic: this.topic, partition: 0, key: fitted.key, value: fitted.value, headers: fitted.headers };
    });
    await producer.send(out);
    return notes;
  }

  /** The letter of `record`: the whole copy when it fits `limit`, else without the parts that do not. */
  private fit(
    record: RawRecord,
    error: string,
    limit: number,
  ): { key: Buffer | null; value: Buffer | null; headers: HeaderList<string | Buffer>; note?: string } {
    const ours: [string, string][] = [
      [DLQ_ERROR, boundedText(error, DLQ_ERROR_MAX_BYTES)],
      [DLQ_TOPIC, this.sourceTopic],
      [DLQ_PARTITION, String(record.partition)],
      [DLQ_OFFSET, String(record.offset)],
    ];
    const whole = [...record.headerList, ...ours];
    const bytes = letterBytes(record.key, record.value, whole);
    if (bytes <= limit) return { key: record.key, value: record.value, headers: whole };
    const valueBytes = record.value?.length ?? 0;
    const why = `the copy would take ${bytes} bytes, over the max.message.bytes of topic "${this.topic}" (${limit}); the record itself is at topic "${this.sourceTopic}" partition ${record.partition} offset ${record.offset} while its retention keeps it`;
    const withoutValue = [
      ...record.headerList,
      ...ours,
      [DLQ_VALUE_BYTES, String(valueBytes)],
      [DLQ_OMITTED, `value (${valueBytes} bytes): ${why}`],
    ] as const;
    if (letterBytes(record.key, null, withoutValue) <= limit)
      return {
        key: record.key,
        value: null,
        headers: withoutValue,
        note: `its value (${valueBytes} bytes) is not in ${this.topic}: the copy would take ${bytes} bytes, over the topic's max.message.bytes (${limit})`,
      };
    const headerBytes = letterBytes(null, null, record.headerList) - letterBytes(null, null, []);
    const bare = [
      ...ours,
      [DLQ_VALUE_BYTES, String(valueBytes)],
      [
        DLQ_OMITTED,
        `value (${valueBytes} bytes), key (${record.key?.length ?? 0} bytes) and ${record.headerList.length} header(s) (about ${headerBytes} bytes): ${why}`,
      ],
    ] as const;
    if (letterBytes(null, null, bare) <= limit)
      return {
        key: null,
        value: null,
        headers: bare,
        note: `its key, value and headers are not in ${this.topic}: the copy would take ${bytes} bytes, over the topic's max.message.bytes (${limit})`,
      };
    throw new KafkaEdgeError(
      `the dead letter of topic "${this.sourceTopic}" partition ${record.partition} offset ${record.offset} does not fit topic "${this.topic}" even without its key, value and headers (max.message.bytes ${limit}): raise that topic's max.message.bytes, or delete the topic and the run creates it`,
    );
  }

  /**
   * Refuses, before any letter, a `.dlq` topic that exists and is compacted: the reader's run stops at
   * its start, not at its first dead letter. (A missing one is created at the first letter, and the
   * policy is read again then.)
   */
  async check(admin: TopicAdmin): Promise<void> {
    if ((await admin.partitions(this.topic)) === undefined) return;
    this.refuseCompacted(await admin.configs(this.topic));
  }

  private refuseCompacted(configs: Record<string, string>): void {
    const policy = configs['cleanup.policy'] ?? 'delete';
    if (policy.split(',').some((p) => p.trim() === 'compact'))
      throw new KafkaEdgeError(
        `topic "${this.topic}" has cleanup.policy=${policy}: a compacted topic refuses dead letters without a key and keeps only the last per key; ` +
          `set cleanup.policy=delete on it (kafka-configs.sh --bootstrap-server ${this.s.brokers.join(',')} --alter --entity-type topics --entity-name ${this.topic} --add-config cleanup.policy=delete), or delete it and the run creates it`,
      );
  }

  /** Sizes (or creates) the `.dlq` topic and its producer from the source topic's limit. */
  private async open(): Promise<Opened> {
    const admin = await TopicAdmin.connect(this.s);
    let limit: number;
    try {
      const source = bytesConfig(await admin.configs(this.sourceTopic), 'max.message.bytes') ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
      if ((await admin.partitions(this.topic)) === undefined)
        await admin.ensureTopic(this.topic, 1, {
          'cleanup.policy': 'delete',
          'max.message.bytes': String(Math.min(source + DLQ_HEADROOM_BYTES, 2 ** 31 - 1)),
        });
      // Read back, not assumed: another reader may have created it at the same moment, or someone by hand.
      const dlq = await admin.configs(this.topic);
      this.refuseCompacted(dlq);
      limit = Math.min(
        bytesConfig(dlq, 'max.message.bytes') ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
        PRODUCER_MAX_BYTES - PRODUCER_RECORD_OVERHEAD,
      );
    } finally {
      await admin.close();
    }
    const producer = new SerialProducer(this.s, `dlq-${this.sourceTopic}`, {
      // librdkafka refuses a record over message.max.bytes itself (1,000,000 by default: under the
      // broker's 1,048,588), and batches up to batch.size: above the topic's limit, several small
      // letters in one batch would be refused together.
      'message.max.bytes': String(Math.max(PRODUCER_DEFAULT_MAX_BYTES, limit + PRODUCER_RECORD_OVERHEAD)),
      'batch.size': String(Math.min(PRODUCER_DEFAULT_MAX_BYTES, limit)),
    });
    try {
      await producer.prepare(this.topic);
    } catch (err) {
      await producer.close();
      throw err;
    }
    return { producer, limit };
  }

  /** Waits until the broker has every dead letter (at most `withinMs`, else failing: see SerialProducer.close). */
  async close(withinMs?: number): Promise<void> {
    const opened = await this.opened?.catch(() => undefined);
    await opened?.producer.close(withinMs);
  }
}
