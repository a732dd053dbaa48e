/**
 * Reading a topic of any schema as a live source (what `source.kafka` is built on): an EdgeReader in
 * a consumer group that starts where `start` says, hands out each fetched batch decoded into columns
 * (no object per record: see avro-columns.ts) with the batch's receive stamp, and commits a batch
 * only when it is asked for the next one
 * (the caller has handed the batch on) — so a reader restarted in the same group resumes after the
 * last batch handed on, with nothing lost or repeated. It ends after `limit` values, or, with
 * `untilEnd`, at the end offsets the topic had when it opened; otherwise only `close` ends it.
 *
 * @example
 * import { kafkaSettings } from './settings.ts';
 * const r = await TopicReader.open(kafkaSettings(), { topic: 'demo.orders', schema: 'Order', groupId: 'g', start: 'earliest', untilEnd: true });
 * for (let b = await r.next(); b !== null; b = await r.next()) console.log(b.batch.length, b.receivedAt);
 * await r.close();
 */
import type { ColumnBatch } from '../../core/column-batch.ts';
import type { Micros } from '../../core/time.ts';
import type { SchemaName, SchemaTypes } from '../../../schemas/types.generated.ts';
import { TopicAdmin } from './admin.ts';
import { EdgeReader, type ConsumedBatch, type EdgeReaderOptions } from './edge-reader.ts';
import { KafkaEdgeError } from './errors.ts';
import { KAFKA_STOP_WITHIN_MS, type KafkaSettings, type KafkaStart } from './settings.ts';
export { KAFKA_STARTS, type KafkaStart } from './settings.ts';

/**
 * `committed`: the group's committed offsets (a partition without one starts at its earliest record);
 * `earliest` / `latest`: the first record kept / only records written from now on, whatever the group
 * had committed (its offsets are deleted first, so no member of the group may be running).
 */

export interface TopicReaderOptions<TName extends SchemaName> {
  topic: string;
  schema: TName;
  groupId: string;
  start: KafkaStart;
  /** End at the end offsets the topic had when the reader opened (tests, catching up). */
  untilEnd?: boolean;
  /** End after this many values. */
  limit?: number;
  onDeadLetter?: EdgeReaderOptions<TName>['onDeadLetter'];
  /** Gives up opening (a run stopped while its consumer was joining the group). */
  signal?: AbortSignal;
}

/** How long one poll waits for records before the reader checks whether it should end. */
const POLL_MS = 100;

/**
 * After this long without a record, the reader asks the broker (in the background) whether its topic
 * still exists: librdkafka takes a deleted topic for one not yet known, and would wait for it for ever.
 */
const IDLE_CHECK_MS = 5_000;

export class TopicReader<T> {
  /** What the last batch handed out read through, committed when the next is asked for. */
  private handed: Pick<ConsumedBatch<T>, 'through'> | undefined;
  private delivered = 0;
  private closing = false;
  private reading: Promise<unknown> = Promise.resolve();
  /** With `deferCommits`: per partition, the offset after what was handed out (committed by `commitTaken`). */
  private readonly taken = new Map<number, number>();
  private deferring = false;
  private released = false;
  /** Since when polls have fetched nothing (performance.now()), and the topic check under way. */
  private idleSince: number | undefined;
  private checking: Promise<void> | undefined;
  private admin: Promise<TopicAdmin> | undefined;
  /** The broker said the topic does not exist (any more). */
  private deleted = false;

  private constructor(
    private readonly reader: EdgeReader<T>,
    /** Per partition still to read with `untilEnd`: the end offset, and where the reader started. */
    private readonly ends: ReadonlyMap<number, { end: number; from: number }> | undefined,
    private readonly limit: number | undefined,
    private readonly settings: KafkaSettings,
    private readonly topic: string,
  ) {}

  static async open<TName extends SchemaName>(s: KafkaSettings, o: TopicReaderOptions<TName>): Promise<TopicReader<SchemaTypes[TName]>> {
    const where = `topic "${o.topic}" on ${s.brokers.join(',')}`;
    const admin = await TopicAdmin.connect(s);
    try {
      if ((await admin.partitions(o.topic)) === undefined)
        throw new KafkaEdgeError(`${where} does not exist (sink.kafka, or another producer, creates it)`);
      if (o.start !== 'committed') await resetGroup(admin, o.groupId, where);
    } finally {
      await admin.close();
    }
    const reader = await EdgeReader.open(s, {
      topic: o.topic,
      schema: o.schema,
      groupId: o.groupId,
      fromBeginning: o.start !== 'latest',
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.onDeadLetter ? { onDeadLetter: o.onDeadLetter } : {}),
    });
    try {
      const ends = o.untilEnd ? await endsOf(s, reader, o) : undefined;
      return new TopicReader(reader, ends, o.limit, s, o.topic);
    } catch (err) {
      await reader.close();
      throw err;
    }
  }

  /** The next batch's records with its receive stamp, or null at the end; commits the batch handed out before. */
  next(): Promise<{ batch: ColumnBatch<T>; receivedAt: Micros } | null> {
    const read = this.read();
    this.reading = read.catch(() => undefined);
    return read;
  }

  private async read(): Promise<{ batch: ColumnBatch<T>; receivedAt: Micros } | null> {
    if (this.handed) {
      await this.commitOrKeep(this.handed.through);
      this.handed = undefined;
    }
    for (;;) {
      if (this.closing || (this.limit !== undefined && this.delivered >= this.limit)) return null;
      if (this.atEnd()) {
        if (!this.deferring) await this.reader.commit([]); // past dead letters at the end
        return null;
      }
      const got = await this.reader.pollBatch(POLL_MS);
      if (this.closing) return null; // not handed out: read again after a restart
      this.watchIdle(got.through.size > 0);
      let batch = got.records;
      let through = got.through;
      // Rows past the limit, or written after the reader opened, are not handed out (nor committed).
      const room = this.limit === undefined ? Number.POSITIVE_INFINITY : this.limit - this.delivered;
      if (this.ends || batch.length > room) {
        const keep: number[] = [];
        /** Per partition: the offset of its first record left out by the limit (nothing from there on is committed). */
        const cut = new Map<number, number>();
        through = new Map();
        const written = (p: number, offset: number): boolean => {
          const end = this.ends?.get(p)?.end;
          return !this.ends || (end !== undefined && offset < end);
        };
        for (let r = 0; r < batch.length; r++) {
          const p = got.partitions[r]!;
          const offset = got.offsets[r]!;
          if (!written(p, offset)) continue;
          if (keep.length >= room || cut.has(p)) {
            if (!cut.has(p)) cut.set(p, offset);
            continue;
          }
          keep.push(batch.start + r);
          through.set(p, Math.max(through.get(p) ?? 0, offset + 1));
        }
        for (const c of got.controls) {
          const offset = Number(c.offset);
          if (written(c.partition, offset) && offset < (cut.get(c.partition) ?? Number.POSITIVE_INFINITY))
            through.set(c.partition, Math.max(through.get(c.partition) ?? 0, offset + 1));
        }
        if (keep.length < batch.length) batch = batch.pick(keep);
      }
      if (batch.length === 0) {
        if (through.size > 0) await this.commitOrKeep(through); // control records only
        continue;
      }
      this.handed = { through };
      this.delivered += batch.length;
      return { batch, receivedAt: this.reader.receivedAt };
    }
  }

  /**
   * From now on commits nothing while reading: what was handed out is committed by `commitTaken`,
   * which a run whose outputs are written at its end calls once they are (a run that fails, or is
   * interrupted, commits nothing: its rerun reads the records again).
   */
  deferCommits(): void {
    this.deferring = true;
  }

  private async commitOrKeep(through: ReadonlyMap<number, number>): Promise<void> {
    if (!this.deferring) return this.reader.commitBatch({ through: new Map(through) });
    for (const [p, next] of through) this.taken.set(p, Math.max(this.taken.get(p) ?? 0, next));
  }

  /**
   * After {@link deferCommits}: commits everything handed out (the last batch too, and the dead
   * letters read past), then closes as `close` does (the broker has KAFKA_STOP_WITHIN_MS to confirm
   * the commit, else this fails). Call it only once what was handed out is durable.
   */
  async commitTaken(): Promise<void> {
    this.closing = true;
    await this.reading;
    if (this.released) return;
    if (this.handed) await this.commitOrKeep(this.handed.through);
    this.handed = undefined;
    await this.reader.commitBatch({ through: this.taken });
    await this.close();
  }

  /**
   * Fails the read once the broker has said the topic is gone; after IDLE_CHECK_MS without a record,
   * asks it again (in the background: a broker that does not answer holds no read, and is not taken
   * for a deleted topic).
   */
  private watchIdle(fetched: boolean): void {
    if (this.deleted)
      throw new KafkaEdgeError(
        `topic "${this.topic}" was deleted while it was being read (the broker no longer has it): recreate it and run again`,
      );
    if (fetched) {
      this.idleSince = undefined;
      return;
    }
    const now = performance.now();
    this.idleSince ??= now;
    if (now - this.idleSince < IDLE_CHECK_MS || this.checking) return;
    this.idleSince = now;
    this.admin ??= TopicAdmin.connect(this.settings);
    this.checking = this.admin
      .then((a) => a.partitions(this.topic))
      .then(
        (partitions) => {
          if (partitions === undefined) this.deleted = true;
        },
        () => undefined,
      )
      .finally(() => {
        this.checking = undefined;
      });
  }

  /** Records sent to `<topic>.dlq` so far. */
  get deadLettered(): number {
    return this.reader.deadLettered;
  }

  /** Stops reading (a read in progress ends with null) without leaving the group: `commitTaken` or `close` follows. */
  async stop(): Promise<void> {
    this.closing = true;
    await this.reading;
  }

  /**
   * Stops reading: a read in progress ends with null, and what it fetched is not committed; the
   * batch handed out last is not committed either (nothing asked for the next one: it may not have
   * been handed on). The broker gets KAFKA_STOP_WITHIN_MS to confirm the last commit; when it has not
   * (it is gone), the close fails once the reader is released: a restart reads again from the last
   * confirmed commit.
   */
  async close(): Promise<void> {
    this.closing = true;
    await this.reading;
    if (this.released) return;
    this.released = true;
    // A check under way is not waited for (its broker may be gone): its admin client closes when it is done.
    void this.admin?.then(
      (a) => a.close(),
      () => undefined,
    );
    await this.reader.close(KAFKA_STOP_WITHIN_MS);
  }

  private atEnd(): boolean {
    if (!this.ends) return false;
    // How far the consumer read, not the last record's offset + 1: a transaction's marker ends a
    // partition with an offset no record has (the run would wait for it for ever).
    const read = this.reader.readThrough;
    for (const [p, { end, from }] of this.ends) if ((read.get(p) ?? from) < end) return false;
    return true;
  }
}

/** Deletes the group's committed offsets (it must have no running member); a group never seen is fine. */
async function resetGroup(admin: TopicAdmin, groupId: string, where: string): Promise<void> {
  try {
    await admin.deleteGroups([groupId]);
  } catch (err) {
    const m = err instanceof Error ? err.message : String(err);
    if (m.includes('GroupIdNotFound')) return;
    throw new KafkaEdgeError(
      `${where}: cannot reset consumer group "${groupId}" to read from its start param (${m}): ` +
        'a member is running, or one of a run that just failed or was interrupted (Ctrl-C) holds it for up to its session timeout (30 s); ' +
        'stop the running member, or try again in 30 s, or use start: committed',
    );
  }
}

/**
 * Per partition assigned to `reader` that has records to read: the end offset now, and where the
 * reader starts. The end is the last stable offset: the admin client asks read_committed
 * (librdkafka's default isolation level, for its offset queries too), so a transaction still open
 * ends the partition before its first record instead of holding the end until it closes
 * (test/kafka/transactions.test.ts).
 */
async function endsOf<T>(
  s: KafkaSettings,
  reader: EdgeReader<T>,
  o: TopicReaderOptions<SchemaName>,
): Promise<Map<number, { end: number; from: number }>> {
  const admin = await TopicAdmin.connect(s);
  let offsets: { partition: number; low: number; high: number }[];
  try {
    offsets = await admin.offsets(o.topic);
  } finally {
    await admin.close();
  }
  const committed = await reader.committedOffsets();
  const ends = new Map<number, { end: number; from: number }>();
  for (const { partition, low, high } of offsets) {
    const c = committed.get(partition);
    if (c === undefined) continue; // another member of the group reads it
    const from = c >= low ? c : o.start === 'latest' ? high : low;
    if (from < high) ends.set(partition, { end: high, from });
  }
  return ends;
}
