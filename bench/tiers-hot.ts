/**
 * `npm run bench:tiers-hot`: the hot tier and the end-of-day flush (issue 17), each beside a
 * reference measured in the same run. Needs the services' Redis (`npm run services:up`; REDIS_URL,
 * default redis://127.0.0.1:6379; the login from ALPHA_REDIS_USER/ALPHA_REDIS_PASSWORD or
 * .services/redis/credentials) and the lake tools (`npm run setup:lake`).
 *
 * - ticks/s into Redis: the sink.redis writer against redis-benchmark's XADD (bench/redis-writes.ts);
 * - flush rows/s: `alpha data flush`'s work (pipelines/data/flush.ts: read the day from Redis,
 *   decode, stage as Parquet, append, check, ledger, trim) on one day of Quote records, against the
 *   lake append of the same rows from a Parquet file (lib/io/lake/append.ts alone) and DuckDB
 *   reading that file. Table creation (delta-rs, ~1 s) is outside every timing.
 * Flags: --records 500000 (writes) --flush-records 200000. Prints a table and one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { flushDay } from '../pipelines/data/flush.ts';
import { appendFiles } from '../lib/io/lake/append.ts';
import { createTable } from '../lib/io/lake/create.ts';
import { literal, openDuck } from '../lib/io/lake/duckdb.ts';
import { writeRecordsParquet } from '../lib/io/parquet.ts';
import { DEFAULT_REDIS_URL, openRedis, redisAddress } from '../lib/io/redis/connect.ts';
import { StreamWriter } from '../lib/io/redis/stream-writer.ts';
import type { Quote } from '../schemas/types.generated.ts';
import { benchFlags } from './flags.ts';
import { benchQuotes, deleteKeys, loadRedisLogin, redisBenchmarkXadd, writerRate } from './redis-writes.ts';
import { hotOptions, hotValues } from './tiers-flags.ts';

const { records, flushRecords } = hotValues(benchFlags('tiers-hot', hotOptions));
const url = process.env['REDIS_URL'] ?? DEFAULT_REDIS_URL;
const address = redisAddress(url);
if (typeof address === 'string') {
  process.stderr.write(`alpha bench:tiers-hot: REDIS_URL ${address}\n`);
  process.exit(2);
}
loadRedisLogin();
const redis = await openRedis(url, 'bench:tiers-hot').catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
});
const tag = `tiers${process.pid}`;
const lake = mkdtempSync(join(tmpdir(), 'alpha-bench-tiers-'));
const DAY = '2024-01-02';
const perS = (n: number, t0: number) => n / ((performance.now() - t0) / 1000);

try {
  // Ticks into Redis.
  const rb = redisBenchmarkXadd(address, records, `${tag}:rb`);
  const writer = await writerRate(redis, `quotes_${tag}`, benchQuotes(records));
  await deleteKeys(redis, `alpha:*${tag}*`);

  // The flush of one day, and the same rows appended from a Parquet file.
  const quotes = benchQuotes(flushRecords, DAY);
  const hot = `hot_${tag}`;
  const w = await StreamWriter.open<Quote>(redis, hot, 'Quote', { retentionMs: 0, latest: false });
  w.write(quotes);
  await w.flush();
  await createTable(lake, hot, 'Quote');
  let t0 = performance.now();
  const [flushed] = await flushDay(redis, { lake, date: DAY, datasets: [hot] });
  const flushRate = perS(flushRecords, t0);
  if (flushed?.added !== flushRecords || flushed.removed !== flushRecords)
    throw new Error(`the flush added ${flushed?.added} and removed ${flushed?.removed} of ${flushRecords}`);

  const file = join(lake, 'quotes.parquet');
  writeRecordsParquet(file, 'Quote', quotes as unknown as Record<string, unknown>[]);
  await createTable(lake, 'direct', 'Quote');
  t0 = performance.now();
  const appended = await appendFiles(lake, 'direct', [file]);
  const appendRate = perS(flushRecords, t0);
  if (appended.added !== flushRecords) throw new Error(`the append added ${appended.added} of ${flushRecords}`);

  const duck = await openDuck();
  t0 = performance.now();
  await duck.connection.run(`CREATE TABLE r AS SELECT * FROM read_parquet(${literal(file)})`);
  const duckRate = perS(flushRecords, t0);
  duck.close();

  const line = (what: string, rate: number, ref: number) =>
    `${what.padEnd(70)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} /s ${(rate / ref).toFixed(2).padStart(6)}×`;
  process.stdout.write(
    `\nHot tier (Redis ${address.host}:${address.port}) and end-of-day flush into the lake; one process; load average ${loadavg()[0]!.toFixed(1)}\n` +
      `ticks into Redis (${records.toLocaleString('en-US')} Quote records of 50 symbols)\n` +
      `${line('reference: redis-benchmark XADD, -P 64, one connection', rb, rb)}\n` +
      `${line('sink.redis writer: Avro entries, 1000 per Lua call, ≤ 4 in flight', writer, rb)}\n` +
      `flush of one day (${flushRecords.toLocaleString('en-US')} Quote records, 50 streams)\n` +
      `${line('reference: DuckDB reads the same rows from one Parquet file', duckRate, appendRate)}\n` +
      `${line('reference: lake append of that Parquet file (one Delta commit)', appendRate, appendRate)}\n` +
      `${line('alpha data flush: Redis → Parquet stage → append → check → ledger → trim', flushRate, appendRate)}\n`,
  );
  process.stdout.write(
    `${JSON.stringify({ bench: 'tiers-hot', load_average: loadavg()[0], records, flush_records: flushRecords, redis_benchmark_xadd_per_s: rb, writer_per_s: writer, flush_rows_per_s: flushRate, append_rows_per_s: appendRate, duckdb_read_rows_per_s: duckRate })}\n`,
  );
} finally {
  await deleteKeys(redis, `alpha:*${tag}*`);
  await redis.del(`${tag}:rb`);
  redis.disconnect();
  rmSync(lake, { recursive: true, force: true });
}
