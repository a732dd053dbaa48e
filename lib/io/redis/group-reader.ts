/**
 * Reads a dataset's per-symbol streams (lib/io/redis/hot-streams.ts) through a consumer group, so a
 * reader that stops and starts again under the same group and consumer name resumes where it
 * stopped: first the entries it had been given but not acknowledged (the batch in hand when it
 * stopped), then the new ones. Entries of one read come back in (ts_known, seq) order, symbols
 * merged; `ack()` acknowledges the last read once its records have been handled.
 *
 * What a hostile or broken server sends is bounded. The connection's command timeout (openRedis,
 * set by the caller above the BLOCK time) ends a read that gets no answer, or half an answer (a
 * reply that announces 2^31 items and stops). ioredis has no limit on a reply's size (redis-parser
 * buffers a bulk string of any length, and keeps it whole), so the bytes of a read's reply are
 * counted on the socket as they arrive, and a reply over {@link replyLimit} closes the connection
 * and fails the read, naming the bound: memory stays near the bound, not near what the server
 * claims. An entry under that bound but over {@link MAX_ENTRY_BYTES} is refused after it was read,
 * as an entry that does not decode: reported through `onRefused` with its stream, id and reason,
 * acknowledged, never given again.
 */
import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';
import type avro from 'avsc';
import { AlphaError } from '../../core/errors.ts';
import { avroType } from './avro-type.ts';
import { type HotSchema, metaKey, streamKey } from './hot-streams.ts';

// A pending entry deleted since it was given (flushed to the lake, trimmed) comes back without fields.
type Reply = [key: Buffer, entries: [id: Buffer, fields: Buffer[] | null][]][] | null;

/** The largest entry payload (`v`) decoded; a larger one is refused (a Quote or a Trade takes well under 1 KiB). */
export const MAX_ENTRY_BYTES = 64 * 1024;

/** The most bytes a reply to one read of `count` entries from each of `streams` streams may take. */
export const replyLimit = (count: number, streams: number): number => 16 * 1024 * 1024 + count * streams * 1024;

/** An entry refused before it became a record: where it is, and its size. */
export interface RefusedEntry {
  stream: string;
  id: string;
  bytes: number;
}

export interface GroupReaderOptions {
  /** Called for each entry that does not decode (or is over MAX_ENTRY_BYTES), with the reason; it is acknowledged with the next batch. */
  onRefused?: (entry: RefusedEntry, reason: string) => void;
}

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
  /** While reading the backlog: per stream, the last id seen (the next read asks for the pending entries after it). */
  private readonly after: string[];
  /** Entries that did not decode: counted, reported, and acknowledged with the next batch (never given again). */
  private skipped: { key: string; id: string }[] = [];
  undecodable = 0;

  private get recordName(): string {
    return (this.type.name ?? 'record').replace(/^alpha\./, '');
  }

  private constructor(
    private readonly redis: Redis,
    private readonly dataset: string,
    schema: HotSchema,
    symbols: readonly string[],
    private readonly group: string,
    private readonly consumer: string,
    private readonly options: GroupReaderOptions,
  ) {
    this.type = avroType(schema);
    this.keys = symbols.map((s) => streamKey(dataset, s));
    this.after = this.keys.map(() => '0');
  }

  static async open<T>(
    redis: Redis,
    dataset: string,
    schema: HotSchema,
    symbols: readonly string[],
    group: string,
    consumer: string,
    options: GroupReaderOptions = {},
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
    return new GroupReader<T>(redis, dataset, schema, symbols, group, consumer, options);
  }

  /** Up to `count` entries per symbol, waiting up to `blockMs` for new ones; [] when none came. */
  async read(count: number, blockMs: number): Promise<T[]> {
    for (;;) {
      const ids = this.backlog ? this.after : this.keys.map(() => '>');
      const args: (string | number)[] = ['GROUP', this.group, this.consumer, 'COUNT', count];
      if (!this.backlog) args.push('BLOCK', blockMs);
      const reply = await this.bounded(count, blockMs, () =>
        (this.redis as unknown as { xreadgroupBuffer(...a: (string | number)[]): Promise<Reply> }).xreadgroupBuffer(
          ...args,
          'STREAMS',
          ...this.keys,
          ...ids,
        ),
      );
      const { entries, seen } = this.entries(reply);
      if (this.backlog) {
        // Nothing left from before: read new entries. Otherwise go on after what this read saw (the
        // entries refused are pending until the next ack, and must not be asked for again).
        if (seen === 0) this.backlog = false;
        if (entries.length === 0) continue;
      }
      this.lastRead = this.unacked.length;
      for (const e of entries) this.unacked.push(e); // not push(...): a read may bring 100,000s
      return entries.map((e) => e.record);
    }
  }

  /**
   * The reply of `send`, or an Error saying why there is none: no answer within the connection's
   * command timeout, or more than `limit` bytes (then the socket is destroyed at once, so no more
   * of the reply is buffered). Either way the connection is closed: what comes after a reply cut
   * short cannot be trusted.
   */
  private async bounded<R>(count: number, blockMs: number, send: () => Promise<R>): Promise<R> {
    const limit = replyLimit(count, this.keys.length);
    const socket = (this.redis as unknown as { stream?: Socket }).stream;
    let bytes = 0;
    let over = false;
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit && !over) {
        over = true;
        socket?.destroy();
        this.redis.disconnect();
      }
    };
    socket?.on('data', onData);
    try {
      return await send();
    } catch (err) {
      const mb = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
      if (over)
        throw new Error(
          `a reply to XREADGROUP passed ${mb(limit)}, the bound for COUNT ${count} from ${this.keys.length} stream(s) (16 MiB + 1 KiB an entry): connection closed; no hot-tier entry is that large (an entry over ${MAX_ENTRY_BYTES} bytes is refused): find it with XPENDING and remove it with XACK or XDEL`,
        );
      if ((err as Error).message === 'Command timed out') {
        this.redis.disconnect();
        const ms = (this.redis.options as { commandTimeout?: number }).commandTimeout;
        throw new Error(
          `no complete answer to XREADGROUP within ${ms} ms (BLOCK ${blockMs} ms plus a margin): the server hangs, or is not Redis; connection closed`,
        );
      }
      throw err;
    } finally {
      socket?.off('data', onData);
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

  /** The entries of a reply that decode, and how many entries it held (`seen`, refused ones included). */
  private entries(reply: Reply): { entries: Entry<T>[]; seen: number } {
    const out: Entry<T>[] = [];
    let seen = 0;
    for (const [keyBuf, entries] of reply ?? []) {
      const key = keyBuf.toString();
      const k = this.keys.indexOf(key);
      for (const [idBuf, fields] of entries) {
        seen++;
        const id = idBuf.toString();
        if (k >= 0) this.after[k] = id;
        const dash = id.indexOf('-');
        if (fields === null) {
          this.skipped.push({ key, id }); // gone from the stream: acknowledged, not counted as undecodable
          continue;
        }
        const v = fields.length === 2 && fields[0]?.toString() === 'v' ? fields[1] : undefined;
        let record: T | undefined;
        let why: string | undefined;
        if (!v) why = `not a hot-tier entry: expected one field "v", got ${fieldNames(fields)}`;
        else if (v.length > MAX_ENTRY_BYTES)
          why = `entry of ${v.length} bytes, over the ${MAX_ENTRY_BYTES} accepted (a ${this.recordName} takes far less)`;
        else {
          try {
            // A plain object, as every other source hands on (avsc decodes into a record class).
            record = { ...(this.type.fromBuffer(v) as object) } as T;
          } catch (err) {
            why = `does not decode as ${this.recordName}: ${(err as Error).message}`;
          }
        }
        if (record === undefined) {
          this.undecodable++;
          this.skipped.push({ key, id });
          this.options.onRefused?.({ stream: key, id, bytes: v?.length ?? 0 }, why ?? 'undecodable');
          continue;
        }
        out.push({ key, id, ms: Number(id.slice(0, dash)), n: Number(id.slice(dash + 1)), record });
      }
    }
    // Ids carry ms only: order by the records' own ts_known (µs) and seq, as a replay delivers.
    const known = (e: Entry<T>) => (e.record as { ts_known?: number }).ts_known ?? e.ms * 1000;
    const seq = (e: Entry<T>) => (e.record as { seq?: number }).seq ?? 0;
    out.sort((a, b) => known(a) - known(b) || seq(a) - seq(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) || a.n - b.n);
    return { entries: out, seen };
  }
}

/** The field names of an entry, for a message: each cut to 32 characters, at most 4 of them. */
function fieldNames(fields: Buffer[]): string {
  const names = fields.filter((_, i) => i % 2 === 0).map((f) => JSON.stringify(f.subarray(0, 32).toString()));
  return `${fields.length / 2} field(s) ${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''}`;
}
