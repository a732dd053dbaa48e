/**
 * The hot tier's write rate beside redis-benchmark's XADD on the same server, measured one after
 * the other: bench:redis prints it, bench:tiers-hot reuses it. Also the Redis login of the benches:
 * ALPHA_REDIS_USER / ALPHA_REDIS_PASSWORD from the environment, else the services script's
 * `.services/redis/credentials` (never printed).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { RedisAddress } from '../lib/io/redis/connect.ts';
import { StreamWriter } from '../lib/io/redis/stream-writer.ts';
import type { Quote } from '../schemas/types.generated.ts';

/** Puts the services' Redis login in the environment when it is not there already. */
export function loadRedisLogin(): void {
  const file = new URL('../.services/redis/credentials', import.meta.url);
  if (process.env['ALPHA_REDIS_PASSWORD'] !== undefined || !existsSync(file)) return;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(ALPHA_REDIS_USER|ALPHA_REDIS_PASSWORD)=(.*)$/.exec(line);
    if (m) process.env[m[1]!] = m[2]!;
  }
}

/** `n` quotes of 50 symbols from 14:30 UTC on `day`, 50 µs apart. */
export function benchQuotes(n: number, day = '2024-01-02'): Quote[] {
  const t0 = (Date.parse(`${day}T00:00:00Z`) + 14.5 * 3_600_000) * 1000;
  return Array.from({ length: n }, (_, i) => ({
    ts_event: t0 + i * 50,
    ts_known: t0 + i * 50,
    symbol: `S${String(i % 50).padStart(4, '0')}`,
    seq: i + 1,
    id: i + 1,
    version: 1,
    bid: 10 + (i % 97) / 100,
    ask: 10.01 + (i % 97) / 100,
    bid_size: 100 + (i % 7) * 100,
    ask_size: 200 + (i % 5) * 100,
  }));
}

/** redis-benchmark's XADD of one small field, pipelined (-P 64), one connection: requests/s. */
export function redisBenchmarkXadd(address: RedisAddress, records: number, key: string): number {
  const login: string[] = [];
  const { ALPHA_REDIS_USER: user, ALPHA_REDIS_PASSWORD: password } = process.env;
  // redis-benchmark reads the password from -a only (not REDISCLI_AUTH): it is on its command line
  // while it runs, never in what this prints.
  if (user && password) login.push('--user', user, '-a', password);
  const args = ['-h', address.host, '-p', String(address.port), ...login, '-n', String(records), '-P', '64', '-c', '1', '-q'];
  const out = execFileSync('redis-benchmark', [...args, 'XADD', key, '*', 'v', 'x'.repeat(44)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return Number(/([\d.]+) requests per second/.exec(out.split('\r').pop() ?? out)?.[1] ?? Number.NaN);
}

/** The sink.redis writer (Avro entries, 1000 per Lua call, ≤ 4 in flight): records/s. */
export async function writerRate(redis: Redis, dataset: string, quotes: readonly Quote[]): Promise<number> {
  const writer = await StreamWriter.open<Quote>(redis, dataset, 'Quote', { retentionMs: 24 * 3_600_000, latest: true });
  const t0 = performance.now();
  for (let i = 0; i < quotes.length; i += 8192) {
    writer.write(quotes.slice(i, i + 8192));
    if (writer.pending > 4) await writer.drained();
  }
  const stats = await writer.flush();
  const rate = quotes.length / ((performance.now() - t0) / 1000);
  if (stats.added !== quotes.length || stats.failed > 0)
    throw new Error(`wrote ${stats.added} of ${quotes.length} (${stats.failed} failed: ${stats.firstError})`);
  return rate;
}

/** Deletes the keys matching `pattern` (SCAN, not KEYS). */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
