/**
 * `npm run bench:redis`: the hot tier's write rate (issue 17, item 1) against redis-benchmark's own
 * XADD figure on the same server in the same run. Needs the services' Redis (`npm run services:up`;
 * REDIS_URL, default redis://127.0.0.1:6379).
 *
 * - reference: redis-benchmark, XADD of one small field, pipelined (-P 64), one connection;
 * - ours: lib/io/redis/stream-writer.ts, Quote records of 50 symbols (Avro under `v`, ids from
 *   ts_known, MINID trimming, the latest per symbol), batches of 1000 in one Lua call each;
 * - naive: one awaited ioredis XADD per record (what a first try looks like), on fewer records.
 * Flags: --records 500000 --naive 20000. Prints a table and one JSON line.
 */
import { DEFAULT_REDIS_URL, openRedis, redisAddress } from '../lib/io/redis/connect.ts';
import { streamKey } from '../lib/io/redis/hot-streams.ts';
import { benchFlags, wholeNumber } from './flags.ts';
import { benchQuotes, deleteKeys, loadRedisLogin, redisBenchmarkXadd, writerRate } from './redis-writes.ts';

const flags = benchFlags('redis', { records: { type: 'string', default: '500000' }, naive: { type: 'string', default: '20000' } });
const records = wholeNumber(flags, 'records', { max: 20_000_000 });
// The naive loop writes the first --naive of the records.
const naiveRecords = wholeNumber(flags, 'naive', { max: Math.min(records, 1_000_000) });
const url = process.env['REDIS_URL'] ?? DEFAULT_REDIS_URL;
const address = redisAddress(url);
if (typeof address === 'string') {
  process.stderr.write(`alpha bench:redis: REDIS_URL ${address}\n`);
  process.exit(2);
}
loadRedisLogin();
const redis = await openRedis(url, 'bench:redis').catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
});
const tag = `bench${process.pid}`;
const quotes = benchQuotes(records);

async function clean(): Promise<void> {
  await deleteKeys(redis, `alpha:*${tag}*`);
  await redis.del(`${tag}:rb`);
}

try {
  // Reference: redis-benchmark on the same server.
  const rb = redisBenchmarkXadd(address, records, `${tag}:rb`);

  // Ours.
  const ds = `quotes_${tag}`;
  const ours = await writerRate(redis, ds, quotes);
  const kept = await redis.xlen(streamKey(ds, 'S0000'));

  // Naive: one awaited XADD per record.
  const t1 = performance.now();
  for (let i = 0; i < naiveRecords; i++) {
    const q = quotes[i]!;
    await redis.xadd(`alpha:naive_${tag}:${q.symbol}`, '*', 'v', JSON.stringify(q));
  }
  const naive = naiveRecords / ((performance.now() - t1) / 1000);

  const line = (what: string, perS: number, note = '') =>
    `${what.padEnd(64)} ${Math.round(perS).toLocaleString('en-US').padStart(12)} /s ${(perS / rb).toFixed(2).padStart(6)}×  ${note}`;
  process.stdout.write(
    `\nRedis hot tier writes (${address.host}:${address.port}, ${records.toLocaleString('en-US')} Quote records of 50 symbols; one process)\n` +
      `${line('reference: redis-benchmark XADD, -P 64, one connection', rb)}\n` +
      `${line('sink.redis writer: Avro entries, 1000 per Lua call, ≤ 4 in flight', ours, `target ≥ 200,000/s: ${ours >= 200_000 ? 'met' : 'missed'}`)}\n` +
      `${line(`naive: one awaited ioredis XADD per record (${naiveRecords.toLocaleString('en-US')})`, naive)}\n` +
      `  ${kept} entries kept in alpha:${ds}:S0000 (every record of the symbol: the sample spans ${((records * 50) / 1e6).toFixed(0)} s)\n`,
  );
  process.stdout.write(
    `${JSON.stringify({ bench: 'redis', records, redis_benchmark_xadd_per_s: rb, writer_per_s: ours, naive_per_s: naive })}\n`,
  );
} finally {
  await clean();
  redis.disconnect();
}
