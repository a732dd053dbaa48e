import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { printSummary } from '../../pipelines/cli/report.ts';
import { runBacktest } from '../../pipelines/runtime/backtest.ts';
import { EDGE_DEAD_LETTERS } from '../../pipelines/runtime/group/edges.ts';
import { tempDir } from '../helpers/datasets.ts';
import { memoryEdges } from '../helpers/memory-edges.ts';
import { BARS_NODE, expectSameOutputs, oneProcess, replicatedSplitTopology, SPLIT, SPLIT_SETS, splitData } from '../helpers/split-runs.ts';
import { validate } from '../topology/helpers.ts';

describe('process groups joined by the event-time edge protocol (in-memory transport)', () => {
  it('two groups running concurrently write the fills, orders and equity of the one-process run, byte for byte', async () => {
    const data = await splitData();
    const whole = await oneProcess(SPLIT, data);
    expect(whole.summary.fills).toBeGreaterThan(50);

    const parts = tempDir('parts');
    const edges = memoryEdges();
    const [features, trading] = await Promise.all(
      ['features', 'trading'].map((name) =>
        runBacktest({ topologyFile: SPLIT, dataDir: data, outDir: parts, sets: SPLIT_SETS, group: { name, runId: 'r1', edges } }),
      ),
    );
    expect(trading!.fills).toBe(whole.summary.fills);
    expect(features!.fills).toBe(0);
    expectSameOutputs(parts, whole.out);
    // What crossed: the snapshots alone (the trading group made its own bars for sizing, the same
    // ones), each group's own summary and dead letters apart.
    expect([...edges.topics.keys()]).toEqual(['kafka-split.normalised.r1']);
    expect(trading!.nodes['risk_bars']!['out']).toBe(whole.summary.nodes['bars']!['out']);
    expect(readFileSync(join(parts, 'groups', 'trading', 'summary.json'), 'utf8')).toContain('"fills"');
  });

  it('counts the records an input edge refused among the run\'s dead letters (a run that had lost every snapshot said "0 dead letters")', async () => {
    const data = await splitData();
    const parts = tempDir('refused');
    const edges = memoryEdges({ refuse: (nth) => nth === 3 });
    const [, trading] = await Promise.all(
      ['features', 'trading'].map((name) =>
        runBacktest({ topologyFile: SPLIT, dataDir: data, outDir: parts, sets: SPLIT_SETS, group: { name, runId: 'r1', edges } }),
      ),
    );
    expect(trading!.dead_letter_reasons[EDGE_DEAD_LETTERS]).toBe(1);
    expect(trading!.dead_letters).toBe(
      1 + Object.entries(trading!.dead_letter_reasons).reduce((n, [k, v]) => n + (k === EDGE_DEAD_LETTERS ? 0 : v), 0),
    );
    const written = JSON.parse(readFileSync(join(parts, 'groups', 'trading', 'summary.json'), 'utf8')) as {
      dead_letters: number;
      edges_in: { dead_lettered: number };
    };
    expect([written.dead_letters, written.edges_in.dead_lettered]).toEqual([trading!.dead_letters, 1]);
    // The CLI's line: the edge's dead letter is in the topic's .dlq, so the file is not said to be cut short.
    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((text) => {
      printed.push(String(text));
      return true;
    });
    try {
      printSummary(trading!, parts);
    } finally {
      write.mockRestore();
    }
    expect(printed.join('')).toContain(`${EDGE_DEAD_LETTERS}: 1`);
    expect(printed.join('')).not.toContain('keeps the first');
  });

  it("the trading group's own bars give sizing what the features group's bars would: the same fills as shipping them", async () => {
    const data = await splitData();
    const example = readFileSync(SPLIT, 'utf8');
    const reads = 'bars: risk_bars, portfolio';
    expect(example).toContain(reads);
    expect(example).toContain(BARS_NODE);
    // The cut the example made before: sizing reads `bars` across groups, over a Kafka edge.
    const shipped = join(tempDir('shipped'), 'shipped.yaml');
    writeFileSync(
      shipped,
      example
        .replace('$schema=../topology.schema.json', '')
        .replace(reads, 'bars: bars, portfolio')
        .replace(BARS_NODE, `${BARS_NODE}    transport: kafka\n`),
    );
    const made = await oneProcess(SPLIT, data);
    const sent = await oneProcess(shipped, data);
    expect(made.summary.fills).toBeGreaterThan(50);
    expectSameOutputs(made.out, sent.out);
  });
});

describe('a replicated per-symbol group', () => {
  it('two replicas of the bars share the symbols, and the fills are still those of one process', async () => {
    const data = await splitData();
    const file = replicatedSplitTopology();
    const whole = await oneProcess(file, data);
    const parts = tempDir('parts');
    const edges = memoryEdges();
    const runs = await Promise.all(
      [
        ['ticks', 0],
        ['ticks', 1],
        ['features', 0],
        ['trading', 0],
      ].map(([name, replica]) =>
        runBacktest({
          topologyFile: file,
          dataDir: data,
          outDir: parts,
          sets: SPLIT_SETS,
          group: { name: name as string, replica: replica as number, runId: 'r', edges },
        }),
      ),
    );
    // Each replica made the bars of its own symbols only, together all of them once.
    const bars = runs.slice(0, 2).map((s) => s.nodes['bars']!['out']!);
    expect(bars.every((n) => n > 0)).toBe(true);
    expect(bars[0]! + bars[1]!).toBe(whole.summary.nodes['bars']!['out']);
    expect(runs[3]!.fills).toBe(whole.summary.fills);
    expectSameOutputs(parts, whole.out);
  });

  it('is refused for a group holding a stage that needs the whole universe', () => {
    const text = readFileSync(SPLIT, 'utf8')
      .replace('  features: [bars,', '  features: { replicas: 2, nodes: [bars,')
      .replace('normalised]\n  trading', 'normalised] }\n  trading');
    const { problems } = validate(text);
    expect(problems.map((p) => p.message)).toEqual([
      'group "features" has 2 replicas but snapshot, relative, normalised need the whole universe',
    ]);
  });

  it('is refused for an empty group, and for groups that make more than 64 processes in all', () => {
    const base = readFileSync(SPLIT, 'utf8');
    const empty = base.replace('\ngroups:\n', '\ngroups:\n  idle: []\n');
    expect(validate(empty).problems.map((p) => p.message)).toEqual(['group "idle" has no nodes']);
    // Two per-symbol groups of 40 replicas each: each within its bound, 82 processes with the others.
    const many = base.replace(
      '  features: [bars, returns, volatility, microstructure, bar_stats,',
      '  ticks: { replicas: 40, nodes: [bars] }\n  more: { replicas: 40, nodes: [returns] }\n  features: [volatility, microstructure, bar_stats,',
    );
    expect(validate(many).problems.map((p) => p.message)).toContain('the groups run as 82 processes');
  });

  it('is refused for more replicas than --split would start processes for', () => {
    for (const [replicas, refused] of [
      [64, false],
      [65, true],
      [1e9, true],
    ] as const) {
      const text = readFileSync(SPLIT, 'utf8')
        .replace('  features: [bars,', `  features: { replicas: ${replicas}, nodes: [bars,`)
        .replace('normalised]\n  trading', 'normalised] }\n  trading');
      const messages = validate(text).problems.map((p) => p.message);
      expect(messages.some((m) => m === `replicas is ${replicas}`)).toBe(refused);
      // One bad value, one problem: a refused count is not counted again in the processes' total.
      expect(messages.filter((m) => m.startsWith('the groups run as'))).toEqual(refused ? [] : ['the groups run as 65 processes']);
    }
  });
});
