import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../pipelines/runtime/backtest.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';
import { memoryEdges } from '../helpers/memory-edges.ts';

const split = 'examples/kafka-split.yaml';

describe('process groups joined by the event-time edge protocol (in-memory transport)', () => {
  it('two groups running concurrently write the fills, orders and equity of the one-process run, byte for byte', async () => {
    const data = await dataset({ symbols: 8, days: 4, seed: 11 });
    const whole = tempDir('whole');
    const summary = await runBacktest({ topologyFile: split, dataDir: data, outDir: whole, sets: ['sizing.min_history=10'] });
    expect(summary.fills).toBeGreaterThan(50);

    const parts = tempDir('parts');
    const edges = memoryEdges();
    const [features, trading] = await Promise.all(['features', 'trading'].map((name) =>
      runBacktest({ topologyFile: split, dataDir: data, outDir: parts, sets: ['sizing.min_history=10'], group: { name, runId: 'r1', edges } })));
    expect(trading!.fills).toBe(summary.fills);
    expect(features!.fills).toBe(0);
    for (const f of ['fills.parquet', 'orders.parquet', 'equity.parquet']) {
      expect(readFileSync(join(parts, f)).equals(readFileSync(join(whole, f))), f).toBe(true);
    }
    // What crossed: the bars and the snapshots, each group's own summary and dead letters apart.
    expect(summary.nodes['bars']!['out']).toBeGreaterThan(0);
    expect([...edges.topics.keys()].sort()).toEqual(['kafka-split.bars.r1', 'kafka-split.normalised.r1']);
    expect(readFileSync(join(parts, 'groups', 'trading', 'summary.json'), 'utf8')).toContain('"fills"');
  });
});
