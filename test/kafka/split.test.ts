/**
 * `alpha backtest FILE --split` through the real broker and registry: each process group in its own
 * OS process, joined by Kafka topics, writes the fills, orders and equity of the one-process run of
 * the same file, byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../pipelines/runtime/backtest.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

const alpha = join(import.meta.dirname, '../../bin/alpha.mjs');
const split = 'examples/kafka-split.yaml';
const sets = ['--set', 'sizing.min_history=10'];

describe('alpha backtest --split', () => {
  it('runs each group in its own process through Kafka and writes the one-process fills byte for byte', async () => {
    const data = await dataset({ symbols: 8, days: 4, seed: 11 });
    const whole = tempDir('whole');
    const one = await runBacktest({ topologyFile: split, dataDir: data, outDir: whole, sets: ['sizing.min_history=10'] });
    expect(one.fills).toBeGreaterThan(50);

    const parts = tempDir('split');
    const run = spawnSync(process.execPath, [alpha, 'backtest', split, '--split', '--data', data, '--out', parts, '--quiet', ...sets], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    for (const f of ['fills.parquet', 'orders.parquet', 'equity.parquet']) {
      expect(readFileSync(join(parts, f)).equals(readFileSync(join(whole, f))), f).toBe(true);
    }
    const summary = JSON.parse(readFileSync(join(parts, 'summary.json'), 'utf8')) as { fills: number; groups: Record<string, unknown>; run_id: string };
    expect(summary.fills).toBe(one.fills);
    expect(Object.keys(summary.groups)).toEqual(['features', 'trading']);
    // The records crossed through this run's own topics.
    const trading = JSON.parse(readFileSync(join(parts, 'groups', 'trading', 'summary.json'), 'utf8')) as { nodes: Record<string, Record<string, number>> };
    expect(trading.nodes['model']!['in']).toBe(one.nodes['model']!['in']);
    expect(trading.nodes['bars']).toBeUndefined();
  });

  it('refuses a topology without groups, and explains', () => {
    const run = spawnSync(process.execPath, [alpha, 'backtest', 'topology.yaml', '--split', '--out', tempDir('no-groups'), '--quiet'], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('no "groups:" to split into');
  });
});
