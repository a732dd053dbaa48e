/**
 * A flushed day replays as the data it came from: a generated dataset is replayed from its files
 * into the Redis hot tier with sink.redis (as a live capture would write it), each UTC day of it
 * is flushed into the lake (lib flush, as `alpha data flush` runs it), and the default graph run
 * from the lake (`source.replay store: lake`) gives the same quotes and trades on its source edges,
 * the same orders and the same fills, byte for byte, as the run from the original files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { flushDay } from '../../pipelines/data/flush.ts';
import { readManifest } from '../../pipelines/data/manifest.ts';
import { runBacktest } from '../../pipelines/runtime/backtest.ts';
import { readParquetFile } from '../../lib/io/parquet.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';
import { tempLake } from '../helpers/lake.ts';
import { testRedis, deleteTagged } from '../helpers/redis.ts';

const url = inject('REDIS_URL');
const tag = `r${process.pid}${Date.now().toString(36)}`.replace(/[^A-Za-z0-9]/g, '');
const hot = { quotes: `quotes_${tag}`, trades: `trades_${tag}` };
const lake = tempLake('flush-replay');
let redis: Redis;
let data: string;

beforeAll(async () => {
  redis = await testRedis(url);
  data = await dataset({ symbols: 6, days: 3, correctionRate: 0.05 });
}, 60_000);
afterAll(async () => {
  await deleteTagged(redis, tag);
  redis.disconnect();
  lake.remove();
});

const write = (name: string, text: string): string => {
  const file = join(tempDir('flush-topology'), name);
  writeFileSync(file, text);
  return file;
};

/** The default topology with taps on the sources and the orders, reading the files or the flushed tables. */
function topology(store: 'files' | 'lake'): string {
  const lakeParams = (ds: string) =>
    store === 'lake' ? `dataset: ${ds}, store: lake` : `dataset: ${ds === hot.quotes ? 'quotes' : 'trades'}`;
  const text = readFileSync('topology.yaml', 'utf8')
    .replace(/^data: .*$/m, '')
    .replace(/^seed: 42$/m, 'seed: 42\ntaps: [quotes, trades, orders]')
    .replace(
      '    type: source.replay\n  - name: trades',
      `    type: source.replay\n    params: { ${lakeParams(hot.quotes)} }\n  - name: trades`,
    )
    .replace('params: { dataset: trades, schema: Trade }', `params: { ${lakeParams(hot.trades)}, schema: Trade }`);
  return write('topology.yaml', text);
}

const lines = (file: string): string[] => readFileSync(file, 'utf8').trim().split('\n');

describe('a day flushed from Redis replays as the data it came from', () => {
  it('gives the same records, orders and fills as the original files', async () => {
    // The capture: the files replayed into the hot tier.
    const capture = write(
      'capture.yaml',
      `name: capture\nseed: 1\nnodes:\n` +
        `  - { name: quotes, type: source.replay }\n` +
        `  - { name: trades, type: source.replay, params: { dataset: trades, schema: Trade } }\n` +
        `  - { name: hot_quotes, type: sink.redis, inputs: quotes, params: { url: '${url}', dataset: ${hot.quotes}, retention_hours: 0 } }\n` +
        `  - { name: hot_trades, type: sink.redis, inputs: trades, params: { url: '${url}', dataset: ${hot.trades}, retention_hours: 0 } }\n`,
    );
    await runBacktest({ topologyFile: capture, dataDir: data, outDir: join(tempDir('flush-capture'), 'out') });

    // The UTC days the records became known on (corrections can be known after their trading day).
    const manifest = readManifest(data);
    const days = new Set<string>();
    for (const entry of Object.values(manifest.datasets))
      for (const f of entry.files)
        for (const r of readParquetFile(join(data, f)).getChild('ts_known')!.toArray() as Iterable<number | bigint>)
          days.add(new Date(Math.floor(Number(r) / 1000)).toISOString().slice(0, 10));
    expect(days.size).toBeGreaterThanOrEqual(2);
    let flushed = 0;
    for (const date of [...days].sort())
      for (const r of await flushDay(redis, { lake: lake.dir, date, datasets: [hot.quotes, hot.trades] })) flushed += r.added;
    const rows = Object.values(manifest.datasets).reduce((n, e) => n + (e.rows ?? 0), 0);
    expect(flushed).toBe(rows);
    expect(await redis.xlen(`alpha:${hot.quotes}:${manifest.universe[0]!.symbol}`)).toBe(0);

    const run = async (store: 'files' | 'lake') => {
      const out = join(tempDir('flush-run'), 'out');
      const summary = await runBacktest({ topologyFile: topology(store), dataDir: data, lakeDir: lake.dir, outDir: out });
      return { out, fills: summary.fills };
    };
    const files = await run('files');
    const fromLake = await run('lake');
    expect(files.fills).toBeGreaterThan(0); // a run that trades, so equal orders and fills say something
    for (const tap of ['quotes', 'trades', 'orders']) {
      const a = lines(join(files.out, 'taps', `${tap}.jsonl`));
      expect(a.length).toBeGreaterThan(tap === 'orders' ? 10 : 1000);
      expect(lines(join(fromLake.out, 'taps', `${tap}.jsonl`))).toEqual(a);
    }
    expect(readFileSync(join(fromLake.out, 'fills.parquet')).equals(readFileSync(join(files.out, 'fills.parquet')))).toBe(true);
  }, 120_000);
});
