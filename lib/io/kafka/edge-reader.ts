/**
 * The consuming end of a Kafka edge: pulls batches of decoded records and control records (in offset
 * order per partition) in a consumer group, commits only what the caller says it has processed, and
 * dead-letters what does not decode into the edge's schema (see dead-letters.ts) and carries on.
 * One `next()` at a time.
 *
 * @example
 * import { kafkaSettings } from './settings.ts';
 * const r = await EdgeReader.open(kafkaSettings(), { topic: 'demo.quotes', schema: 'Quote', groupId: 'g', fromBeginning: true });
 * const items = await r.next();
 * // … process items …
 * await r.commit(items);
 */
import type { SchemaName, SchemaTypes } from '../../../schemas/types.generated.ts';
import { ColumnBatch } from '../../core/column-batch.ts';
import { TopicAdmin } from './admin.ts';
import { AvroColumns } from './avro-columns.ts';
import { PullConsumer } from './consumer.ts';
import type { RawRecord } from './consumer.ts';
import type { ConsumedColumns, HeaderList } from '../../../native/kafka/index.ts';
import { parseControl } from './control.ts';
import { DeadLetterWriter } from './dead-letters.ts';
import { KafkaEdgeError } from './errors.ts';
import { receiveStamp } from './receive-stamp.ts';
import { SchemaCodec } from './schema-codec.ts';
import type { KafkaSettings } from './settings.ts';

/**
 * A record's headers as text, as the dead-letter path holds them as bytes (RawRecord): `headers` by
 * name, the last value of each (a prototype-less object: a header may be named `__proto__`), and
 * `headerList` every header in the record's order, repeats included.
 */
export interface TextHeaders {
  headers: Record<string, string>;
  headerList: HeaderList<string>;
}

export type ConsumedItem<T> =
  | ({ kind: 'record'; topic: string; partition: number; offset: string; key: string; value: T } & TextHeaders)
  | ({
      kind: 'control';
      topic: string;
      partition: number;
      offset: string;
      watermark?: number;
      end?: boolean;
    } & TextHeaders);

type ControlItem<T> = Extract<ConsumedItem<T>, { kind: 'control' }>;

/**
 * A fetched batch as columns ({@link EdgeReader.nextBatch}): the records that decoded, in fetch order
 * (offset order within each partition), with no object per record; their keys and headers are not
 * kept. Control records come apart from them, with their offsets.
 */
export interface ConsumedBatch<T> {
  records: ColumnBatch<T>;
  /** Row i of `records` came from partition `partitions[i]` at offset `offsets[i]`. */
  partitions: Int32Array;
  offsets: Float64Array;
  controls: ControlItem<T>[];
  /** Per partition: the offset after the last record or control of the batch (what `commitBatch` commits). */
  through: Map<number, number>;
}

export interface EdgeReaderOptions<TName extends SchemaName> {
  topic: string;
  schema: TName;
  groupId: string;
  /** Where a group without committed offsets starts: the beginning (true) or new records only (default). */
  fromBeginning?: boolean;
  /** Create the topic with this many partitions if it is missing; without it a missing topic is an error. */
  partitions?: number;
  /** Told of each record sent to `<topic>.dlq`, once it is there. */
  onDeadLetter?: (letter: { partition: number; offset: number; error: string }) => void;
  /** Gives up joining the group (see PullConsumer.open). */
  signal?: AbortSignal;
}

/** The headers of every record that has none (frozen: items are read, not changed). */
const NO_HEADERS: TextHeaders = Object.freeze({
  headers: Object.freeze(Object.create(null) as Record<string, string>),
  headerList: Object.freeze([]),
});

/** The `count` headers of a record, from header `h` of the batch whose value bytes start at `hv`. */
function textHeaders(b: ConsumedColumns, h: number, hv: number, count: number): TextHeaders {
  if (count === 0) return NO_HEADERS;
  const headers: Record<string, string> = Object.create(null);
  const headerList = new Array<readonly [string, string]>(count);
  for (let j = 0; j < count; j++, h++) {
    const len = b.headerValueLengths[h]!;
    const name = b.headerNames[b.headerNameIndex[h]!]!;
    const value = len > 0 ? b.headerValues.toString('utf8', hv, hv + len) : '';
    headers[name] = value;
    headerList[j] = [name, value];
    if (len > 0) hv += len;
  }
  return { headers, headerList };
}

/** How many bytes of the batch's header values the `count` headers from header `h` hold (a null value holds none). */
function headerValueBytes(b: ConsumedColumns, h: number, count: number): number {
  let bytes = 0;
  for (const end = h + count; h < end; h++) bytes += Math.max(0, b.headerValueLengths[h]!);
  return bytes;
}

/** The schema ids in the headers of a batch's keyed values (each value that has a 5-byte header). */
function schemaIdsOf(b: ConsumedColumns): Set<number> {
  const ids = new Set<number>();
  let v = 0;
  for (let i = 0; i < b.count; i++) {
    const len = b.valueLengths[i]!;
    // A record without a key is a dead letter for that alone: its schema is not looked up.
    if (len >= 5 && b.keyLengths[i]! >= 0 && b.values[v] === 0) ids.add(b.values.readInt32BE(v + 1));
    if (len > 0) v += len;
  }
  return ids;
}

export class EdgeReader<T> {
  private dead = 0;
  /** The column codec of the edge's schema when it is flat (see avro-columns.ts), made at the first `nextBatch`. */
  private columns: AvroColumns<T> | null | undefined;
  /** Per partition: offset after the last record fetched (dead letters included). */
  private readonly scanned = new Map<number, number>();
  /** Per partition: offset after the last item handed to the caller. */
  private readonly returned = new Map<number, number>();
  private readonly committed = new Map<number, number>();
  /**
   * When the last batch handed out was taken from the consumer: µs since the epoch on this
   * process's monotonic clock (receive-stamp.ts).
   */
  receivedAt = 0;

  private constructor(
    readonly topic: string,
    private readonly codec: SchemaCodec<T>,
    private readonly consumer: PullConsumer,
    private readonly dlq: DeadLetterWriter,
    private readonly onDeadLetter: EdgeReaderOptions<SchemaName>['onDeadLetter'],
  ) {}

  static async open<TName extends SchemaName>(s: KafkaSettings, o: EdgeReaderOptions<TName>): Promise<EdgeReader<SchemaTypes[TName]>> {
    const admin = await TopicAdmin.connect(s);
    const dlq = new DeadLetterWriter(s, o.topic);
    let partitions: number;
    try {
      if (o.partitions !== undefined) await admin.ensureTopic(o.topic, o.partitions);
      const n = await admin.partitions(o.topic);
      if (n === undefined)
        throw new KafkaEdgeError(
          `topic "${o.topic}" does not exist on ${s.brokers.join(',')} (no writer has opened it yet; pass partitions to create it)`,
        );
      partitions = n;
      await dlq.check(admin);
    } finally {
      await admin.close();
    }
    const codec = SchemaCodec.reader<SchemaTypes[TName]>(s.registryUrl, o.topic, o.schema);
    const consumer = await PullConsumer.open(s, {
      topic: o.topic,
      groupId: o.groupId,
      fromBeginning: o.fromBeginning ?? false,
      partitions,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    return new EdgeReader(o.topic, codec, consumer, dlq, o.onDeadLetter);
  }

  /** Records sent to `<topic>.dlq` by this reader. */
  get deadLettered(): number {
    return this.dead;
  }

  /**
   * Waits for the next batch and returns it decoded; never empty. Records that do not decode are in
   * `<topic>.dlq` before this returns.
   */
  async next(): Promise<ConsumedItem<T>[]> {
    for (;;) {
      const items = await this.take(await this.consumer.nextColumns());
      if (items.length > 0) return items;
    }
  }

  /**
   * {@link next} waiting at most `waitMs` for a batch: [] when none came, or when the batch held only
   * dead letters (see `positions` for how far it read).
   */
  async poll(waitMs: number): Promise<ConsumedItem<T>[]> {
    const b = await this.consumer.poll(waitMs);
    return b.count === 0 ? [] : this.take(b);
  }

  /**
   * The next batch as columns: {@link next} without an object per record. A record that does not
   * decode is in `<topic>.dlq` before this returns, as with `next`. Never empty (a record or a
   * control).
   */
  async nextBatch(): Promise<ConsumedBatch<T>> {
    for (;;) {
      const b = await this.takeBatch(await this.consumer.nextColumns());
      if (b.records.length > 0 || b.controls.length > 0) return b;
    }
  }

  /** {@link nextBatch} waiting at most `waitMs`: a batch without rows or controls when none came. */
  async pollBatch(waitMs: number): Promise<ConsumedBatch<T>> {
    return this.takeBatch(await this.consumer.poll(waitMs));
  }

  /** Per partition: the offset after the last record fetched (dead letters included). */
  get positions(): ReadonlyMap<number, number> {
    return this.scanned;
  }

  /**
   * {@link positions}, or further where the consumer has read past control batches (a transactional
   * producer's commit or abort marker takes an offset but is never a record): how far it has read.
   */
  get readThrough(): Map<number, number> {
    const through = new Map(this.scanned);
    for (const [p, o] of this.consumer.consumedThrough()) if (o > (through.get(p) ?? -1)) through.set(p, o);
    return through;
  }

  /** Per partition assigned to this reader: the group's committed offset, or -1 where it has none. */
  committedOffsets(): Promise<Map<number, number>> {
    return this.consumer.committed();
  }

  /**
   * Decodes a fetched batch into columns: the values of the one writer schema that is the edge's own
   * straight into them (avro-columns.ts), any other through avsc into the same rows; what does not
   * decode goes to `<topic>.dlq` first.
   */
  private async takeBatch(b: ConsumedColumns): Promise<ConsumedBatch<T>> {
    this.receivedAt = receiveStamp();
    const n = b.count;
    const valueStarts = new Float64Array(n);
    const keyStarts = new Float64Array(n);
    const headerStarts = new Int32Array(n);
    const headerValueStarts = new Float64Array(n);
    /** Where record i's bytes start (for its dead letter). */
    const at = (i: number) => ({ k: keyStarts[i]!, v: valueStarts[i]!, h: headerStarts[i]!, hv: headerValueStarts[i]! });
    const records: number[] = [];
    const controls: ControlItem<T>[] = [];
    /** Dead letters with their place in the batch: written in that order, as the item path writes them. */
    const letters: { at: number; record: RawRecord; error: string }[] = [];
    const through = new Map<number, number>();
    const ids = new Set<number>();
    let k = 0;
    let v = 0;
    let h = 0;
    let hv = 0;
    for (let i = 0; i < n; i++) {
      keyStarts[i] = k;
      valueStarts[i] = v;
      headerStarts[i] = h;
      headerValueStarts[i] = hv;
      const keyLength = b.keyLengths[i]!;
      const valueLength = b.valueLengths[i]!;
      if (keyLength > 0) k += keyLength;
      if (valueLength > 0) v += valueLength;
      const headerCount = b.headerCounts[i]!;
      // A record's headers are made into text only for a control: the column path does not keep them.
      const controlHeaders = valueLength < 0 ? textHeaders(b, h, hv, headerCount) : undefined;
      hv += headerValueBytes(b, h, headerCount);
      h += headerCount;
      if (controlHeaders) {
        const control = this.control(b.partitions[i]!, b.offsets[i]!, controlHeaders);
        if ('error' in control)
          letters.push({
            at: i,
            record: rawRecord(b, i, at(i)),
            error: control.error,
          });
        else controls.push(control as ControlItem<T>);
        continue;
      }
      if (keyLength < 0) {
        letters.push({
          at: i,
          record: rawRecord(b, i, at(i)),
          error: 'record without a key (expected the symbol)',
        });
        continue;
      }
      records.push(i);
      const s = valueStarts[i]!;
      if (valueLength >= 5 && b.values[s] === 0) ids.add(b.values.readInt32BE(s + 1));
    }
    // Every writer schema of the batch looked up now (those not remembered yet side by side), so that
    // the fallback decodes without waiting.
    const fast = await this.codec.prepareAll(ids);
    const fallback = (i: number) => {
      const s = valueStarts[i]!;
      return (
        this.codec.decodeAt(b.values, s, s + b.valueLengths[i]!) ?? { ok: false as const, error: `schema id of the value not looked up` }
      );
    };
    if (this.columns === undefined) this.columns = AvroColumns.of<T>(this.codec.type) ?? null;
    const decoded = this.columns
      ? this.columns.decode(b.values, valueStarts, b.valueLengths, records, fast, fallback)
      : this.objectRows(records, fallback);
    for (const r of decoded.refused)
      letters.push({
        at: r.index,
        record: rawRecord(b, r.index, at(r.index)),
        error: r.error,
      });
    const rows = decoded.taken.length;
    const partitions = new Int32Array(rows);
    const offsets = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const i = decoded.taken[r]!;
      partitions[r] = b.partitions[i]!;
      offsets[r] = b.offsets[i]!;
      through.set(partitions[r]!, offsets[r]! + 1);
    }
    for (const c of controls) through.set(c.partition, Math.max(through.get(c.partition) ?? 0, Number(c.offset) + 1));
    for (const [p, next] of through) this.returned.set(p, next);
    for (let i = 0; i < n; i++) this.scanned.set(b.partitions[i]!, b.offsets[i]! + 1);
    letters.sort((x, y) => x.at - y.at);
    await this.deadLetter(letters);
    return { records: decoded.batch, partitions, offsets, controls, through };
  }

  /** The column path of a schema that is not flat: avsc's records, made into columns. */
  private objectRows(
    records: readonly number[],
    decode: (i: number) => { ok: true; value: T } | { ok: false; error: string },
  ): { batch: ColumnBatch<T>; taken: Int32Array; refused: { index: number; error: string }[] } {
    const values: T[] = [];
    const taken: number[] = [];
    const refused: { index: number; error: string }[] = [];
    for (const i of records) {
      const d = decode(i);
      if (d.ok) {
        values.push(d.value);
        taken.push(i);
      } else refused.push({ index: i, error: d.error });
    }
    const fields = (this.codec.type as unknown as { fields: { name: string }[] }).fields.map((f) => f.name) as (keyof T & string)[];
    const batch = ColumnBatch.fromRecords(values as (T & object)[], fields as never) as unknown as ColumnBatch<T>;
    return { batch, taken: Int32Array.from(taken), refused };
  }

  /** Decodes a fetched batch; what does not decode goes to `<topic>.dlq` first. */
  private async take(b: ConsumedColumns): Promise<ConsumedItem<T>[]> {
    this.receivedAt = receiveStamp();
    const items: ConsumedItem<T>[] = [];
    const letters: { record: RawRecord; error: string }[] = [];
    // The batch's writer schemas looked up side by side first, not one record after another.
    await this.codec.prepareAll(schemaIdsOf(b));
    // Straight from the batch's columns: no buffer or object per record beyond the item itself.
    let k = 0;
    let v = 0;
    let h = 0;
    let hv = 0;
    for (let i = 0; i < b.count; i++) {
      const partition = b.partitions[i]!;
      const offset = b.offsets[i]!;
      const keyLength = b.keyLengths[i]!;
      const valueLength = b.valueLengths[i]!;
      const ks = k;
      const vs = v;
      const hs = h;
      const hvs = hv;
      if (keyLength > 0) k += keyLength;
      if (valueLength > 0) v += valueLength;
      const headerCount = b.headerCounts[i]!;
      const text = textHeaders(b, h, hv, headerCount);
      hv += headerValueBytes(b, h, headerCount);
      h += headerCount;
      let item: ConsumedItem<T> | { error: string };
      if (valueLength < 0) item = this.control(partition, offset, text);
      else if (keyLength < 0) item = { error: 'record without a key (expected the symbol)' };
      else {
        const d = this.codec.decodeAt(b.values, vs, v) ?? (await this.codec.decode(b.values.subarray(vs, v)));
        item = d.ok
          ? {
              kind: 'record',
              topic: this.topic,
              partition,
              offset: String(offset),
              headers: text.headers,
              headerList: text.headerList,
              key: b.keys.toString('utf8', ks, k),
              value: d.value,
            }
          : { error: d.error };
      }
      if ('error' in item) letters.push({ record: rawRecord(b, i, { k: ks, v: vs, h: hs, hv: hvs }), error: item.error });
      else {
        items.push(item);
        this.returned.set(partition, offset + 1);
      }
      this.scanned.set(partition, offset + 1);
    }
    await this.deadLetter(letters);
    return items;
  }

  /**
   * Sends the letters to `<topic>.dlq`, counts them and tells `onDeadLetter` of each, its error
   * saying so when part of the record could not be copied (see dead-letters.ts).
   */
  private async deadLetter(letters: readonly { record: RawRecord; error: string }[]): Promise<void> {
    if (letters.length === 0) return;
    const notes = await this.dlq.write(letters);
    this.dead += letters.length;
    letters.forEach((l, i) => {
      const note = notes[i];
      this.onDeadLetter?.({ partition: l.record.partition, offset: l.record.offset, error: note ? `${l.error} (${note})` : l.error });
    });
  }

  /**
   * Commits the offsets after `items` (the caller has processed them): a reader restarted in the same
   * group starts after them. Dead letters behind the last item of a partition are committed with it.
   * The commit goes out in the background and `close` waits for the last one: a process killed
   * before that re-reads what it had not committed (at least once; the edge subscriber drops repeats).
   */
  async commit(items: readonly ConsumedItem<T>[]): Promise<void> {
    const target = new Map<number, number>();
    for (const it of items) {
      if (it.topic !== this.topic) throw new KafkaEdgeError(`commit: item of topic "${it.topic}" given to the reader of "${this.topic}"`);
      const next = Number(it.offset) + 1;
      target.set(it.partition, Math.max(target.get(it.partition) ?? 0, next));
    }
    await this.commitThrough(target);
  }

  /** {@link commit} for a batch of {@link nextBatch}: its records and controls are processed. */
  commitBatch(batch: Pick<ConsumedBatch<T>, 'through'>): Promise<void> {
    return this.commitThrough(new Map(batch.through));
  }

  /** Commits per partition the offset after what was processed (`target`, which it changes). */
  private async commitThrough(target: Map<number, number>): Promise<void> {
    for (const [p, next] of target) {
      if (next === this.returned.get(p)) target.set(p, Math.max(next, this.scanned.get(p) ?? next));
    }
    // partitions where everything handed out is committed and only dead letters were read since
    for (const [p, scanned] of this.scanned) {
      if (target.has(p)) continue;
      const returned = this.returned.get(p);
      if (returned === undefined || (this.committed.get(p) ?? -1) >= returned) target.set(p, scanned);
    }
    for (const [p, next] of target) if (next <= (this.committed.get(p) ?? -1)) target.delete(p);
    await this.consumer.commit(target, false);
    for (const [p, next] of target) this.committed.set(p, next);
  }

  /** Commits the last offsets, waiting for the broker (at most `withinMs`, else failing: see PullConsumer.close), and releases the reader. */
  async close(withinMs?: number): Promise<void> {
    try {
      await this.consumer.close(withinMs);
    } finally {
      await this.dlq.close(withinMs);
    }
  }

  private control(partition: number, offset: number, h: TextHeaders): ConsumedItem<T> | { error: string } {
    const control = parseControl(h.headers);
    if (!control) return { error: 'null value without a valid alpha.watermark or alpha.end header' };
    return {
      kind: 'control',
      topic: this.topic,
      partition,
      offset: String(offset),
      headers: h.headers,
      headerList: h.headerList,
      ...control,
    };
  }
}

/** Record i of a batch as the dead-letter writer takes it; `at` holds where its bytes start. */
function rawRecord(b: ConsumedColumns, i: number, at: { k: number; v: number; h: number; hv: number }): RawRecord {
  const keyLength = b.keyLengths[i]!;
  const valueLength = b.valueLengths[i]!;
  // The list keeps the record's headers as they are (order, repeats) for the dead letter's copy.
  const headers: Record<string, Buffer> = Object.create(null);
  const headerList: [string, Buffer][] = [];
  for (let h = at.h, hv = at.hv; h < at.h + b.headerCounts[i]!; h++) {
    const len = Math.max(0, b.headerValueLengths[h]!);
    const name = b.headerNames[b.headerNameIndex[h]!]!;
    const value = b.headerValues.subarray(hv, hv + len);
    headers[name] = value;
    headerList.push([name, value]);
    hv += len;
  }
  return {
    partition: b.partitions[i]!,
    offset: b.offsets[i]!,
    key: keyLength < 0 ? null : b.keys.subarray(at.k, at.k + keyLength),
    value: valueLength < 0 ? null : b.values.subarray(at.v, at.v + valueLength),
    headers,
    headerList,
  };
}
