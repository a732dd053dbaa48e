/**
 * A Redis connection for the hot tier: host and port from a `redis://HOST:PORT[/DB]` URL (no other
 * option is read from it), connected before use, failing fast with an `alpha:` message instead of
 * retrying forever: a sink or source that cannot reach Redis stops the run, it does not hang it.
 * Nor does a server that accepts the connection and then never answers: every command (the login
 * and ready check included) fails after the command timeout, {@link DEFAULT_COMMAND_TIMEOUT_MS}
 * unless the caller gives its own (a blocking read gives its BLOCK time plus a margin).
 *
 * The login comes from the environment only, ALPHA_REDIS_USER and ALPHA_REDIS_PASSWORD (the
 * services script starts Redis with that ACL user and the default user off): never from a URL or a
 * topology file, and the password is never part of a message.
 */
import type { Redis } from 'ioredis';
import { AlphaError } from '../../core/errors.ts';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** How long a command may wait for its answer, unless the caller says otherwise. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

export interface RedisAddress {
  host: string;
  port: number;
  db: number;
}

/** The address in a redis:// URL, or the reason it is not one. */
export function redisAddress(url: string): RedisAddress | string {
  // A URL given with a login is named without it: a password never reaches a message.
  const shown = url.replace(/\/\/[^/@]*@/, '//***@');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${shown}" is not a URL: expected redis://HOST:PORT, e.g. ${DEFAULT_REDIS_URL}`;
  }
  if (u.protocol !== 'redis:') return `"${shown}": expected the redis:// scheme, e.g. ${DEFAULT_REDIS_URL}`;
  if (u.username || u.password || u.search || u.hash)
    return `"${shown}": only redis://HOST:PORT[/DB] is read (no user, password, query or fragment; the login comes from ALPHA_REDIS_USER / ALPHA_REDIS_PASSWORD)`;
  const port = u.port === '' ? 6379 : Number(u.port);
  const db = u.pathname === '' || u.pathname === '/' ? 0 : Number(u.pathname.slice(1));
  if (!Number.isInteger(db) || db < 0 || db > 15) return `"${shown}": the database must be 0 to 15`;
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port, db };
}

export interface RedisLogin {
  username: string;
  password: string;
}

/** The login in the environment (both variables or neither), or undefined for none. */
export function redisLogin(env: NodeJS.ProcessEnv = process.env): RedisLogin | undefined {
  const username = env['ALPHA_REDIS_USER'];
  const password = env['ALPHA_REDIS_PASSWORD'];
  if (!username && !password) return undefined;
  if (!username || !password)
    throw new AlphaError(
      `Redis login: ${username ? 'ALPHA_REDIS_PASSWORD' : 'ALPHA_REDIS_USER'} is not set: set both ALPHA_REDIS_USER and ALPHA_REDIS_PASSWORD, or neither`,
    );
  return { username, password };
}

/** Why the connection failed, in words that name the user but never the password. */
function refusal(err: unknown, a: RedisAddress, login: RedisLogin | undefined, timeoutMs: number): string {
  let text = err instanceof Error ? err.message : String(err);
  if (login) text = text.replaceAll(login.password, '***');
  if (/WRONGPASS|invalid username-password/i.test(text))
    return `Redis at ${a.host}:${a.port} refused the login of user "${login?.username}" (wrong password, unknown or disabled user): check ALPHA_REDIS_USER and ALPHA_REDIS_PASSWORD`;
  if (/NOAUTH|Authentication required/i.test(text))
    return `Redis at ${a.host}:${a.port} requires a login: set ALPHA_REDIS_USER and ALPHA_REDIS_PASSWORD (the services script writes the project's to .services/redis/credentials)`;
  if (/NOPERM/i.test(text)) return `Redis at ${a.host}:${a.port}: user "${login?.username ?? 'default'}" lacks a permission (${text})`;
  if (text === 'Command timed out' || /Ready check failed: Command timed out/.test(text))
    return `Redis at ${a.host}:${a.port} accepted the connection but did not answer within ${timeoutMs} ms (is it a Redis server?)`;
  return `cannot connect to Redis at ${a.host}:${a.port} (${text}); \`npm run services:up\` starts the project's Redis`;
}

/** Connects, or throws an AlphaError naming the address; `commandTimeoutMs` bounds every command's wait for its answer. */
export async function openRedis(url: string, what: string, options: { commandTimeoutMs?: number } = {}): Promise<Redis> {
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const a = redisAddress(url);
  if (typeof a === 'string') throw new AlphaError(`${what}: ${a}`);
  const login = redisLogin();
  // ioredis is loaded by the first connection, not with the operator registry at every start.
  const { Redis: Client } = await import('ioredis');
  const redis = new Client({
    host: a.host,
    port: a.port,
    db: a.db,
    ...(login ?? {}),
    lazyConnect: true,
    connectTimeout: 3000,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // No reconnect loop behind the run's back: a lost connection fails the commands that need it.
    retryStrategy: () => null,
  });
  // Reported through the failing command, not as an unhandled event; a refused login arrives only
  // here (connect() then just says the connection closed).
  let refused: unknown;
  redis.on('error', (err: unknown) => {
    refused ??= err;
  });
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new AlphaError(`${what}: ${refusal(refused ?? err, a, login, timeoutMs)}`);
  }
  return redis;
}
