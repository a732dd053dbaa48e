/**
 * The Redis hot tier against the real Redis the services script starts: sink.redis writes quotes of
 * a graph into one stream per symbol (Avro under `v`, ids from ts_known) and the latest quote per
 * symbol; writing the same records again adds nothing; streams keep only the last retention_hours
 * of ts_known; source.redis reads them back in a consumer group, and a reader stopped after part of
 * the stream resumes under the same name with the rest, nothing lost or repeated.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HOUR, MINUTE } from '../../lib/core/time.ts';
import { avroType } from '../../lib/io/redis/avro-type.ts';
import { latestKey, metaKey, streamKey } from '../../lib/io/redis/hot-streams.ts';
import { StreamWriter } from '../../lib/io/redis/stream-writer.ts';
import type { Quote } from '../../schemas/types.generated.ts';
import { runInMemory, T0 } from '../helpers/memory-graph.ts';
import { quote } from '../helpers/records.ts';
import { freePort, startRedis, testRedis, waitForRedis } from '../helpers/redis.ts';

const url = inject('REDIS_URL');
let redis: Redis;
// Datasets no other run uses.
const tag = `t${process.pid}${Date.now().toString(36)}`.replace(/[^A-Za-z0-9]/g, '');
const dataset = (name: string) => `${name}_${tag}`;

beforeAll(async () => {
  redis = await testRedis(url);
});
afterAll(async () => {
  const keys = await redis.keys(`alpha:*${tag}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** Quotes of three symbols, several sharing a millisecond, in ts_known order. */
function quotes(n: number, start = T0, stepUs = 400): Quote[] {
  const syms = ['AAA', 'BBB', 'CCC'];
  return Array.from({ length: n }, (_, i) => quote(syms[i % 3]!, start + i * stepUs, 10 + (i % 17) / 100, 10.05 + (i % 17) / 100, i + 1));
}

const sinkYaml = (ds: string, extra = '') => `name: hot
nodes:
  - { name: quotes, type: test.memory-quotes, params: { batch: 7 } }
  - { name: hot, type: sink.redis, inputs: quotes, params: { url: '${url}', dataset: ${ds}${extra} } }
`;

const sourceYaml = (ds: string, extra: string) => `name: read
nodes:
  - { name: hot, type: source.redis, params: { url: '${url}', dataset: ${ds}, block_ms: 20${extra} } }
  - { name: probe, type: test.probe, inputs: hot }
`;

describe('Redis hot tier', () => {
  it('writes a stream per symbol with ids from ts_known, the latest quote per symbol, and nothing twice', async () => {
    const ds = dataset('quotes');
    const rows = quotes(300);
    const first = await runInMemory(sinkYaml(ds), { quotes: rows });
    expect(first.metrics.get('hot')).toMatchObject({ added: 300, duplicates: 0 });
    const type = avroType('Quote');
    for (const sym of ['AAA', 'BBB', 'CCC']) {
      const mine = rows.filter((q) => q.symbol === sym);
      const entries = (await redis.xrangeBuffer(streamKey(ds, sym), '-', '+')) as unknown as [Buffer, Buffer[]][];
      expect(entries.map(([, f]) => type.fromBuffer(f[1]!))).toEqual(mine);
      // Ids: ms of ts_known, then a counter within the ms, in arrival order.
      const ids = entries.map(([id]) => id.toString());
      const expected: string[] = [];
      let last = -1;
      let n = 0;
      for (const q of mine) {
        const ms = Math.floor(q.ts_known / 1000);
        n = ms === last ? n + 1 : 0;
        last = ms;
        expected.push(`${ms}-${n}`);
      }
      expect(ids).toEqual(expected);
      expect(JSON.parse((await redis.hget(latestKey(ds), sym))!)).toEqual(mine.at(-1));
    }
    expect(await redis.hget(metaKey(ds), 'schema')).toBe('Quote');

    const again = await runInMemory(sinkYaml(ds), { quotes: rows });
    expect(again.metrics.get('hot')).toMatchObject({ added: 0, duplicates: 300 });
    expect(await redis.xlen(streamKey(ds, 'AAA'))).toBe(100);
  });

  it('keeps the last retention_hours of ts_known in each stream', async () => {
    const ds = dataset('retention');
    // 30 hours of quotes, one every 10 minutes per symbol (3 symbols): each stream keeps what is
    // within 2 hours of the newest ts_known of the batch that wrote last.
    const rows = quotes(540, T0, (10 * MINUTE) / 3);
    await runInMemory(sinkYaml(ds, ', retention_hours: 2, batch: 1000'), { quotes: rows });
    const newest = Math.floor(rows.at(-1)!.ts_known / 1000);
    for (const sym of ['AAA', 'BBB', 'CCC']) {
      const kept = rows.filter((q) => q.symbol === sym && Math.floor(q.ts_known / 1000) >= newest - 2 * 3600_000);
      expect(await redis.xlen(streamKey(ds, sym))).toBe(kept.length);
    }
    expect(HOUR).toBe(3600 * 1_000_000);
  });

  it('reads back through a consumer group, and a reader resumes where it stopped', async () => {
    const ds = dataset('group');
    const rows = quotes(90);
    await runInMemory(sinkYaml(ds), { quotes: rows });
    const universe = ['AAA', 'BBB', 'CCC'].map((symbol) => ({ symbol, sector: 'X' }));
    const byTime = (a: Quote, b: Quote) => a.ts_known - b.ts_known || a.symbol.localeCompare(b.symbol);
    // Stops after 40 records (a read takes up to 20 per symbol, so some were given and not taken).
    const part = await runInMemory(sourceYaml(ds, ', count: 20, limit: 40, consumer: c1'), { universe });
    const firstPart = part.probes.get('probe')!.records as Quote[];
    expect(firstPart).toHaveLength(40);
    // The same name again: the rest, first what was given and not taken, nothing twice.
    const rest = await runInMemory(sourceYaml(ds, ', count: 20, idle_ms: 100, consumer: c1'), { universe });
    const secondPart = rest.probes.get('probe')!.records as Quote[];
    expect([...firstPart, ...secondPart].sort(byTime)).toEqual([...rows].sort(byTime));
    // A third run under that name finds nothing left.
    const none = await runInMemory(sourceYaml(ds, ', idle_ms: 60, consumer: c1'), { universe });
    expect(none.probes.get('probe')?.records ?? []).toHaveLength(0);
    // Another group starts from the oldest entry kept: everything, in ts_known order per read.
    const other = await runInMemory(sourceYaml(ds, ', group: other, idle_ms: 60'), { universe });
    const all = other.probes.get('probe')!.records as Quote[];
    expect(all).toEqual([...rows].sort(byTime));
  });

  it('refuses what it cannot use with a message naming it', async () => {
    const ds = dataset('refuse');
    await runInMemory(sinkYaml(ds), { quotes: quotes(3) });
    const universe = [{ symbol: 'AAA', sector: 'X' }];
    await expect(runInMemory(sourceYaml(ds, ', schema: Trade, idle_ms: 40'), { universe })).rejects.toThrow(
      /holds Quote records in Redis .* not Trade/,
    );
    await expect(runInMemory(sinkYaml(ds).replace(url, 'redis://127.0.0.1:1'), { quotes: quotes(3) })).rejects.toThrow(
      /cannot connect to Redis at 127.0.0.1:1/,
    );
    await expect(runInMemory(sinkYaml('bad/name'), { quotes: quotes(3) })).rejects.toThrow(/dataset name/);
    await expect(runInMemory(sinkYaml(ds).replace(url, 'http://127.0.0.1:6379'), { quotes: quotes(3) })).rejects.toThrow(
      /expected redis:\/\/HOST:PORT/,
    );
  });
  it('counts an entry that does not decode, delivers the rest, and does not give it again', async () => {
    const ds = dataset('garbage');
    const rows = quotes(9);
    await runInMemory(sinkYaml(ds), { quotes: rows });
    // A truncated record between the good ones, with an id after theirs.
    await redis.xadd(streamKey(ds, 'AAA'), `${Math.floor(rows.at(-1)!.ts_known / 1000) + 1}-0`, 'v', Buffer.from([2, 0x80]));
    const universe = ['AAA', 'BBB', 'CCC'].map((symbol) => ({ symbol, sector: 'X' }));
    const run = await runInMemory(sourceYaml(ds, ', idle_ms: 60, consumer: g1'), { universe });
    expect(run.probes.get('probe')!.records).toHaveLength(9);
    expect(run.metrics.get('hot')).toMatchObject({ undecodable: 1 });
    const again = await runInMemory(sourceYaml(ds, ', idle_ms: 60, consumer: g1'), { universe });
    expect(again.probes.get('probe')?.records ?? []).toHaveLength(0);
    expect(again.metrics.get('hot')?.['undecodable'] ?? 0).toBe(0);
  });

  it('a reader whose pending entries were removed since (a flush, a trim) resumes with the rest', async () => {
    const ds = dataset('gone');
    const rows = quotes(30);
    await runInMemory(sinkYaml(ds), { quotes: rows });
    const universe = ['AAA', 'BBB', 'CCC'].map((symbol) => ({ symbol, sector: 'X' }));
    // 6 taken of a read of up to 5 per symbol: 9 given and left pending.
    const part = await runInMemory(sourceYaml(ds, ', count: 5, limit: 6, consumer: p1'), { universe });
    expect(part.probes.get('probe')!.records).toHaveLength(6);
    const pending = (await redis.xpending(streamKey(ds, 'AAA'), 'alpha', '-', '+', 100)) as [string][];
    expect(pending.length).toBeGreaterThan(0);
    await redis.xdel(streamKey(ds, 'AAA'), ...pending.map(([id]) => id));
    const rest = await runInMemory(sourceYaml(ds, ', count: 5, idle_ms: 100, consumer: p1'), { universe });
    const got = rest.probes.get('probe')!.records as Quote[];
    expect(got).toHaveLength(30 - 6 - pending.length);
    expect(rest.metrics.get('hot')?.['undecodable'] ?? 0).toBe(0);
    expect(((await redis.xpending(streamKey(ds, 'AAA'), 'alpha')) as unknown[])[0]).toBe(0); // acknowledged
  });

  it('fails with a message naming Redis when it is killed mid-run, writing or reading', async () => {
    const port = await freePort();
    let server = startRedis(port);
    const url2 = `redis://127.0.0.1:${port}`;
    try {
      await waitForRedis(port);
      // Writer: a batch lands, Redis dies, the next batches fail and the flush says so.
      const r = await testRedis(url2, { retry: false });
      const w = await StreamWriter.open(r, 'killed', 'Quote', { retentionMs: 0, latest: false, batchRecords: 10 });
      w.write(quotes(10));
      expect((await w.flush()).added).toBe(10);
      server.kill('SIGKILL');
      await new Promise((res) => server.once('exit', res));
      w.write(quotes(20, T0 + HOUR));
      const s = await w.flush();
      expect(s.added).toBe(10);
      expect(s.failed).toBeGreaterThan(0);
      expect(s.firstError).toBeTruthy();
      r.disconnect();

      // Reader: Redis dies while source.redis waits for entries; the run fails, naming the dataset and Redis.
      server = startRedis(port);
      await waitForRedis(port);
      const universe = [{ symbol: 'AAA', sector: 'X' }];
      const running = runInMemory(
        `name: read\nnodes:\n  - { name: hot, type: source.redis, params: { url: '${url2}', dataset: gone, block_ms: 20, idle_ms: 20000 } }\n  - { name: probe, type: test.probe, inputs: hot }\n`,
        { universe },
      );
      setTimeout(() => server.kill('SIGKILL'), 400);
      await expect(running).rejects.toThrow(/source\.redis hot: reading dataset "gone" from redis:\/\/127\.0\.0\.1:\d+ failed/);
    } finally {
      server.kill('SIGKILL');
    }
  }, 30_000);
});
