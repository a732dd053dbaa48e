/**
 * Reads a dataset's per-symbol streams (lib/io/redis/hot-streams.ts) through a consumer group, so a
 * reader that stops and starts again under the same group and consumer name resumes where it
 * stopped: first the entries it had been given but not acknowledged (the batch in hand when it
 * stopped), then the new ones. Entries of one read come back in (ts_known, seq) order, symbols
 * merged; `ack()` acknowledges the last read once its records have been handled.
 */
import type { Redis } from 'ioredis';
import type avro from 'avsc';
import { AlphaError } from '../../core/errors.ts';
import { avroType } from './avro-type.ts';
import { type HotSchema, metaKey, streamKey } from './hot-streams.ts';

// A pending entry deleted since it was given (flushed to the lake, trimmed) comes back without fields.
type Reply = [key: Buffer, entries: [id: Buffer, fields: Buffer[] | null][]][] | null;

interface Entry<T> {
  key: string;
  id: string;
  ms: number;
  n: number;
  record: T;
}

export class GroupReader<T> {
  private readonly type: avro.Type;
  private readonly keys: string[];
  /** Reading what this consumer had been given before (id 0) until it is exhausted, then new entries (>). */
  private backlog = true;
  private unacked: Entry<T>[] = [];
  private lastRead = 0;
  /** Entries that did not decode: counted, and acknowledged with the next batch (never given again). */
  private skipped: { key: string; id: string }[] = [];
  undecodable = 0;

  private constructor(
    private readonly redis: Redis,
    private readonly dataset: string,
    schema: HotSchema,
    symbols: readonly string[],
    private readonly group: string,
    private readonly consumer: string,
  ) {
    this.type = avroType(schema);
    this.keys = symbols.map((s) => streamKey(dataset, s));
  }

  static async open<T>(
    redis: Redis,
    dataset: string,
    schema: HotSchema,
    symbols: readonly string[],
    group: string,
    consumer: string,
  ): Promise<GroupReader<T>> {
    const was = await redis.hget(metaKey(dataset), 'schema');
    if (was !== null && was !== schema)
      throw new AlphaError(`hot tier: dataset "${dataset}" holds ${was} records in Redis (${metaKey(dataset)}), not ${schema}`);
    for (const s of symbols) {
      try {
        // From the start of the stream (0): a new group reads what is kept, then what comes.
        await redis.xgroup('CREATE', streamKey(dataset, s), group, '0', 'MKSTREAM');
      } catch (err) {
        if (!String((err as Error).message).startsWith('BUSYGROUP')) throw err;
      }
    }
    return new GroupReader<T>(redis, dataset, schema, symbols, group, consumer);
  }

  /** Up to `count` entries per symbol, waiting up to `blockMs` for new ones; [] when none came. */
  async read(count: number, blockMs: number): Promise<T[]> {
    for (;;) {
      const ids = this.keys.map(() => (this.backlog ? '0' : '>'));
      const args: (string | number)[] = ['GROUP', this.group, this.consumer, 'COUNT', count];
      if (!this.backlog) args.push('BLOCK', blockMs);
      const reply = (await (this.redis as unknown as { xreadgroupBuffer(...a: (string | number)[]): Promise<Reply> }).xreadgroupBuffer(
        ...args,
        'STREAMS',
        ...this.keys,
        ...ids,
      )) as Reply;
      const entries = this.entries(reply);
      if (this.backlog && entries.length === 0) {
        this.backlog = false; // nothing left from before: read new entries
        continue;
      }
      this.lastRead = this.unacked.length;
      this.unacked.push(...entries);
      return entries.map((e) => e.record);
    }
  }

  /**
   * Keeps only the first `n` entries of the last read as taken: the rest stay given to this
   * consumer and unacknowledged, so the next reader under its name gets them first.
   */
  keepOnly(n: number): void {
    this.unacked.length = this.lastRead + n;
  }

  /** Acknowledges every entry returned so far. */
  async ack(): Promise<void> {
    if (this.unacked.length === 0 && this.skipped.length === 0) return;
    const byKey = new Map<string, string[]>();
    for (const e of [...this.unacked, ...this.skipped]) {
      const ids = byKey.get(e.key);
      if (ids) ids.push(e.id);
      else byKey.set(e.key, [e.id]);
    }
    const p = this.redis.pipeline();
    for (const [key, ids] of byKey) p.xack(key, this.group, ...ids);
    const results = await p.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw new AlphaError(`hot tier: acknowledging ${this.dataset} entries failed: ${failed[0]?.message}`);
    this.unacked = [];
    this.skipped = [];
  }

  private entries(reply: Reply): Entry<T>[] {
    const out: Entry<T>[] = [];
    for (const [keyBuf, entries] of reply ?? []) {
      const key = keyBuf.toString();
      for (const [idBuf, fields] of entries) {
        const id = idBuf.toString();
        const dash = id.indexOf('-');
        if (fields === null) {
          this.skipped.push({ key, id }); // gone from the stream: acknowledged, not counted as undecodable
          continue;
        }
        const v = fields[0]?.toString() === 'v' ? fields[1] : undefined;
        let record: T | undefined;
        try {
          // A plain object, as every other source hands on (avsc decodes into a record class).
          record = v ? ({ ...(this.type.fromBuffer(v) as object) } as T) : undefined;
        } catch {
          record = undefined;
        }
        if (record === undefined) {
          this.undecodable++;
          this.skipped.push({ key, id });
          continue;
        }
        out.push({ key, id, ms: Number(id.slice(0, dash)), n: Number(id.slice(dash + 1)), record });
      }
    }
    // Ids carry ms only: order by the records' own ts_known (µs) and seq, as a replay delivers.
    const known = (e: Entry<T>) => (e.record as { ts_known?: number }).ts_known ?? e.ms * 1000;
    const seq = (e: Entry<T>) => (e.record as { seq?: number }).seq ?? 0;
    return out.sort((a, b) => known(a) - known(b) || seq(a) - seq(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || a.n - b.n);
  }
}
