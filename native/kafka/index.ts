/**
 * Typed wrapper around the librdkafka binding (./rdkafka.node, built by `npm run build:native`; see
 * README.md): records in and out as objects, packed into and out of the binding's columns here.
 *
 * @example
 * const p = new RdProducer({ brokers: ['127.0.0.1:9092'], clientId: 'demo' });
 * await p.send([{ topic: 't', partition: 0, key: Buffer.from('A'), value: Buffer.from('x'), headers: { h: '1' } }]);
 * const c = new RdConsumer({ brokers: ['127.0.0.1:9092'], clientId: 'demo', groupId: 'g', topic: 't', fromBeginning: true });
 * const records = await c.next(1000, 200); // [{ partition: 0, offset: 0, key, value, headers: { h: <Buffer 31> } }]
 * await c.commit(new Map([[0, 1]]));
 * await Promise.all([p.close(), c.close()]);
 * const admin = new RdAdmin({ brokers: ['127.0.0.1:9092'], clientId: 'demo' });
 * await admin.createTopic('t2', 3); // { created: true, partitions: 3 }
 * await admin.topicConfigs('t2'); // { 'cleanup.policy': 'delete', 'max.message.bytes': '1048588', … }
 * await admin.watermarks('t'); // [{ partition: 0, low: 0, high: 1 }]
 * await admin.close();
 */
import { addonLoader } from '../load.ts';

/**
 * Records column-wise (see src/lib.rs): keys, values and header values joined, lengths -1 for null;
 * the distinct header names once, and per header the index of its name.
 */
interface Columns {
  partitions: Int32Array;
  keys: Buffer;
  keyLengths: Int32Array;
  values: Buffer;
  valueLengths: Int32Array;
  headerCounts: Uint32Array;
  headerNames: string[];
  headerNameIndex: Uint32Array;
  headerValues: Buffer;
  headerValueLengths: Int32Array;
}
/** A batch of consumed records as the binding hands it over: record i is at index i of each column. */
export interface ConsumedColumns extends Columns {
  count: number;
  offsets: Float64Array;
}

interface NativeProducer {
  readonly idempotent: boolean;
  prepare(topic: string, timeoutMs: number): Promise<number>;
  /** Takes a batch to `topic` ({@link Columns}' fields, in order); returns its number (1, 2, …): `onSettled` reports it. */
  send(
    topic: string,
    partitions: Int32Array,
    keys: Buffer,
    keyLengths: Int32Array,
    values: Buffer,
    valueLengths: Int32Array,
    headerCounts: Uint32Array,
    headerNames: string[],
    headerNameIndex: Uint32Array,
    headerValues: Buffer,
    headerValueLengths: Int32Array,
  ): number;
  purge(reason: string): void;
  close(): Promise<void>;
}
interface NativeConsumer {
  next(max: number, waitMs: number): Promise<ConsumedColumns>;
  commit(partitions: Int32Array, nextOffsets: Float64Array, wait: boolean, withinMs?: number): Promise<void>;
  assigned(): number;
  positions(): { partition: number; offset: number }[];
  committed(timeoutMs: number): Promise<{ partition: number; offset: number }[]>;
  close(withinMs?: number): Promise<boolean>;
}
interface NativeAdmin {
  topics(timeoutMs: number): Promise<string[]>;
  partitions(topic: string, timeoutMs: number): Promise<number | null>;
  watermarks(topic: string, timeoutMs: number): Promise<Watermark[]>;
  createTopic(topic: string, partitions: number, timeoutMs: number, configs?: Record<string, string>): Promise<TopicCreated>;
  topicConfigs?(topic: string, timeoutMs: number): Promise<Record<string, string>>;
  deleteTopics(topics: string[], timeoutMs: number): Promise<void>;
  deleteGroups(groups: string[], timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}
interface Binding {
  NativeAdmin: new (o: { brokers: string; clientId: string; extra?: Record<string, string> }) => NativeAdmin;
  NativeProducer: new (
    o: { brokers: string; clientId: string; extra?: Record<string, string> },
    onSettled: (upTo: number, error: string | null) => void,
  ) => NativeProducer;
  NativeConsumer: new (o: {
    brokers: string;
    clientId: string;
    groupId: string;
    topic: string;
    fromBeginning: boolean;
    extra?: Record<string, string>;
  }) => NativeConsumer;
}
const binding = addonLoader<Binding>(
  new URL('./rdkafka.node', import.meta.url),
  'the librdkafka binding',
  'needs cargo and librdkafka-dev, which `npm ci` installs with apt when it can',
);

/** A record's headers as Kafka holds them: in order, a name perhaps more than once. */
export type HeaderList<TValue> = readonly (readonly [name: string, value: TValue])[];

export interface ProducedRecord {
  topic: string;
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  /** By name (in the object's key order), or as a list: in its order, repeats kept (what a copy of a consumed record needs). */
  headers: Record<string, string | Buffer> | HeaderList<string | Buffer>;
}

export interface ConsumedRecord {
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  /** By name, the last value of each (a prototype-less object: a header may be named `__proto__`). */
  headers: Record<string, Buffer>;
  /** Every header in the record's order, repeats included: `headers` keeps only the last of a name. */
  headerList: HeaderList<Buffer>;
}

/** Bytes of several parts back to back, and each part's length (-1: null). */
export interface Joined {
  data: Buffer;
  lengths: Int32Array;
}

/**
 * Records to one topic, column-wise: record i goes to `partitions[i]`, its key and value are the i-th
 * parts of `keys` and `values`, and it has `headers.counts[i]` headers, taken in turn from
 * `headers.names` and `headers.values`.
 */
export interface ProducedColumns {
  topic: string;
  partitions: Int32Array;
  keys: Joined;
  values: Joined;
  headers: { counts: Uint32Array; names: string[]; values: Joined };
}

export interface ClientOptions {
  brokers: readonly string[];
  clientId: string;
  /** Further librdkafka properties. */
  extra?: Record<string, string>;
}

/** Batches to one topic as one batch, in order (record i of batch k follows every record of batch k − 1). */
export function mergeColumns(batches: readonly ProducedColumns[]): ProducedColumns {
  if (batches.length === 1) return batches[0]!;
  const cat = (parts: readonly Joined[]): Joined => ({
    data: Buffer.concat(parts.map((j) => j.data)),
    lengths: catInt32(parts.map((j) => j.lengths)),
  });
  let counts = 0;
  for (const b of batches) counts += b.headers.counts.length;
  const headerCounts = new Uint32Array(counts);
  let at = 0;
  for (const b of batches) {
    headerCounts.set(b.headers.counts, at);
    at += b.headers.counts.length;
  }
  return {
    topic: batches[0]!.topic,
    partitions: catInt32(batches.map((b) => b.partitions)),
    keys: cat(batches.map((b) => b.keys)),
    values: cat(batches.map((b) => b.values)),
    headers: {
      counts: headerCounts,
      names: batches.flatMap((b) => b.headers.names),
      values: cat(batches.map((b) => b.headers.values)),
    },
  };
}

function catInt32(parts: readonly Int32Array[]): Int32Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Records as columns (see {@link ProducedColumns}); all of them to one topic. */
export function toColumns(records: readonly ProducedRecord[]): ProducedColumns {
  const topic = records[0]?.topic ?? '';
  const partitions = new Int32Array(records.length);
  const counts = new Uint32Array(records.length);
  const names: string[] = [];
  const headerValues: (string | Buffer)[] = [];
  let text = true;
  let i = 0;
  /** One header of record `i`, from either form of its headers. */
  const add = (name: string, v: string | Buffer): void => {
    names.push(name);
    headerValues.push(v);
    if (typeof v !== 'string') text = false;
    counts[i]!++;
  };
  for (; i < records.length; i++) {
    const r = records[i]!;
    if (r.topic !== topic) throw new TypeError(`send: one topic per call (${topic}, then ${r.topic})`);
    partitions[i] = r.partition;
    const h = r.headers;
    if (isHeaderList(h)) for (const [name, v] of h) add(name, v);
    else for (const name in h) add(name, h[name]!);
  }
  return {
    topic,
    partitions,
    keys: joined(records.map((r) => r.key)),
    values: joined(records.map((r) => r.value)),
    headers: {
      counts,
      names,
      values: text ? joinedText(headerValues as string[]) : joined(headerValues.map((v) => (typeof v === 'string' ? Buffer.from(v) : v))),
    },
  };
}

const isHeaderList = (h: ProducedRecord['headers']): h is HeaderList<string | Buffer> => Array.isArray(h);

/** The headers of a record that has none (frozen: records are read, not changed). */
const NO_HEADER_LIST: HeaderList<Buffer> = Object.freeze([]);

/**
 * {@link joined} for text parts (header values), encoded as UTF-8 in one go: no buffer per part.
 * When the bytes are as many as the characters, every part is ASCII and its length in bytes is its length.
 */
export function joinedText(parts: readonly string[]): Joined {
  const lengths = new Int32Array(parts.length);
  const text = parts.join('');
  const data = Buffer.from(text, 'utf8');
  if (data.length === text.length) for (let i = 0; i < parts.length; i++) lengths[i] = parts[i]!.length;
  else for (let i = 0; i < parts.length; i++) lengths[i] = Buffer.byteLength(parts[i]!, 'utf8');
  return { data, lengths };
}

/** Lengths of the parts (-1 for null) and the parts joined. */
export function joined(parts: readonly (Buffer | null)[]): Joined {
  const lengths = new Int32Array(parts.length);
  const present: Buffer[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === null || p === undefined) lengths[i] = -1;
    else {
      lengths[i] = p.length;
      present.push(p);
    }
  }
  return { data: Buffer.concat(present), lengths };
}

/** The parts of `data` by their lengths (-1: null), as views into it. */
function split(data: Buffer, lengths: Int32Array): (Buffer | null)[] {
  const out = new Array<Buffer | null>(lengths.length);
  let at = 0;
  for (let i = 0; i < lengths.length; i++) {
    const len = lengths[i]!;
    if (len < 0) {
      out[i] = null;
      continue;
    }
    out[i] = data.subarray(at, at + len);
    at += len;
  }
  return out;
}

/** The records of a consumed batch as objects, their bytes views into the batch's buffers. */
export function recordsOf(b: ConsumedColumns): ConsumedRecord[] {
  const keys = split(b.keys, b.keyLengths);
  const values = split(b.values, b.valueLengths);
  const headerValues = split(b.headerValues, b.headerValueLengths);
  const out = new Array<ConsumedRecord>(b.count);
  let h = 0;
  for (let i = 0; i < b.count; i++) {
    const headers: Record<string, Buffer> = Object.create(null);
    const count = b.headerCounts[i]!;
    const headerList = count === 0 ? NO_HEADER_LIST : new Array<readonly [string, Buffer]>(count);
    for (let j = 0; j < count; j++, h++) {
      const name = b.headerNames[b.headerNameIndex[h]!]!;
      const value = headerValues[h] ?? Buffer.alloc(0);
      headers[name] = value;
      (headerList as (readonly [string, Buffer])[])[j] = [name, value];
    }
    out[i] = { partition: b.partitions[i]!, offset: b.offsets[i]!, key: keys[i]!, value: values[i]!, headers, headerList };
  }
  return out;
}

/** The distinct names, and per name its index among them. */
function nameTable(all: readonly string[]): { names: string[]; index: Uint32Array } {
  const names: string[] = [];
  const at = new Map<string, number>();
  const index = new Uint32Array(all.length);
  for (let i = 0; i < all.length; i++) {
    const name = all[i]!;
    let k = at.get(name);
    if (k === undefined) {
      k = names.push(name) - 1;
      at.set(name, k);
    }
    index[i] = k;
  }
  return { names, index };
}

/**
 * Idempotent producer (acks = all); all records of one `send` go to one topic. One round trip at a
 * time, off the JS thread: sends made while one is in flight go into librdkafka together once it is
 * acknowledged, in call order; after a failure every later send fails with the same error.
 */
export class RdProducer {
  readonly #native: NativeProducer;
  /** Sends not yet settled, in number order. */
  readonly #waiting: { seq: number; resolve: () => void; reject: (err: Error) => void }[] = [];
  #head = 0;
  /** Keeps Node running while sends are unsettled (the binding's callback does not). */
  #keepAlive: ReturnType<typeof setInterval> | undefined;

  constructor(o: ClientOptions) {
    this.#native = new (binding().NativeProducer)(
      {
        brokers: o.brokers.join(','),
        clientId: o.clientId,
        ...(o.extra ? { extra: o.extra } : {}),
      },
      (upTo, error) => this.#settled(upTo, error),
    );
  }

  #settled(upTo: number, error: string | null): void {
    const w = this.#waiting;
    while (this.#head < w.length && w[this.#head]!.seq <= upTo) {
      const s = w[this.#head++]!;
      if (error === null) s.resolve();
      else s.reject(new Error(error));
    }
    if (this.#head === w.length) {
      w.length = 0;
      this.#head = 0;
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
    }
  }

  /** Whether the producer was created idempotent. */
  get idempotent(): boolean {
    return this.#native.idempotent;
  }

  /**
   * Looks `topic` up now, so the first `send` to it does not wait for librdkafka's periodic scan of
   * new topics; resolves with its number of partitions.
   */
  prepare(topic: string, timeoutMs = 10_000): Promise<number> {
    return this.#native.prepare(topic, timeoutMs);
  }

  /**
   * Sends a batch already laid out in columns (see {@link ProducedColumns}); resolves when the broker
   * has acknowledged every record; rejects with the first delivery error.
   */
  sendColumns(c: ProducedColumns): Promise<void> {
    if (c.partitions.length === 0) return Promise.resolve();
    const { names, index } = nameTable(c.headers.names);
    let seq: number;
    try {
      seq = this.#send(c, names, index);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ seq, resolve, reject });
      this.#keepAlive ??= setInterval(() => undefined, 1 << 30);
    });
  }

  #send(c: ProducedColumns, names: string[], index: Uint32Array): number {
    return this.#native.send(
      c.topic,
      c.partitions,
      c.keys.data,
      c.keys.lengths,
      c.values.data,
      c.values.lengths,
      c.headers.counts,
      names,
      index,
      c.headers.values.data,
      c.headers.values.lengths,
    );
  }

  /** Resolves when the broker has acknowledged every record; rejects with the first delivery error. */
  async send(records: readonly ProducedRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.sendColumns(toColumns(records));
  }

  /**
   * Gives up on every record not yet acknowledged: the sends waiting settle at once, rejected with
   * `reason`, and so does every later one (a stop that cannot wait out librdkafka's retries for a
   * broker that is gone). Old builds of the binding lack it: `npm run build:native`.
   */
  purge(reason: string): void {
    if (typeof this.#native.purge !== 'function')
      throw new Error('this build of native/kafka cannot purge a producer: run npm run build:native');
    this.#native.purge(reason);
  }

  /** Waits for what is queued, then releases the producer. */
  async close(): Promise<void> {
    await this.#native.close();
  }
}

export interface ConsumerOptions extends ClientOptions {
  groupId: string;
  topic: string;
  /** Where a group without committed offsets starts. */
  fromBeginning: boolean;
}

/** A consumer in a group, pulled in batches; offsets are committed only by `commit`. */
export class RdConsumer {
  readonly #native: NativeConsumer;

  constructor(o: ConsumerOptions) {
    this.#native = new (binding().NativeConsumer)({
      brokers: o.brokers.join(','),
      clientId: o.clientId,
      groupId: o.groupId,
      topic: o.topic,
      fromBeginning: o.fromBeginning,
      ...(o.extra ? { extra: o.extra } : {}),
    });
  }

  /** Up to `max` records, waiting up to `waitMs` for the first; [] when none came. */
  async next(max: number, waitMs: number): Promise<ConsumedRecord[]> {
    return recordsOf(await this.#native.next(max, waitMs));
  }

  /** {@link next} as the binding hands it over: columns, no object per record (`count` 0 when none came). */
  nextColumns(max: number, waitMs: number): Promise<ConsumedColumns> {
    return this.#native.next(max, waitMs);
  }

  /**
   * Commits `offsets` (partition → the offset of the next record to read). With `wait`, resolves once
   * the broker has them (rejects when it has not answered within `withinMs`, when given); otherwise
   * they are sent in the background (see src/lib.rs).
   */
  async commit(offsets: ReadonlyMap<number, number>, wait = true, withinMs?: number): Promise<void> {
    if (offsets.size === 0) return;
    const partitions = Int32Array.from(offsets.keys());
    const next = Float64Array.from(offsets.values());
    if (withinMs === undefined) await this.#native.commit(partitions, next, wait);
    else await this.#native.commit(partitions, next, wait, timeout('commit', withinMs));
  }

  /**
   * The group's committed offset (the next record to read) of each partition assigned to this
   * consumer, or -1 where the group has committed none; asks the group's coordinator.
   */
  committed(timeoutMs = 10_000): Promise<{ partition: number; offset: number }[]> {
    return this.#native.committed(timeoutMs);
  }

  /**
   * Per assigned partition, the offset after the last record or control batch librdkafka consumed
   * (-1 before any): unlike the offsets of the records handed out, it moves past a transaction's
   * commit or abort marker. Local, no broker round trip.
   */
  positions(): { partition: number; offset: number }[] {
    return this.#native.positions();
  }

  /** Partitions assigned to this consumer by its group (0 until it has joined). */
  get assigned(): number {
    return this.#native.assigned();
  }

  /**
   * Leaves the group and releases the consumer; resolves true once done. With `withinMs`, resolves
   * false when that has not happened by then (librdkafka's close can wait without end for a group
   * coordinator that is gone): the close goes on, abandoned, and nothing waits for it.
   */
  async close(withinMs?: number): Promise<boolean> {
    const closed = await (withinMs === undefined ? this.#native.close() : this.#native.close(timeout('close', withinMs)));
    return closed !== false; // a build before the bound resolves nothing, having waited to the end
  }
}

/** One partition's offsets: the earliest still held, and the one the next record will get. */
export interface Watermark {
  partition: number;
  low: number;
  high: number;
}

/** What {@link RdAdmin.createTopic} found or did. */
export interface TopicCreated {
  /** False when the topic existed already (made earlier, or by another client at the same moment). */
  created: boolean;
  /** The topic's partition count as the broker reports it now. */
  partitions: number;
}

export interface AdminOptions extends ClientOptions {
  /** How long a call may wait for the brokers, in ms (default 30,000). */
  timeoutMs?: number;
}

/**
 * Topics and consumer groups: create, inspect, delete. A call waits up to `timeoutMs` for the brokers,
 * and fails sooner, with librdkafka's reason (e.g. connection refused), once every broker has been
 * reported down since one last answered. Metadata requests never create a topic.
 */
export class RdAdmin {
  readonly #native: NativeAdmin;
  readonly #timeoutMs: number;

  constructor(o: AdminOptions) {
    this.#timeoutMs = timeout('RdAdmin', o.timeoutMs ?? 30_000);
    this.#native = new (binding().NativeAdmin)({
      brokers: o.brokers.join(','),
      clientId: o.clientId,
      ...(o.extra ? { extra: o.extra } : {}),
    });
  }

  /**
   * The names of all topics, internal ones included, sorted. Also the way to see that a broker
   * answers, with a `timeoutMs` of its own.
   */
  async topics(timeoutMs = this.#timeoutMs): Promise<string[]> {
    return this.#native.topics(timeout('topics', timeoutMs));
  }

  /** The partition count of `topic`; undefined when it does not exist. */
  async partitions(topic: string): Promise<number | undefined> {
    return (await this.#native.partitions(name('partitions', 'topic', topic), this.#timeoutMs)) ?? undefined;
  }

  /** Per partition of `topic`, in partition order; rejects when the topic does not exist. */
  async watermarks(topic: string): Promise<Watermark[]> {
    return this.#native.watermarks(name('watermarks', 'topic', topic), this.#timeoutMs);
  }

  /**
   * Creates `topic` with `partitions` partitions (the broker's default replication factor) and
   * `configs` (topic configs over the broker's defaults, e.g. `{ 'max.message.bytes': '2000000' }`),
   * and resolves once each partition has a leader. One that exists already is no error: `created` is
   * false and `partitions` is the count it has, which the caller compares with the one it wanted;
   * its configs are left as they are.
   */
  async createTopic(topic: string, partitions: number, configs?: Readonly<Record<string, string>>): Promise<TopicCreated> {
    if (typeof partitions !== 'number') throw new TypeError(`createTopic: partitions is ${typeof partitions}, expected an integer ≥ 1`);
    if (configs !== undefined && !Object.values(configs).every((v) => typeof v === 'string'))
      throw new TypeError('createTopic: configs has a value that is not a string');
    const t = name('createTopic', 'topic', topic);
    return configs === undefined
      ? this.#native.createTopic(t, partitions, this.#timeoutMs)
      : this.#native.createTopic(t, partitions, this.#timeoutMs, { ...configs });
  }

  /**
   * The configs of `topic` as the broker applies them (set on the topic, or the broker's defaults),
   * by name, e.g. `cleanup.policy`, `max.message.bytes`; rejects when the topic does not exist.
   */
  async topicConfigs(topic: string): Promise<Record<string, string>> {
    if (typeof this.#native.topicConfigs !== 'function')
      throw new Error('this build of native/kafka cannot describe topic configs: run npm run build:native');
    return this.#native.topicConfigs(name('topicConfigs', 'topic', topic), this.#timeoutMs);
  }

  /** Deletes the topics and resolves once the metadata no longer lists them; rejects naming each refused one. */
  async deleteTopics(topics: readonly string[]): Promise<void> {
    await this.#native.deleteTopics(names('deleteTopics', 'topics', topics), this.#timeoutMs);
  }

  /** Deletes the consumer groups (their committed offsets); rejects naming each refused one. */
  async deleteGroups(groups: readonly string[]): Promise<void> {
    await this.#native.deleteGroups(names('deleteGroups', 'groups', groups), this.#timeoutMs);
  }

  /** Releases the client once no call holds it. */
  async close(): Promise<void> {
    await this.#native.close();
  }
}

function timeout(method: string, ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 1 || ms > 0xffff_ffff)
    throw new TypeError(`${method}: timeoutMs is ${String(ms)}, expected an integer number of ms ≥ 1`);
  return ms;
}

/** The binding checks the names themselves; here only that they are strings, which it cannot name. */
function name(method: string, argument: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`${method}: ${argument} is ${typeof value}, expected a string`);
  return value;
}

function names(method: string, argument: string, value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new TypeError(
      `${method}: ${argument} is ${Array.isArray(value) ? 'an array with a non-string' : typeof value}, expected an array of strings`,
    );
  }
  return value as string[];
}
