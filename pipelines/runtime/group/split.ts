/**
 * `alpha backtest FILE --split`: every process group of the topology in its own OS process
 * (`alpha run FILE --group NAME`), joined by Kafka topics private to this run. The groups' sinks
 * write into one output folder; the launcher then merges their summaries and dead letters.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AlphaError } from '../../errors.ts';
import { TopicAdmin } from '../../kafka/admin.ts';
import { kafkaSettings } from '../../kafka/settings.ts';
import type { BacktestSummary } from '../backtest.ts';
import { resolveTopology } from '../backtest.ts';

const ALPHA = resolve(import.meta.dirname, '../../../bin/alpha.mjs');

export interface SplitOptions {
  topologyFile: string;
  sets?: readonly string[];
  dataDir?: string;
  outDir: string;
  from?: string;
  to?: string;
  /** Lines each group process writes to stderr, prefixed with its name. */
  onLine?: (group: string, line: string) => void;
}

export async function runSplit(o: SplitOptions): Promise<BacktestSummary & { run_id: string; groups: Record<string, unknown> }> {
  const topology = resolveTopology(o.topologyFile, o.sets);
  if (topology.groups.length === 0) throw new AlphaError(`${o.topologyFile}: no "groups:" to split into (see examples/kafka-split.yaml)`);
  const replicated = topology.groups.find((g) => g.replicas > 1);
  if (replicated) throw new AlphaError(`group "${replicated.name}" has ${replicated.replicas} replicas: --split runs one process per group for now; set replicas: 1`);
  // Fail early, with the fix, when there is no broker.
  await (await TopicAdmin.connect(kafkaSettings())).close();

  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const outDir = resolve(o.outDir);
  const common = [
    '--run-id', runId, '--out', outDir, '--quiet',
    ...(o.dataDir ? ['--data', o.dataDir] : []), ...(o.from ? ['--from', o.from] : []), ...(o.to ? ['--to', o.to] : []),
    ...(o.sets ?? []).flatMap((s) => ['--set', s]),
  ];
  const children = topology.groups.map((g) => {
    const child = spawn(process.execPath, [ALPHA, 'run', o.topologyFile, '--group', g.name, ...common], { stdio: ['ignore', 'ignore', 'pipe'] });
    const tail: string[] = [];
    let partial = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        o.onLine?.(g.name, line);
      }
    });
    const exit = new Promise<number>((done) => child.on('close', (code, signal) => done(code ?? (signal ? 128 : 1))));
    return { group: g.name, child, tail, exit };
  });
  const codes = await Promise.all(children.map(async (c) => {
    const code = await c.exit;
    // One group failing leaves the others waiting for its records: stop them.
    if (code !== 0) for (const other of children) if (other !== c) other.child.kill('SIGTERM');
    return code;
  }));
  const failed = children.find((c, i) => codes[i] !== 0 && !c.tail.some((l) => /SIGTERM/.test(l)));
  if (codes.some((c) => c !== 0)) {
    const first = failed ?? children[codes.findIndex((c) => c !== 0)]!;
    throw new AlphaError(`group "${first.group}" failed (exit ${codes[children.indexOf(first)]}):\n${first.tail.join('\n')}`);
  }
  return mergeSummaries(outDir, topology.groups.map((g) => g.name), runId);
}

/** summary.json, dead_letters.jsonl and topology.resolved.yaml of the whole run, from the groups'. */
function mergeSummaries(outDir: string, groups: readonly string[], runId: string): BacktestSummary & { run_id: string; groups: Record<string, unknown> } {
  const parts = groups.map((g) => ({ g, s: JSON.parse(readFileSync(join(outDir, 'groups', g, 'summary.json'), 'utf8')) as BacktestSummary }));
  // The group that keeps the books reports the performance; every group replays the same events.
  const books = parts.find((p) => p.s.days > 0) ?? parts[0]!;
  const reasons: Record<string, number> = {};
  for (const { s } of parts) for (const [k, v] of Object.entries(s.dead_letter_reasons)) reasons[k] = (reasons[k] ?? 0) + v;
  const summary = {
    ...books.s,
    fills: parts.reduce((n, p) => n + p.s.fills, 0),
    orders: parts.reduce((n, p) => n + p.s.orders, 0),
    wall_seconds: Math.max(...parts.map((p) => p.s.wall_seconds)),
    dead_letters: parts.reduce((n, p) => n + p.s.dead_letters, 0),
    dead_letter_reasons: reasons,
    peak_rss_mb: Math.max(...parts.map((p) => p.s.peak_rss_mb)),
    nodes: Object.assign({}, ...parts.map((p) => p.s.nodes)) as BacktestSummary['nodes'],
    run_id: runId,
    groups: Object.fromEntries(parts.map(({ g, s }) => [g, { wall_seconds: s.wall_seconds, events: s.events, dead_letters: s.dead_letters, peak_rss_mb: s.peak_rss_mb }])),
  };
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(outDir, 'dead_letters.jsonl'), groups.map((g) => readFileSync(join(outDir, 'groups', g, 'dead_letters.jsonl'), 'utf8')).join(''));
  const resolved = join(outDir, 'groups', groups[0]!, 'topology.resolved.yaml');
  if (existsSync(resolved)) copyFileSync(resolved, join(outDir, 'topology.resolved.yaml'));
  return summary;
}
