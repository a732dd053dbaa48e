/**
 * One UTC day of a hot-tier dataset (lib/io/redis/hot-streams.ts): the datasets Redis holds, the
 * entries of a day read from every stream of a dataset, and those entries removed once they are
 * safe elsewhere. A day is the entries whose **id** falls on it (ids are ts_known's ms, or the
 * stream's last ms for a record that came out of order), so reading and removing select exactly
 * the same entries.
 */
import type { Redis } from 'ioredis';
import { AlphaError } from '../../core/errors.ts';
import { avroType } from './avro-type.ts';
import { HOT_SCHEMAS, type HotSchema, metaKey } from './hot-streams.ts';

const DAY_MS = 86_400_000;
const PAGE = 10_000;

export interface DayStream {
  key: string;
  /** The ids read, in stream order. */
  ids: string[];
  /** Entries of the day in this stream that did not decode (left in Redis). */
  undecodable: number;
}

export interface HotDay<T> {
  streams: DayStream[];
  records: T[];
  /** Entries whose payload did not decode as the dataset's schema (they are not removed). */
  undecodable: number;
  /** The first {@link UNDECODABLE_NAMED} of them, by stream and id, so they can be found and dealt with. */
  undecodableEntries: { stream: string; id: string }[];
}

/** How many undecodable entries a day's read names (it counts them all). */
export const UNDECODABLE_NAMED = 10;

/** The datasets in Redis (their `alpha:<dataset>` hash names a schema), by name. */
export async function hotDatasets(redis: Redis): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', 'alpha:*', 'COUNT', 1000, 'TYPE', 'hash');
    cursor = next;
    for (const key of keys) {
      if (key.indexOf(':', 6) >= 0) continue; // alpha:<dataset>:latest and the like
      const schema = await redis.hget(key, 'schema');
      if (schema !== null) out.set(key.slice(6), schema);
    }
  } while (cursor !== '0');
  return out;
}

/** The schema of a dataset in Redis, or an AlphaError when there is none. */
export async function hotSchema(redis: Redis, dataset: string): Promise<HotSchema> {
  const schema = await redis.hget(metaKey(dataset), 'schema');
  if (schema === null) throw new AlphaError(`hot tier: no dataset "${dataset}" in Redis (no hash ${metaKey(dataset)} naming its schema)`);
  if (!(HOT_SCHEMAS as readonly string[]).includes(schema))
    throw new AlphaError(
      `hot tier: dataset "${dataset}" names schema "${schema}" in ${metaKey(dataset)}: expected one of ${HOT_SCHEMAS.join(', ')}`,
    );
  return schema as HotSchema;
}

/** The streams of a dataset (`alpha:<dataset>:<symbol>`), sorted. */
async function streamsOf(redis: Redis, dataset: string): Promise<string[]> {
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `alpha:${dataset}:*`, 'COUNT', 1000, 'TYPE', 'stream');
    cursor = next;
    for (const k of found) keys.add(k);
  } while (cursor !== '0');
  return [...keys].sort();
}

/** Start (inclusive) and end (exclusive) of a UTC date YYYY-MM-DD, in ms since the epoch. */
export function dayRange(date: string): { startMs: number; endMs: number } {
  const startMs = Date.parse(`${date}T00:00:00Z`);
  return { startMs, endMs: startMs + DAY_MS };
}

/** Every entry of `date` in the dataset's streams, decoded. */
export async function readHotDay<T>(redis: Redis, dataset: string, schema: HotSchema, date: string): Promise<HotDay<T>> {
  const type = avroType(schema);
  const { startMs, endMs } = dayRange(date);
  const out: HotDay<T> = { streams: [], records: [], undecodable: 0, undecodableEntries: [] };
  for (const key of await streamsOf(redis, dataset)) {
    const ids: string[] = [];
    let undecodable = 0;
    let from = `${startMs}-0`;
    for (;;) {
      const page = (await redis.xrangeBuffer(key, from, String(endMs - 1), 'COUNT', PAGE)) as unknown as [Buffer, Buffer[] | null][];
      for (const [idBuf, fields] of page) {
        const id = idBuf.toString();
        const v = fields && fields[0]?.toString() === 'v' ? fields[1] : undefined;
        let record: T | undefined;
        try {
          // avsc's record object as is (no copy): the flush turns the day into columns at once.
          record = v ? (type.fromBuffer(v) as T) : undefined;
        } catch {
          record = undefined;
        }
        if (record === undefined) {
          undecodable++;
          if (out.undecodableEntries.length < UNDECODABLE_NAMED) out.undecodableEntries.push({ stream: key, id });
          continue;
        }
        ids.push(id);
        out.records.push(record);
      }
      if (page.length < PAGE) break;
      from = `(${page.at(-1)![0].toString()}`;
    }
    out.undecodable += undecodable;
    if (ids.length > 0) out.streams.push({ key, ids, undecodable });
  }
  return out;
}

/**
 * Removes the entries read (and only those). A stream that holds nothing before them, and no
 * undecodable entry among them, is trimmed up to the last one (XTRIM MINID, cheap: whole nodes go); otherwise the ids are deleted one by one
 * (XDEL), keeping older days that have not been flushed. `afterStream` runs after each stream.
 */
export async function removeHotDay(redis: Redis, day: Pick<HotDay<unknown>, 'streams'>, afterStream?: () => void): Promise<number> {
  let removed = 0;
  for (const { key, ids, undecodable } of day.streams) {
    const first = (await redis.xrange(key, '-', '+', 'COUNT', 1))[0]?.[0];
    const last = ids.at(-1)!;
    if (undecodable === 0 && first !== undefined && first === ids[0]) {
      const dash = last.indexOf('-');
      // Ids only grow, so nothing below the threshold can have been added since the read.
      removed += await redis.xtrim(key, 'MINID', `${last.slice(0, dash)}-${BigInt(last.slice(dash + 1)) + 1n}`);
    } else {
      for (let i = 0; i < ids.length; i += 1000) removed += await redis.xdel(key, ...ids.slice(i, i + 1000));
    }
    afterStream?.();
  }
  return removed;
}
