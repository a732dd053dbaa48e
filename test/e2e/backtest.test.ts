import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBacktest, type BacktestSummary } from '../../pipelines/runtime/backtest.ts';
import { generateDataset } from '../../pipelines/data/generate.ts';
import { strengthForIC } from '../../pipelines/data/market-model.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

const topologyFile = new URL('../../topology.yaml', import.meta.url).pathname;
let data: string;
let first: { out: string; summary: BacktestSummary };
let second: { out: string; summary: BacktestSummary };

beforeAll(async () => {
  data = await dataset({ symbols: 12, days: 4, seed: 3 });
  const a = tempDir('run-a');
  first = { out: a, summary: await runBacktest({ topologyFile, dataDir: data, outDir: a }) };
  // A second run into a differently named folder, given as a relative path.
  const b = join(tempDir('run-b'), 'nested', 'out');
  second = { out: b, summary: await runBacktest({ topologyFile, dataDir: data, outDir: b }) };
});

function bytes(dir: string, file: string): Buffer {
  return readFileSync(join(dir, file));
}

function arrayBuffer(dir: string, file: string): ArrayBuffer {
  return Uint8Array.from(bytes(dir, file)).buffer;
}

describe('default backtest, end to end', () => {
  it('trades after the model warm-up and writes every output', () => {
    expect(first.summary.fills).toBeGreaterThan(100);
    expect(first.summary.orders).toBeGreaterThan(0);
    for (const f of [
      'summary.json',
      'fills.parquet',
      'orders.parquet',
      'costs.parquet',
      'order_states.parquet',
      'equity.parquet',
      'predictions.parquet',
      'dead_letters.jsonl',
      'topology.resolved.yaml',
    ]) {
      expect(readdirSync(first.out)).toContain(f);
    }
  });

  it('fills no order beyond its quantity (the broker fills in parts, never more than was ordered)', async () => {
    const read = async (f: string) =>
      (await parquetReadObjects({ file: arrayBuffer(first.out, f), utf8: true })) as { order_id: string; qty: number }[];
    const ordered = new Map((await read('orders.parquet')).map((o) => [o.order_id, o.qty]));
    const filled = new Map<string, number>();
    for (const f of await read('fills.parquet')) filled.set(f.order_id, (filled.get(f.order_id) ?? 0) + f.qty);
    expect(filled.size).toBeGreaterThan(0);
    for (const [id, qty] of filled) {
      expect(ordered.has(id), id).toBe(true);
      expect(qty, id).toBeLessThanOrEqual(ordered.get(id)!);
    }
    // Partial fills: more fills than filled orders.
    expect(first.summary.fills).toBeGreaterThan(filled.size);
  });

  it('is deterministic: byte-identical fills, orders and equity whatever the output folder', () => {
    for (const f of [
      'fills.parquet',
      'orders.parquet',
      'equity.parquet',
      'predictions.parquet',
      'dead_letters.jsonl',
      'topology.resolved.yaml',
    ]) {
      expect(bytes(second.out, f).equals(bytes(first.out, f)), f).toBe(true);
    }
    const strip = ({ wall_seconds: _w, events_per_sec: _e, peak_rss_mb: _r, ...rest }: BacktestSummary) => rest;
    expect(strip(second.summary)).toEqual(strip(first.summary));
  });

  it('summary.json has the performance and reproducibility fields', () => {
    const s = JSON.parse(readFileSync(join(first.out, 'summary.json'), 'utf8')) as Record<string, unknown>;
    for (const k of [
      'events',
      'events_per_sec',
      'fills',
      'total_return',
      'sharpe',
      'max_drawdown',
      'turnover',
      'fees',
      'dead_letters',
      'git_commit',
      'topology_sha256',
      'data_sha256',
      'seed',
      'peak_rss_mb',
    ])
      expect(s, k).toHaveProperty(k);
    expect(s['events']).toBeGreaterThan(100_000);
    expect(s['data_sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(s['seed']).toBe(42);
  });

  it('Parquet outputs are readable by an independent reader, timestamps as TIMESTAMP(MICROS, UTC)', async () => {
    const buffer = arrayBuffer(first.out, 'fills.parquet');
    const meta = parquetMetadata(buffer);
    const ts = meta.schema.find((e) => e.name === 'ts_known')!;
    expect(ts.logical_type).toEqual({ type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' });
    const rows = await parquetReadObjects({
      file: buffer,
      utf8: true,
      parsers: { timestampFromMicroseconds: (v: bigint) => Number(v) } as never,
    });
    expect(rows).toHaveLength(first.summary.fills);
    const fill = rows[0] as Record<string, unknown>;
    expect(typeof fill['symbol']).toBe('string');
    expect(['BUY', 'SELL']).toContain(fill['side']);
    expect(fill['ts_known'] as number).toBeGreaterThanOrEqual(fill['ts_event'] as number);
    // Fills happen only during a session of the dataset.
    const manifest = JSON.parse(readFileSync(join(data, 'manifest.json'), 'utf8')) as { sessions: { open: number; close: number }[] };
    for (const r of rows as { ts_known: number }[]) {
      expect(manifest.sessions.some((s) => r.ts_known > s.open && r.ts_known <= s.close + 60_000_000)).toBe(true);
    }
  });

  it('the equity curve starts at the initial cash and reconciles with the summary', async () => {
    const rows = (await parquetReadObjects({ file: arrayBuffer(first.out, 'equity.parquet') })) as { equity: number; fees: number }[];
    expect(rows[0]!.equity).toBe(10_000_000);
    const last = rows[rows.length - 1]!;
    expect(last.equity / 10_000_000 - 1).toBeCloseTo(first.summary.total_return, 6);
    expect(last.fees).toBeCloseTo(first.summary.fees, 1);
  });
});

describe('alpha data generate', () => {
  it('gives byte-identical files for the same options, different ones for another seed', async () => {
    const opts = { symbols: 3, days: 2 };
    const [a, b, c] = [tempDir('gen-a'), tempDir('gen-b'), tempDir('gen-c')];
    await generateDataset({ ...opts, out: a });
    await generateDataset({ ...opts, out: b });
    await generateDataset({ ...opts, seed: 2, out: c });
    for (const f of ['manifest.json', 'quotes/2024-01-02.parquet', 'trades/2024-01-03.parquet']) {
      expect(bytes(a, f).equals(bytes(b, f)), f).toBe(true);
    }
    expect(bytes(a, 'quotes/2024-01-02.parquet').equals(bytes(c, 'quotes/2024-01-02.parquet'))).toBe(false);
    const manifest = JSON.parse(bytes(a, 'manifest.json').toString()) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      seed: 1,
      ic: 0.03,
      alpha: strengthForIC(0.03),
      trade_prices: 'quote-in-force',
      symbols: 3,
      start: '2024-01-02',
      dates: ['2024-01-02', '2024-01-03'],
    });
  });
});
