/**
 * The producing end of a Kafka edge: Avro values in the Confluent wire format on `<topic>`, key =
 * the record's key (the symbol), partition = murmur2(key) like the Java client, idempotent producer.
 *
 * @example
 * import type { Quote } from '../../../schemas/types.generated.ts';
 * import { kafkaSettings } from './settings.ts';
 * declare const q: Quote;
 * const w = await EdgeWriter.open(kafkaSettings(), { topic: 'demo.quotes', schema: 'Quote', partitions: 4 });
 * await w.write([{ key: q.symbol, value: q }]);
 * await w.writeControl({ end: true });
 * await w.close();
 */
import type { SchemaName, SchemaTypes } from '../../../schemas/types.generated.ts';
import { TopicAdmin } from './admin.ts';
import { controlHeaders } from './control.ts';
import type { Control } from './control.ts';
import { KafkaEdgeError } from './errors.ts';
import { partitionOf } from './murmur2.ts';
import { SerialProducer } from './producer.ts';
import type { OutRecord } from './producer.ts';
import { joinedText } from '../../../native/kafka/index.ts';
import type { ColumnBatch, StringColumn } from '../../core/column-batch.ts';
import { AvroColumns } from './avro-columns.ts';
import { SchemaCodec } from './schema-codec.ts';
import type { KafkaSettings } from './settings.ts';

export interface EdgeRecord<T> {
  key: string;
  value: T;
  headers?: Record<string, string>;
  /** Overrides the key's partition. */
  partition?: number;
}

export interface EdgeWriterOptions<TName extends SchemaName> {
  topic: string;
  schema: TName;
  /** The topic's partitions (a topic that has another count is refused); without it, those of the topic, or 1 for a new one. */
  partitions?: number;
  /** librdkafka properties of the producer over the binding's defaults (linger.ms, batch.num.messages, …). */
  producer?: Record<string, string>;
}

export class EdgeWriter<T> {
  private readonly keys = new Map<string, { bytes: Buffer; partition: number }>();
  /** The column codec of the edge's schema when it is flat (see avro-columns.ts), made at the first `writeColumns`. */
  private columns: AvroColumns<T> | null | undefined;

  private constructor(
    readonly topic: string,
    readonly partitions: number,
    readonly schemaId: number,
    /** The edge's Avro codec (encode a value to the exact bytes `write` sends). */
    readonly codec: SchemaCodec<T>,
    private readonly producer: SerialProducer,
  ) {}

  /** Creates the topic if missing, registers `<topic>-value` (BACKWARD), connects an idempotent producer. */
  static async open<TName extends SchemaName>(s: KafkaSettings, o: EdgeWriterOptions<TName>): Promise<EdgeWriter<SchemaTypes[TName]>> {
    // The subject's registration needs no topic: it runs beside the topic's creation (each took
    // 0.1-0.15 s of a group's start in a split run). An admin failure is still the one reported.
    const registering = SchemaCodec.open<SchemaTypes[TName]>(s.registryUrl, o.topic, o.schema);
    let partitions: number;
    try {
      const admin = await TopicAdmin.connect(s);
      try {
        partitions = o.partitions ?? (await admin.partitions(o.topic)) ?? 1;
        await admin.ensureTopic(o.topic, partitions);
      } finally {
        await admin.close();
      }
    } catch (err) {
      await registering.catch(() => undefined);
      throw err;
    }
    const codec = await registering;
    const producer = new SerialProducer(s, `writer-${o.topic}`, o.producer);
    try {
      await producer.prepare(o.topic);
    } catch (err) {
      await producer.close();
      throw err;
    }
    return new EdgeWriter(o.topic, partitions, codec.schemaId, codec, producer);
  }

  /** Encodes and sends; resolves when the broker has acknowledged every record (acks = all). */
  write(records: readonly EdgeRecord<T>[]): Promise<void> {
    const n = records.length;
    const partitions = new Int32Array(n);
    const keyLengths = new Int32Array(n);
    const keyBytes: Buffer[] = new Array<Buffer>(n);
    const counts = new Uint32Array(n);
    const names: string[] = [];
    const headerValues: string[] = [];
    const values: T[] = new Array<T>(n);
    let keyTotal = 0;
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      if (typeof r.key !== 'string')
        throw new KafkaEdgeError(`${this.topic}: record ${i} has key ${JSON.stringify(r.key)}, expected a string (the symbol)`);
      const key = this.keyOf(r.key);
      const partition = r.partition ?? key.partition;
      if (!Number.isInteger(partition) || partition < 0 || partition >= this.partitions) {
        throw new KafkaEdgeError(`${this.topic}: record ${i} has partition ${partition}, expected 0…${this.partitions - 1}`);
      }
      partitions[i] = partition;
      keyBytes[i] = key.bytes;
      keyLengths[i] = key.bytes.length;
      keyTotal += key.bytes.length;
      values[i] = r.value;
      if (r.headers) {
        for (const name in r.headers) {
          names.push(name);
          headerValues.push(r.headers[name]!);
          counts[i]!++;
        }
      }
    }
    // Keys and values are written back to back into one buffer each (no buffer per record).
    const keys = Buffer.allocUnsafe(keyTotal);
    for (let i = 0, at = 0; i < n; i++) {
      const bytes = keyBytes[i]!;
      for (let j = 0; j < bytes.length; j++) keys[at++] = bytes[j]!;
    }
    return this.producer.sendColumns({
      topic: this.topic,
      partitions,
      keys: { data: keys, lengths: keyLengths },
      values: this.codec.encodeAll(values),
      headers: { counts, names, values: joinedText(headerValues) },
    });
  }

  /**
   * {@link write} for a column batch, keyed by its string column `key` (the symbol): the values are
   * encoded straight from the columns, the same bytes `write` sends for the batch's records. A batch
   * whose columns do not fit the schema goes through `write`, which names the field.
   */
  writeColumns(batch: ColumnBatch<T>, key: keyof T & string): Promise<void> {
    const column = batch.columns[key] as unknown as StringColumn | undefined;
    const entries =
      column && typeof column === 'object' && 'codes' in column && column.codes instanceof Int32Array
        ? column.dictionary.map((k) => (typeof k === 'string' ? this.keyOf(k) : undefined))
        : undefined;
    if (this.columns === undefined) this.columns = AvroColumns.of<T>(this.codec.type) ?? null;
    const encoded = entries && !entries.includes(undefined) ? this.columns?.encode(batch, this.schemaId) : undefined;
    if (!encoded) return this.write(batch.toRecords().map((value) => ({ key: String((value as Record<string, unknown>)[key]), value })));
    const n = batch.length;
    const partitions = new Int32Array(n);
    const keyLengths = new Int32Array(n);
    let keyTotal = 0;
    for (let i = 0; i < n; i++) {
      const e = entries![column!.codes[batch.start + i]!]!;
      partitions[i] = e.partition;
      keyLengths[i] = e.bytes.length;
      keyTotal += e.bytes.length;
    }
    const keys = Buffer.allocUnsafe(keyTotal);
    for (let i = 0, at = 0; i < n; i++) {
      const bytes = entries![column!.codes[batch.start + i]!]!.bytes;
      for (let j = 0; j < bytes.length; j++) keys[at++] = bytes[j]!;
    }
    return this.producer.sendColumns({
      topic: this.topic,
      partitions,
      keys: { data: keys, lengths: keyLengths },
      values: encoded,
      headers: { counts: new Uint32Array(n), names: [], values: joinedText([]) },
    });
  }

  /** The partition a record of `key` goes to (murmur2 of the key, as the Java client). */
  partitionOf(key: string): number {
    return this.keyOf(key).partition;
  }

  /** A key's bytes and murmur2 partition, kept per distinct key (the symbols: a few thousand at most). */
  private keyOf(key: string): { bytes: Buffer; partition: number } {
    let k = this.keys.get(key);
    if (k === undefined) {
      if (this.keys.size >= 100_000) this.keys.clear();
      const bytes = Buffer.from(key, 'utf8');
      k = { bytes, partition: partitionOf(bytes, this.partitions) };
      this.keys.set(key, k);
    }
    return k;
  }

  /** One null-valued record with the control header (plus `headers`) on every partition. */
  writeControl(control: Control, headers: Record<string, string> = {}): Promise<void> {
    const h = { ...headers, ...controlHeaders(control) };
    const out: OutRecord[] = [];
    for (let p = 0; p < this.partitions; p++) out.push({ topic: this.topic, partition: p, key: null, value: null, headers: h });
    return this.producer.send(out);
  }

  /** Whether the producer is idempotent (the broker drops a retried batch it already has). */
  get idempotent(): boolean {
    return this.producer.idempotent;
  }

  flush(): Promise<void> {
    return this.producer.flush();
  }

  /** Releases the producer once every send has settled; `withinMs`: gives up then, failing (see SerialProducer.close). */
  close(withinMs?: number): Promise<void> {
    return this.producer.close(withinMs);
  }
}
