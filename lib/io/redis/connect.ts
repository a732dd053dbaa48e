/**
 * A Redis connection for the hot tier: host and port from a `redis://HOST:PORT[/DB]` URL (no other
 * option is read from it), connected before use, failing fast with an `alpha:` message instead of
 * retrying forever: a sink or source that cannot reach Redis stops the run, it does not hang it.
 */
import type { Redis } from 'ioredis';
import { AlphaError } from '../../core/errors.ts';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisAddress {
  host: string;
  port: number;
  db: number;
}

/** The address in a redis:// URL, or the reason it is not one. */
export function redisAddress(url: string): RedisAddress | string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a URL: expected redis://HOST:PORT, e.g. ${DEFAULT_REDIS_URL}`;
  }
  if (u.protocol !== 'redis:') return `"${url}": expected the redis:// scheme, e.g. ${DEFAULT_REDIS_URL}`;
  if (u.username || u.password || u.search || u.hash)
    return `"${url}": only redis://HOST:PORT[/DB] is read (no user, password, query or fragment)`;
  const port = u.port === '' ? 6379 : Number(u.port);
  const db = u.pathname === '' || u.pathname === '/' ? 0 : Number(u.pathname.slice(1));
  if (!Number.isInteger(db) || db < 0 || db > 15) return `"${url}": the database must be 0 to 15`;
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port, db };
}

/** Connects, or throws an AlphaError naming the address. */
export async function openRedis(url: string, what: string): Promise<Redis> {
  const a = redisAddress(url);
  if (typeof a === 'string') throw new AlphaError(`${what}: ${a}`);
  // ioredis is loaded by the first connection, not with the operator registry at every start.
  const { Redis: Client } = await import('ioredis');
  const redis = new Client({
    host: a.host,
    port: a.port,
    db: a.db,
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // No reconnect loop behind the run's back: a lost connection fails the commands that need it.
    retryStrategy: () => null,
  });
  redis.on('error', () => {}); // reported through the failing command, not as an unhandled event
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new AlphaError(
      `${what}: cannot connect to Redis at ${a.host}:${a.port} (${(err as Error).message}); \`npm run services:up\` starts the project's Redis`,
    );
  }
  return redis;
}
