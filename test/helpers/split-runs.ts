/** What the tests of process groups share: the example, its small dataset, and its one-process run. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runBacktest, type BacktestSummary } from '../../pipelines/runtime/backtest.ts';
import { dataset, tempDir } from './datasets.ts';

export const SPLIT = 'examples/kafka-split.yaml';
/** Trades start within the 4 days of the test data. */
export const SPLIT_SETS = ['sizing.min_history=10'];

export function splitData(): Promise<string> {
  return dataset({ symbols: 8, days: 4, seed: 11 });
}

/** The one-process run of `file` on `data`: its output folder and summary. */
export async function oneProcess(file: string, data: string): Promise<{ out: string; summary: BacktestSummary }> {
  const out = tempDir('whole');
  return { out, summary: await runBacktest({ topologyFile: file, dataDir: data, outDir: out, sets: SPLIT_SETS }) };
}

/** The example's `bars` node, as declared (the tests that change the example's cut find it by this). */
export const BARS_NODE =
  '  - name: bars\n    type: feature.bars\n    inputs: { quotes: quotes, trades: trades }\n    params: { minutes: 1 }\n';

/**
 * The example with its bars in a group of their own, run as two replicas: the features group reads
 * them over a Kafka edge keyed by symbol (4 partitions), written by both replicas.
 */
export function replicatedSplitTopology(): string {
  const file = join(tempDir('replicas'), 'replicated.yaml');
  const example = readFileSync(SPLIT, 'utf8');
  const grouped = '  features: [bars, returns,';
  if (!example.includes(BARS_NODE) || !example.includes(grouped))
    throw new Error(`${SPLIT} changed: replicatedSplitTopology no longer fits it`);
  writeFileSync(
    file,
    example
      .replace('$schema=../topology.schema.json', '')
      .replace(grouped, '  ticks: { nodes: [bars], replicas: 2 }\n  features: [returns,')
      .replace(BARS_NODE, `${BARS_NODE}    transport: kafka\n`),
  );
  return file;
}

/** Fills, orders and equity of two output folders are the same bytes. */
export function expectSameOutputs(a: string, b: string, files = ['fills.parquet', 'orders.parquet', 'equity.parquet']): void {
  for (const f of files) expect(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), f).toBe(true);
}
