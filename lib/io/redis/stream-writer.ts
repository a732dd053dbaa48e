/**
 * Writes records to the hot tier's per-symbol streams (lib/io/redis/hot-streams.ts), batched: one
 * Lua call adds up to `batchRecords` entries (a round trip and a command per batch, not per record:
 * the client's per-command cost, not Redis, is what limits a one-XADD-per-record loop), with up to
 * `maxInFlight` calls in flight on the connection. Each XADD trims its stream to `retentionMs`
 * before the newest ts_known of the batch (MINID: data time, so a replay of old data keeps its own
 * last day). An entry whose id is already in its stream is counted as a duplicate, not an error.
 */
import type { Redis } from 'ioredis';
import type avro from 'avsc';
import { AlphaError } from '../../core/errors.ts';
import { avroType } from './avro-type.ts';
import { EntryIds, type HotRecord, type HotSchema, latestKey, metaKey, streamKey } from './hot-streams.ts';

// ARGV: the MINID (ms, or '' for no trimming), then (key, id, payload) per entry. Returns
// { added, duplicates }; any other error stops the call with that error.
const ADD_ENTRIES = `local added, dup = 0, 0
for i = 2, #ARGV, 3 do
  local r
  if ARGV[1] == '' then
    r = redis.pcall('XADD', ARGV[i], ARGV[i + 1], 'v', ARGV[i + 2])
  else
    r = redis.pcall('XADD', ARGV[i], 'MINID', ARGV[1], ARGV[i + 1], 'v', ARGV[i + 2])
  end
  if type(r) == 'table' and r.err then
    if string.find(r.err, 'equal or smaller', 1, true) then dup = dup + 1 else return redis.error_reply(r.err) end
  else
    added = added + 1
  end
end
return { added, dup }`;

export interface StreamWriterOptions {
  /** Entries older than this before the newest of a batch are trimmed; 0: never trimmed. */
  retentionMs: number;
  /** Also keep each symbol's latest record as JSON in `alpha:<dataset>:latest`. */
  latest: boolean;
  batchRecords?: number;
  maxInFlight?: number;
}

export interface StreamWriterStats {
  added: number;
  duplicates: number;
  batches: number;
  failed: number;
  firstError: string | undefined;
}

type Adder = Redis & { alphaAddEntries(...args: (string | Buffer)[]): Promise<[number, number]> };

export class StreamWriter<T extends HotRecord> {
  private readonly type: avro.Type;
  private readonly ids = new EntryIds();
  private readonly batchRecords: number;
  private readonly maxInFlight: number;
  private args: (string | Buffer)[] = [''];
  private inBatch = 0;
  private newestMs = 0;
  private latestOf = new Map<string, T>();
  private readonly inFlight = new Set<Promise<void>>();
  readonly stats: StreamWriterStats = { added: 0, duplicates: 0, batches: 0, failed: 0, firstError: undefined };

  private constructor(
    private readonly redis: Adder,
    private readonly dataset: string,
    schema: HotSchema,
    private readonly options: StreamWriterOptions,
  ) {
    this.type = avroType(schema);
    this.batchRecords = options.batchRecords ?? 1000;
    this.maxInFlight = options.maxInFlight ?? 4;
  }

  /** A writer for `dataset`; the dataset's schema is recorded, and another one already there is refused. */
  static async open<T extends HotRecord>(
    redis: Redis,
    dataset: string,
    schema: HotSchema,
    options: StreamWriterOptions,
  ): Promise<StreamWriter<T>> {
    const meta = metaKey(dataset);
    const was = await redis.hget(meta, 'schema');
    if (was !== null && was !== schema)
      throw new AlphaError(`hot tier: dataset "${dataset}" holds ${was} records in Redis (${meta}); this writer has ${schema}`);
    if (was === null) await redis.hset(meta, 'schema', schema);
    if (!('alphaAddEntries' in redis)) redis.defineCommand('alphaAddEntries', { numberOfKeys: 0, lua: ADD_ENTRIES });
    return new StreamWriter<T>(redis as Adder, dataset, schema, options);
  }

  /** Queues the records (in order); a full batch goes out at once. */
  write(records: readonly T[]): void {
    for (const r of records) {
      const key = streamKey(this.dataset, r.symbol);
      let payload: Buffer;
      try {
        payload = this.type.toBuffer(r);
      } catch {
        this.fail(`a ${this.type.name ?? 'record'} that does not fit its schema (symbol ${r.symbol}, ts_known ${r.ts_known})`);
        continue;
      }
      this.args.push(key, this.ids.next(key, r.ts_known), payload);
      this.newestMs = Math.max(this.newestMs, Math.floor(r.ts_known / 1000));
      if (this.options.latest) this.latestOf.set(r.symbol, r);
      if (++this.inBatch >= this.batchRecords) this.send();
    }
  }

  /** Calls in flight; more than `maxInFlight` means the caller should wait ({@link drained}). */
  get pending(): number {
    return this.inFlight.size;
  }

  /** Resolves once at most `n` calls are in flight. */
  async drained(n = this.maxInFlight - 1): Promise<void> {
    while (this.inFlight.size > n) await Promise.race(this.inFlight);
  }

  /** Sends what is queued and waits for every call. */
  async flush(): Promise<StreamWriterStats> {
    if (this.inBatch > 0) this.send();
    await this.drained(0);
    return this.stats;
  }

  private send(): void {
    const args = this.args;
    args[0] = this.options.retentionMs > 0 ? String(Math.max(0, this.newestMs - this.options.retentionMs)) : '';
    // Only each symbol's last record of the batch is written as the latest.
    const latest = new Map([...this.latestOf].map(([symbol, r]) => [symbol, JSON.stringify(r)]));
    this.args = [''];
    this.inBatch = 0;
    this.latestOf = new Map();
    const call = (async () => {
      try {
        const [added, dup] = await this.redis.alphaAddEntries(...args);
        this.stats.added += added;
        this.stats.duplicates += dup;
        this.stats.batches++;
        if (latest.size > 0) await this.redis.hset(latestKey(this.dataset), Object.fromEntries(latest));
      } catch (err) {
        this.fail((err as Error).message);
      }
    })();
    this.inFlight.add(call);
    void call.finally(() => this.inFlight.delete(call));
  }

  private fail(why: string): void {
    this.stats.failed++;
    this.stats.firstError ??= why;
  }
}
