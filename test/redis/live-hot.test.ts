/**
 * A live run feeds the hot tier (`alpha live --hot`): examples/live-venue.yaml against colo_venue, with
 * a private Redis (the services' ACL user, nothing shared with other tests). Every record the run
 * captured from each feed is in that feed's per-symbol streams, in order, each symbol's latest record
 * is the last one captured, and the portfolio's latest state is there for dashboards. The end-of-day
 * flush then moves the day into the lake, where it is exactly the capture's records. A Redis killed
 * mid-run is reported by name once the run has ended, its capture complete.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlphaError } from '../../lib/core/errors.ts';
import { avroType } from '../../lib/io/redis/avro-type.ts';
import { streamKey } from '../../lib/io/redis/hot-streams.ts';
import { flushDay } from '../../pipelines/data/flush.ts';
import { readCapture } from '../../pipelines/io/capture-log.ts';
import { liveStateKey } from '../../pipelines/runtime/live-hot-tier.ts';
import { runLiveSession } from '../../pipelines/runtime/live.ts';
import { queryLake } from '../../lib/io/lake/query.ts';
import { asObjects, tempLake } from '../helpers/lake.ts';
import { freePort, startRedis, testRedis, waitForRedis } from '../helpers/redis.ts';
import { startVenueDay, type VenueDay } from '../helpers/venue-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-live-hot-'));
const lake = tempLake('live-hot');
let day: VenueDay;
let server: ChildProcess;
let port: number;
let redis: Redis;

beforeAll(async () => {
  port = await freePort();
  server = startRedis(port);
  await waitForRedis(port);
  redis = await testRedis(`redis://127.0.0.1:${port}`);
  day = await startVenueDay(dir, { symbols: 4, seed: 9, users: ['alpha:alpha'], args: ['--speed', '1200'] });
}, 60_000);
afterAll(async () => {
  redis?.disconnect();
  server?.kill('SIGKILL');
  await day?.venue.stop();
  lake.remove();
  rmSync(dir, { recursive: true, force: true });
});

type Row = { symbol: string; ts_known: number; seq: number; id: number };

describe('alpha live --hot', () => {
  it('writes what the run received to the hot tier, and the flushed day is the capture', async () => {
    const { venue, date, data } = day;
    const summary = await runLiveSession({
      topologyFile: 'examples/live-venue.yaml',
      sets: [
        `quotes.rerequest_port=${venue.rerequestPort}`,
        `trades.rerequest_port=${venue.rerequestPort}`,
        `broker.port=${venue.ouchPort}`,
      ],
      dataDir: data,
      outDir: join(dir, 'live'),
      date,
      speed: 1200,
      seconds: 4,
      statusSeconds: 0,
      hot: { url: `redis://127.0.0.1:${port}`, retentionHours: 24 },
    });
    const captured = readCapture(summary.capture).arrivals.flatMap((a) =>
      a.kind === 'source' && a.node === 'quotes' ? (a.records as Row[]) : [],
    );
    expect(captured.length).toBeGreaterThan(1000);
    expect(summary.hot_entries).toBeGreaterThanOrEqual(captured.length);

    // Every captured quote, per symbol and in order, decoded from its stream.
    const quote = avroType('Quote');
    for (const symbol of new Set(captured.map((q) => q.symbol))) {
      const entries = await redis.xrangeBuffer(streamKey('quotes', symbol), '-', '+');
      const decoded = entries.map(([, fields]) => quote.fromBuffer(fields[1]!) as Row);
      expect(decoded, symbol).toEqual(captured.filter((q) => q.symbol === symbol));
      const latest = JSON.parse((await redis.hget('alpha:quotes:latest', symbol))!) as Row;
      expect(latest).toEqual(decoded.at(-1));
    }
    const state = await redis.hgetall(liveStateKey('live-venue'));
    expect(Number.isFinite(Number(state['equity']))).toBe(true);
    expect(Array.isArray(JSON.parse(state['positions']!))).toBe(true);
    expect(state['kill_switch']).toBe('ACTIVE');

    // The end-of-day flush moves the day into the lake: there it is the capture's quotes, once each.
    const [result] = await flushDay(redis, { lake: lake.dir, date, datasets: ['quotes'] });
    expect(result!.added).toBe(captured.length);
    expect(await redis.xlen(streamKey('quotes', captured[0]!.symbol))).toBe(0);
    const rows = asObjects(await queryLake({ lake: lake.dir, dataset: 'quotes', allVersions: true })) as unknown as Row[];
    const key = (r: Row): string => `${r.symbol}|${Number(r.ts_known)}|${Number(r.seq)}|${Number(r.id)}`;
    expect(rows.map(key).sort()).toEqual(captured.map(key).sort());
  }, 90_000);

  it('reports a Redis killed mid-run by name, after a complete capture, and writes no summary', async () => {
    const { venue, date, data } = day;
    const port2 = await freePort();
    const server2 = startRedis(port2);
    await waitForRedis(port2);
    const out = join(dir, 'killed');
    const killer = setTimeout(() => server2.kill('SIGKILL'), 1500);
    let error: unknown;
    try {
      await runLiveSession({
        topologyFile: 'examples/live-venue.yaml',
        sets: [
          `quotes.rerequest_port=${venue.rerequestPort}`,
          `trades.rerequest_port=${venue.rerequestPort}`,
          `broker.port=${venue.ouchPort}`,
        ],
        dataDir: data,
        outDir: out,
        date,
        speed: 1200,
        seconds: 3,
        statusSeconds: 0,
        hot: { url: `redis://127.0.0.1:${port2}`, retentionHours: 24 },
      });
    } catch (err) {
      error = err;
    } finally {
      clearTimeout(killer);
      server2.kill('SIGKILL');
    }
    expect(error).toBeInstanceOf(AlphaError);
    expect((error as Error).message).toMatch(/^alpha live --hot: writes to Redis failed for .*quotes \(\d+ batch/);
    expect(readCapture(join(out, 'capture.alog')).ended).toBe(true);
    expect(existsSync(join(out, 'summary.json'))).toBe(false);
  }, 60_000);
});
