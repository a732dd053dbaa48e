/**
 * `alpha data flush --date D` against the services' Redis and a real Delta table: the process is
 * killed (SIGKILL, through the test-only ALPHA_FLUSH_CRASH_AT) before the write, after the data
 * files, after the commit, before and during the trim of Redis; a rerun then leaves every record of
 * the day in the table exactly once, none lost, and nothing of the day in Redis, while the days
 * around it stay in Redis untouched; a third run adds nothing. Expected rows are the records the
 * test wrote to Redis, split by day here; the table is read back with delta-rs (lake.py), not
 * with the DuckDB path the flush writes through.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { flushDay } from '../../pipelines/data/flush.ts';
import { avroType } from '../../lib/io/redis/avro-type.ts';
import { streamKey } from '../../lib/io/redis/hot-streams.ts';
import { StreamWriter } from '../../lib/io/redis/stream-writer.ts';
import type { Fill, Quote } from '../../schemas/types.generated.ts';
import { ROOT } from '../helpers/cli.ts';
import { deltaRsRows, tempLake } from '../helpers/lake.ts';
import { fill, quote } from '../helpers/records.ts';
import { freePort, startRedis, testRedis, waitForRedis, deleteTagged } from '../helpers/redis.ts';

const url = inject('REDIS_URL');
const tag = `f${process.pid}${Date.now().toString(36)}`.replace(/[^A-Za-z0-9]/g, '');
const lake = tempLake('flush');
let redis: Redis;

beforeAll(async () => {
  redis = await testRedis(url);
});
afterAll(async () => {
  await deleteTagged(redis, tag);
  redis.disconnect();
  lake.remove();
});

const DAY = '2024-03-05';
const DAY_US = Date.parse(`${DAY}T00:00:00Z`) * 1000;
const SYMBOLS = ['AAA', 'BBB', 'CCC', 'DDD'];

/** Quotes of four symbols from 22:00 the day before to 02:00 the day after, every 30 s, and on both edges of the day. */
function records(): Quote[] {
  const out: Quote[] = [];
  let seq = 0;
  for (let t = DAY_US - 2 * 3600e6; t < DAY_US + 26 * 3600e6; t += 30_000_000) {
    for (const s of SYMBOLS) out.push(quote(s, t, 10 + (seq % 13) / 100, 10.02 + (seq % 13) / 100, ++seq));
  }
  // The last µs of the day and the first of the next, in one ms each: the edges of the day.
  for (const s of SYMBOLS) out.push(quote(s, DAY_US + 86_400e6 - 1, 11, 11.01, ++seq));
  for (const s of SYMBOLS) out.push(quote(s, DAY_US + 86_400e6, 11, 11.01, ++seq));
  return out.sort((a, b) => a.ts_known - b.ts_known || a.seq - b.seq);
}

const onDay = (q: { ts_known: number }) => q.ts_known >= DAY_US && q.ts_known < DAY_US + 86_400e6;

async function writeToRedis(dataset: string, rows: Quote[]): Promise<void> {
  const w = await StreamWriter.open<Quote>(redis, dataset, 'Quote', { retentionMs: 0, latest: true, batchRecords: 500 });
  w.write(rows);
  const s = await w.flush();
  expect(s).toMatchObject({ added: rows.length, failed: 0 });
}

/** What Redis holds of a dataset, decoded, in (ts_known, seq) order. */
async function inRedis(dataset: string): Promise<Quote[]> {
  const type = avroType('Quote');
  const out: Quote[] = [];
  for (const s of SYMBOLS) {
    const entries = (await redis.xrangeBuffer(streamKey(dataset, s), '-', '+')) as unknown as [Buffer, Buffer[]][];
    for (const [, f] of entries) out.push({ ...(type.fromBuffer(f[1]!) as Quote) });
  }
  return out.sort((a, b) => a.ts_known - b.ts_known || a.seq - b.seq);
}

interface Run {
  code: number | null;
  signal: string | null;
  stderr: string;
}

function flush(dataset: string, crashAt?: string): Promise<Run> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: url };
    if (crashAt) env['ALPHA_FLUSH_CRASH_AT'] = crashAt;
    else delete env['ALPHA_FLUSH_CRASH_AT'];
    execFile(
      process.execPath,
      ['bin/alpha.mjs', 'data', 'flush', '--date', DAY, '--dataset', dataset, '--lake', lake.dir],
      { cwd: ROOT, env, timeout: 60_000 },
      (err, _stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, signal: err?.signal ?? null, stderr }),
    );
  });
}

const version = (dataset: string): number =>
  existsSync(join(lake.dir, dataset, '_delta_log'))
    ? Math.max(...readdirSync(join(lake.dir, dataset, '_delta_log')).map((f) => (/^\d{20}\.json$/.test(f) ? Number(f.slice(0, 20)) : -1)))
    : -1;

const ledger = (dataset: string): Record<string, unknown> | undefined => {
  const f = join(lake.dir, '.flush', dataset, `${DAY}.json`);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>) : undefined;
};

/** The table's rows as delta-rs reads them, as Quotes sorted by id. */
const lakeRows = (dataset: string): Record<string, unknown>[] => deltaRsRows(join(lake.dir, dataset));

const asRows = (qs: Quote[]): Record<string, unknown>[] =>
  [...qs].sort((a, b) => a.id - b.id).map((q) => ({ ...q }) as unknown as Record<string, unknown>);

describe('alpha data flush --date D: crash-safe, idempotent', () => {
  const all = records();
  const day = all.filter(onDay);
  const rest = all.filter((q) => !onDay(q));

  it('the fixture spans three days, with records on both edges of the day', () => {
    expect(day.length).toBe(4 * 2880 + 4);
    expect(rest.length).toBe(4 * 480 + 4);
    expect(day.at(-1)!.ts_known).toBe(DAY_US + 86_400e6 - 1);
  });

  // State after the kill, before the rerun: what each point has done and not done.
  const after: Record<string, (ds: string) => Promise<void>> = {
    'before-write': async (ds) => {
      expect(version(ds)).toBe(-1); // no table yet: it is created with the first append
      expect(await inRedis(ds)).toEqual(all);
    },
    'after-data': async (ds) => {
      expect(version(ds)).toBe(0); // created, not appended: the commit file was never written
      // ... though the data files were.
      expect(readdirSync(join(lake.dir, ds, `date=${DAY}`)).filter((f) => f.endsWith('.parquet')).length).toBeGreaterThan(0);
      expect(await inRedis(ds)).toEqual(all);
    },
    'after-commit': async (ds) => {
      expect(version(ds)).toBe(1);
      expect(ledger(ds)).toBeUndefined(); // the run that committed never recorded it
      expect(await inRedis(ds)).toEqual(all);
    },
    'before-trim': async (ds) => {
      expect(ledger(ds)).toMatchObject({ state: 'committed', version: 1, rows: day.length });
      expect(await inRedis(ds)).toEqual(all);
    },
    'mid-trim': async (ds) => {
      expect(ledger(ds)).toMatchObject({ state: 'committed', version: 1 });
      const left = (await inRedis(ds)).length;
      expect(left).toBeLessThan(all.length);
      expect(left).toBeGreaterThan(rest.length); // one stream trimmed, the others not yet
    },
  };

  for (const [i, point] of Object.keys(after).entries()) {
    it.concurrent(`killed ${point}: a rerun leaves each record of the day once in the table, none in Redis`, async () => {
      const ds = `fq${i}_${tag}`;
      await writeToRedis(ds, all);
      const crashed = await flush(ds, point);
      expect(crashed.signal, crashed.stderr).toBe('SIGKILL');
      await after[point]!(ds);

      const rerun = await flush(ds);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(lakeRows(ds)).toEqual(asRows(day));
      expect(await inRedis(ds)).toEqual(rest);
      expect(ledger(ds)).toMatchObject({ state: 'trimmed', version: 1 });

      if (i > 0) return;
      // Again (once is enough): nothing of the day is left in Redis, nothing is added.
      const third = await flush(ds);
      expect(third.code, third.stderr).toBe(0);
      expect(third.stderr).toContain('nothing in Redis');
      expect(version(ds)).toBe(1); // an append-only table at the same version holds the same rows
    }, 60_000);
  }

  it('flushes the other datasets when one fails, then names the failure (one refused dataset left every later one in Redis)', async () => {
    const [broken, good] = [`broken_${tag}`, `good_${tag}`];
    const rows = all.filter((q) => q.symbol === 'BBB' && onDay(q)).slice(0, 200);
    await writeToRedis(broken, rows);
    await writeToRedis(good, rows);
    // The broken one's ledger of the day is not a ledger: its flush is refused.
    mkdirSync(join(lake.dir, '.flush', broken), { recursive: true });
    writeFileSync(join(lake.dir, '.flush', broken, `${DAY}.json`), 'not a ledger');
    const told: string[] = [];
    await expect(
      flushDay(redis, { lake: lake.dir, date: DAY, datasets: [broken, good], onResult: (r) => told.push(r.dataset) }),
    ).rejects.toThrow(
      new RegExp(`^1 of 2 datasets failed to flush for ${DAY} \\(flushed: "${good}"\\): "${broken}": .*not a flush ledger`),
    );
    expect(told).toEqual([good]);
    expect(lakeRows(good)).toEqual(asRows(rows));
  }, 60_000);

  it('refuses an unknown dataset and one that cannot be a lake table; leaves an entry that does not decode in Redis', async () => {
    await expect(flushDay(redis, { lake: lake.dir, date: DAY, datasets: [`none_${tag}`] })).rejects.toThrow(
      `hot tier: no dataset "none_${tag}" in Redis`,
    );
    await redis.hset(`alpha:orders_${tag}`, 'schema', 'Order');
    await expect(flushDay(redis, { lake: lake.dir, date: DAY, datasets: [`orders_${tag}`] })).rejects.toThrow(
      /dataset "orders_\w+" holds Order records, which cannot be a lake table: expected .*Quote/,
    );

    const ds = `bad_${tag}`;
    const rows = all.filter((q) => q.symbol === 'AAA').slice(0, 1000);
    await writeToRedis(ds, rows);
    const key = streamKey(ds, 'AAA');
    const garbageId = `${Math.floor(DAY_US / 1000) + 3_600_000 * 23}-0`; // 23:00 on the day, after every written entry of the day
    expect(rows.filter(onDay).every((q) => q.ts_known < DAY_US + 23 * 3600e6)).toBe(true);
    await redis.del(key);
    await writeToRedis(
      ds,
      rows.filter((q) => q.ts_known < DAY_US + 23 * 3600e6),
    );
    await redis.xadd(key, garbageId, 'v', Buffer.from([0xff, 0xff, 0xff]));
    const [r] = await flushDay(redis, { lake: lake.dir, date: DAY, datasets: [ds] });
    const dayRows = rows.filter((q) => onDay(q) && q.ts_known < DAY_US + 23 * 3600e6);
    expect(r).toMatchObject({
      rows: dayRows.length,
      added: dayRows.length,
      undecodable: 1,
      undecodable_entries: [{ stream: key, id: garbageId }],
      removed: dayRows.length,
    });
    expect(lakeRows(ds)).toEqual(asRows(dayRows));
    const left = (await redis.xrange(key, '-', '+')).map(([id]) => id);
    expect(left).toContain(garbageId);
  }, 60_000);

  it('refuses a ledger that is not one (a pipe, line breaks) in one line, without reading it for ever', async () => {
    const ds = `ledger_${tag}`;
    await writeToRedis(ds, all.filter((q) => q.symbol === 'AAA').slice(0, 10));
    const ledger = join(lake.dir, '.flush', ds, `${DAY}.json`);
    mkdirSync(dirname(ledger), { recursive: true });
    execFileSync('mkfifo', [ledger]);
    await expect(flushDay(redis, { lake: lake.dir, date: DAY, datasets: [ds] })).rejects.toThrow(
      /\.json: not a flush ledger \(not a regular file \(a device, pipe or socket\)\); move it away to flush this day again$/,
    );
    rmSync(ledger);
    writeFileSync(ledger, '{\n"a":\n x\nalpha: all good');
    const refused = await flushDay(redis, { lake: lake.dir, date: DAY, datasets: [ds] }).catch((err: Error) => err.message);
    expect(refused).toMatch(/not a flush ledger \(Unexpected token .*\\nalpha: /);
    expect(refused).not.toContain('\n');
  }, 60_000);

  it('without --dataset flushes every dataset in Redis that can be a lake table (on a private Redis)', async () => {
    const port = await freePort();
    const server = startRedis(port);
    try {
      await waitForRedis(port);
      const own = await testRedis(`redis://127.0.0.1:${port}`, { retry: false });
      try {
        const rows = all.filter((q) => q.symbol === 'BBB').slice(0, 600);
        const w = await StreamWriter.open<Quote>(own, 'quotes', 'Quote', { retentionMs: 0, latest: true });
        w.write(rows);
        await w.flush();
        await own.hset('alpha:orders', 'schema', 'Order'); // no lake table for orders: passed over
        const results = await flushDay(own, { lake: lake.dir, date: DAY });
        expect(results.map((r) => [r.dataset, r.added])).toEqual([['quotes', rows.filter(onDay).length]]);
        expect(lakeRows('quotes')).toEqual(asRows(rows.filter(onDay)));
      } finally {
        own.disconnect();
      }
    } finally {
      server.kill('SIGKILL');
    }
  }, 60_000);

  it('flushes the fills of a live --hot run (dataset "broker"), both fills of a sweep at one instant among them', async () => {
    const port = await freePort();
    const server = startRedis(port);
    try {
      await waitForRedis(port);
      const own = await testRedis(`redis://127.0.0.1:${port}`, { retry: false });
      const ownLake = tempLake('flush-fills');
      try {
        // Order O2 sweeps two resting orders at 14:45:17: two fills of AAA with one ts_event and
        // ts_known, told apart by fill_id; a fill of the day before stays in Redis.
        const t = DAY_US + (14 * 3600 + 45 * 60 + 17) * 1e6;
        const at = (us: number): Partial<Fill> => ({ ts_event: us, ts_known: us + 40 });
        const fills: Fill[] = [
          fill('AAA', 'BUY', 10, 31.5, { ...at(DAY_US - 3600e6), fill_id: 'O0#1', order_id: 'O0' }),
          fill('BBB', 'SELL', 100, 51.2, { ...at(t - 1e6), fill_id: 'O1#1', order_id: 'O1' }),
          fill('AAA', 'BUY', 400, 32.97, { ...at(t), fill_id: 'O2#1', order_id: 'O2' }),
          fill('AAA', 'BUY', 709, 32.97, { ...at(t), fill_id: 'O2#2', order_id: 'O2' }),
        ];
        const onDayFills = fills.filter(onDay);
        const w = await StreamWriter.open<Fill>(own, 'broker', 'Fill', { retentionMs: 0, latest: false });
        w.write(fills);
        expect(await w.flush()).toMatchObject({ added: fills.length, failed: 0 });
        const quotes = all.filter((q) => q.symbol === 'CCC').slice(0, 100);
        const q = await StreamWriter.open<Quote>(own, 'quotes', 'Quote', { retentionMs: 0, latest: true });
        q.write(quotes);
        await q.flush();

        const results = await flushDay(own, { lake: ownLake.dir, date: DAY });
        expect(results.map((r) => [r.dataset, r.added, r.skipped])).toEqual([
          ['broker', onDayFills.length, 0],
          ['quotes', quotes.filter(onDay).length, 0],
        ]);
        const byFill = (rows: Record<string, unknown>[]) =>
          [...rows].sort((a, b) => String(a['fill_id']).localeCompare(String(b['fill_id'])));
        expect(byFill(deltaRsRows(join(ownLake.dir, 'broker')))).toEqual(byFill(onDayFills.map((f) => ({ ...f }))));
        expect(await own.xlen(streamKey('broker', 'AAA'))).toBe(1); // the fill of the day before
      } finally {
        own.disconnect();
        ownLake.remove();
      }
    } finally {
      server.kill('SIGKILL');
    }
  }, 60_000);
});
