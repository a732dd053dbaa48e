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

describe('a replicated per-symbol group', () => {
  it('two replicas of the bars share the symbols, and the fills are still those of one process', async () => {
    const { writeFileSync } = await import('node:fs');
    const data = await dataset({ symbols: 8, days: 4, seed: 11 });
    const file = join(tempDir('replicas'), 'replicated.yaml');
    // Three groups: the bars in two replicas, the cross-sectional features, the trading.
    writeFileSync(file, readFileSync(split, 'utf8')
      .replace('$schema=../topology.schema.json', '')
      .replace('  features: [bars, returns,', '  ticks: { nodes: [bars], replicas: 2 }\n  features: [returns,'));
    const whole = tempDir('whole');
    const one = await runBacktest({ topologyFile: file, dataDir: data, outDir: whole, sets: ['sizing.min_history=10'] });
    const parts = tempDir('parts');
    const edges = memoryEdges();
    const runs = await Promise.all([
      ['ticks', 0], ['ticks', 1], ['features', 0], ['trading', 0],
    ].map(([name, replica]) => runBacktest({
      topologyFile: file, dataDir: data, outDir: parts, sets: ['sizing.min_history=10'], group: { name: name as string, replica: replica as number, runId: 'r', edges },
    })));
    // Each replica made the bars of its own symbols only, together all of them once.
    const bars = runs.slice(0, 2).map((s) => s.nodes['bars']!['out']!);
    expect(bars.every((n) => n > 0)).toBe(true);
    expect(bars[0]! + bars[1]!).toBe(one.nodes['bars']!['out']);
    expect(runs[3]!.fills).toBe(one.fills);
    for (const f of ['fills.parquet', 'orders.parquet', 'equity.parquet']) {
      expect(readFileSync(join(parts, f)).equals(readFileSync(join(whole, f))), f).toBe(true);
    }
  });

  it('is refused for a group holding a stage that needs the whole universe', async () => {
    const { validate } = await import('../topology/helpers.ts');
    const text = readFileSync(split, 'utf8').replace('  features: [bars,', '  features: { replicas: 2, nodes: [bars,').replace('normalised]\n  trading', 'normalised] }\n  trading');
    const { problems } = validate(text);
    expect(problems.map((p) => p.message)).toEqual([
      'group "features" has 2 replicas but snapshot, relative, normalised need the whole universe',
    ]);
  });
});
