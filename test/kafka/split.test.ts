/**
 * `alpha backtest FILE --split` through the real broker and registry: each process group in its own
 * OS process, joined by Kafka topics, writes the fills, orders and equity of the one-process run of
 * the same file, byte for byte.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/datasets.ts';
import { dropTopics, testSettings, withAdmin } from '../helpers/kafka.ts';
import { expectSameOutputs, oneProcess, replicatedSplitTopology, SPLIT, SPLIT_SETS, splitData } from '../helpers/split-runs.ts';

const alpha = join(import.meta.dirname, '../../bin/alpha.mjs');
const split = SPLIT;
const sets = SPLIT_SETS.flatMap((s) => ['--set', s]);

describe('alpha backtest --split', () => {
  it('runs each group in its own process through Kafka and writes the one-process fills byte for byte', async () => {
    const data = await splitData();
    const { out: whole, summary: one } = await oneProcess(split, data);
    expect(one.fills).toBeGreaterThan(50);

    const parts = tempDir('split');
    const run = spawnSync(process.execPath, [alpha, 'backtest', split, '--split', '--data', data, '--out', parts, '--quiet', ...sets], {
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    expectSameOutputs(parts, whole);
    const summary = JSON.parse(readFileSync(join(parts, 'summary.json'), 'utf8')) as {
      fills: number;
      groups: Record<string, unknown>;
      run_id: string;
    };
    expect(summary.fills).toBe(one.fills);
    expect(Object.keys(summary.groups)).toEqual(['features', 'trading']);
    // The records crossed through this run's own topics.
    const trading = JSON.parse(readFileSync(join(parts, 'groups', 'trading', 'summary.json'), 'utf8')) as {
      nodes: Record<string, Record<string, number>>;
    };
    expect(trading.nodes['model']!['in']).toBe(one.nodes['model']!['in']);
    expect(trading.nodes['bars']).toBeUndefined();
  });

  it('does not start a group again when its input is refused: every attempt would fail alike', () => {
    const missing = join(tempDir('no-dataset'), 'none');
    const out = join(tempDir('refused-input'), 'out');
    const run = spawnSync(process.execPath, [alpha, 'backtest', split, '--split', '--data', missing, '--out', out, ...sets], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).not.toContain('starting it again');
    // The group that failed first is the one reported, with its own line (not a group stopped after it).
    expect(run.stderr).toMatch(/alpha: group "(features|trading)" failed: its process exited with 65: .*dataset manifest not found/);
    for (const group of ['features', 'trading']) {
      const lines = run.stderr.split('\n').filter((l) => l.startsWith(`[${group}] alpha: `));
      expect(lines.length).toBeLessThanOrEqual(1);
    }
  });

  it('stops its group processes when it is interrupted, and writes no --out', async () => {
    const data = await splitData();
    const out = join(tempDir('interrupted'), 'out');
    const run = spawn(process.execPath, [alpha, 'backtest', split, '--split', '--data', data, '--out', out, ...sets]);
    let stderr = '';
    run.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => run.on('close', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!/\[split\] run \S+:/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const runId = /\[split\] run (\S+):/.exec(stderr)![1]!;
    await new Promise((r) => setTimeout(r, 1000)); // the group processes have started
    run.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(stderr).toContain('alpha: SIGTERM: the group processes were stopped; the run is incomplete');
    expect(existsSync(out)).toBe(false);
    // They were left running, orphaned, writing into the staging folder.
    const left = spawnSync('pgrep', ['-f', '--', `--run-id ${runId}`], { encoding: 'utf8' }).stdout.trim();
    expect(left).toBe('');
  });

  it('refuses by hand a producer-only group again with a run id and --attempt that already ran, and publishes nothing', async () => {
    const data = await splitData();
    const runId = `rerun${process.pid}${Date.now().toString(36)}`;
    const topic = `kafka-split.normalised.${runId}`;
    const features = (attempt: number) =>
      spawnSync(
        process.execPath,
        [
          alpha,
          'run',
          split,
          '--group',
          'features',
          '--run-id',
          runId,
          '--attempt',
          String(attempt),
          '--data',
          data,
          '--out',
          tempDir('rerun'),
          '--quiet',
          ...sets,
        ],
        { encoding: 'utf8' },
      );
    const ends = () => withAdmin(testSettings(), async (admin) => (await admin.offsets(topic)).map((p) => p.high));
    try {
      const first = features(0);
      expect(first.status, first.stderr).toBe(0);
      const written = await ends();
      expect(written.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

      const again = features(0);
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(
        new RegExp(
          `^alpha: consumer group "kafka-split\\.features\\.0\\.normalised\\.${runId}\\.0" already marks "${topic.replaceAll('.', '\\.')}" as written .*pass the next --attempt`,
        ),
      );
      expect(again.stderr.trim().split('\n')).toHaveLength(1);
      expect(await ends()).toEqual(written);

      // The next attempt replays the edge (the reading group drops the copies of what it has).
      expect(features(1).status).toBe(0);
    } finally {
      await dropTopics(testSettings(), [topic]);
    }
  });

  it('refuses a topology without groups, and explains', () => {
    const run = spawnSync(process.execPath, [alpha, 'backtest', 'topology.yaml', '--split', '--out', tempDir('no-groups'), '--quiet'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('no "groups:" to split into');
  });
});

describe('taps of a split run', () => {
  it('mirror a tapped edge to its run topic, readable with alpha tap, without changing the fills', async () => {
    const data = await splitData();
    const plain = tempDir('untapped');
    const untapped = spawnSync(
      process.execPath,
      [alpha, 'backtest', split, '--split', '--data', data, '--out', plain, '--quiet', ...sets],
      { encoding: 'utf8' },
    );
    expect(untapped.status, untapped.stderr).toBe(0);
    // Taps are topology-level: a copy of the example with `taps: [alpha, broker]`.
    const file = join(tempDir('taps'), 'kafka-split-taps.yaml');
    writeFileSync(
      file,
      readFileSync(split, 'utf8').replace('\ngroups:', '\ntaps: [alpha, broker]\ngroups:').replace('$schema=../topology.schema.json', ''),
    );
    const out = tempDir('tapped-run');
    const withTaps = spawnSync(process.execPath, [alpha, 'backtest', file, '--split', '--data', data, '--out', out, ...sets], {
      encoding: 'utf8',
    });
    expect(withTaps.status, withTaps.stderr).toBe(0);
    expect(readFileSync(join(out, 'fills.parquet')).equals(readFileSync(join(plain, 'fills.parquet')))).toBe(true);
    const runId = /\[split\] run (\S+):/.exec(withTaps.stderr)![1]!;
    const tap = spawnSync(
      process.execPath,
      [alpha, 'tap', 'broker', '--topology', file, '--run', runId, '--from-beginning', '--format', 'json'],
      { encoding: 'utf8' },
    );
    expect(tap.status, tap.stderr).toBe(0);
    const fills = tap.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { value: { fill_id: string } }).value);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { fills: number };
    expect(fills).toHaveLength(summary.fills);
    expect(fills[0]!.fill_id).toMatch(/#1$/);
  });
});

describe('replicas in a split run', () => {
  it('runs a per-symbol group as two processes sharing the symbols, with the one-process fills', async () => {
    const data = await splitData();
    const file = replicatedSplitTopology();
    const { out: whole } = await oneProcess(file, data);
    const out = tempDir('replicated');
    const run = spawnSync(process.execPath, [alpha, 'backtest', file, '--split', '--data', data, '--out', out, '--quiet', ...sets], {
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    expectSameOutputs(out, whole, ['fills.parquet']);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { groups: Record<string, unknown> };
    expect(Object.keys(summary.groups)).toEqual(['ticks.0', 'ticks.1', 'features', 'trading']);
  });
});
