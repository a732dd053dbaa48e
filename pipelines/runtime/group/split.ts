/**
 * `alpha backtest FILE --split`: every process group of the topology in its own OS process
 * (`alpha run FILE --group NAME`), joined by Kafka topics private to this run. The groups' sinks
 * write into one output folder; the launcher then merges their summaries and dead letters.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AlphaError } from '../../../lib/core/errors.ts';
import { TopicAdmin } from '../../../lib/io/kafka/admin.ts';
import { kafkaGiveUpMs, kafkaSettings } from '../../../lib/io/kafka/settings.ts';
import type { BacktestSummary } from '../backtest.ts';
import { resolveTopology } from '../backtest.ts';
import { openOutput, runInputs } from '../../io/output-folder.ts';
import { DEFAULT_RUN_LAKE } from '../../io/lake-dataset.ts';
import { processName } from '../../topology/groups.ts';
import { groupEdges, refuseGroupCycle, runTopic } from './connect.ts';
import { EXIT_CANNOT_WRITE, failsEveryAttempt, groupFailure, processEnd } from './exit-code.ts';

const ALPHA = resolve(import.meta.dirname, '../../../bin/alpha.mjs');

export interface SplitOptions {
  topologyFile: string;
  sets?: readonly string[];
  /** `topologyFile` with `sets`, already resolved (the CLI resolves it first); resolved here when absent. */
  topology?: ReturnType<typeof resolveTopology>;
  dataDir?: string;
  /** The lake folder of replay sources with `store: lake` (passed to every group). */
  lakeDir?: string;
  /** Output folder: the launcher holds its lock and staging folder, which its groups write into. */
  outDir: string;
  /** Replace an existing non-empty `outDir` whole (default: refuse it). */
  overwrite?: boolean;
  from?: string;
  to?: string;
  /** Lines each group process writes to stderr, prefixed with its name. */
  onLine?: (group: string, line: string) => void;
  /** Times a group process that dies is started again (default 3). */
  restarts?: number;
}

const DEFAULT_RESTARTS = 3;

/** Polls the broker once a second until it accepts a connection or `ms` have passed. */
async function brokerAnswers(ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await (await TopicAdmin.connect(kafkaSettings())).close();
      return true;
    } catch {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/**
 * Runs a group's process, and starts it again when it dies (a signal or a non-zero exit other than
 * one that says every attempt would fail alike: its input refused, its disk full), up to `restarts` times: the new process replays the run from the start with fresh consumer groups, and
 * what it sends again is recognised downstream by its step keys and dropped.
 */
function supervise(
  group: string,
  start: (attempt: number) => ChildProcess,
  restarts: number,
  onLine?: (group: string, line: string) => void,
) {
  const tail: string[] = [];
  /** Every line of every attempt, written to the failed run's folder when the run fails. */
  const log: string[] = [];
  let child: ChildProcess;
  let stopped = false;
  /** How the last attempt's process ended ("exited with 1", "killed by SIGKILL (exit 137)"). */
  let how = '';
  const done = (async (): Promise<number> => {
    for (let attempt = 0; ; attempt++) {
      child = start(attempt);
      let partial = '';
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop()!;
        for (const line of lines) {
          tail.push(line);
          log.push(attempt > 0 ? `[attempt ${attempt + 1}] ${line}` : line);
          if (tail.length > 20) tail.shift();
          onLine?.(group, line);
        }
      });
      const end = await new Promise<{ code: number; how: string }>((resolve) =>
        child.on('close', (c, signal) => resolve(processEnd(c, signal))),
      );
      const code = end.code;
      how = end.how;
      if (code === 0 || failsEveryAttempt(code) || stopped || attempt >= restarts) return code;
      onLine?.(group, `process ${how}: starting it again once the broker answers (attempt ${attempt + 2} of ${restarts + 1})`);
      // A restart waits for the broker to come back as long as an edge retried it.
      if (!(await brokerAnswers(kafkaGiveUpMs()))) {
        const why = `the Kafka broker (${kafkaSettings().brokers.join(',')}) did not answer within ${kafkaGiveUpMs() / 1000} s: not started again`;
        tail.push(why);
        log.push(why);
        onLine?.(group, why);
        return code;
      }
      if (stopped) return code; // stopped while it waited for the broker: not started again
    }
  })();
  return {
    group,
    tail,
    log,
    done,
    how: () => how,
    stop: () => {
      stopped = true;
      child.kill('SIGTERM');
    },
  };
}

export async function runSplit(o: SplitOptions): Promise<BacktestSummary & { run_id: string; groups: Record<string, unknown> }> {
  // Resolved once: every 50 ms here is spent before the group processes start.
  const topology = o.topology ?? resolveTopology(o.topologyFile, o.sets);
  if (topology.groups.length === 0) throw new AlphaError(`${o.topologyFile}: no "groups:" to split into (see examples/kafka-split.yaml)`);
  refuseGroupCycle(topology, '--split');
  kafkaGiveUpMs(); // a bad ALPHA_KAFKA_GIVE_UP_SECONDS is refused before any process starts
  // Fail early, with the fix, when there is no broker.
  await (await TopicAdmin.connect(kafkaSettings())).close();

  const output = openOutput(o.outDir, {
    overwrite: o.overwrite ?? false,
    holder: 'alpha backtest',
    inputs: runInputs(o.topologyFile, o.dataDir ?? topology.data, topology, o.lakeDir ?? DEFAULT_RUN_LAKE),
  });
  try {
    // The group processes write into the staging folder: their lines name the files where they will be.
    const onLine = o.onLine && ((group: string, line: string) => o.onLine!(group, output.named(line)));
    const summary = await runGroups({ ...o, ...(onLine ? { onLine } : {}) }, topology, output.dir);
    output.commit();
    return summary;
  } catch (err) {
    throw output.abort(err);
  }
}

/** Starts every group's process writing into `outDir` (the staging folder), waits for them and merges their summaries. */
async function runGroups(
  o: SplitOptions,
  topology: ReturnType<typeof resolveTopology>,
  outDir: string,
): Promise<BacktestSummary & { run_id: string; groups: Record<string, unknown> }> {
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  o.onLine?.(
    'split',
    `run ${runId}: groups ${topology.groups.map((g) => g.name).join(', ')}; topics ${topology.groups
      .flatMap((g) => groupEdges(topology, g.name).published)
      .map((n) => runTopic(topology, n, runId))
      .join(', ')}`,
  );
  const common = [
    '--run-id',
    runId,
    '--out',
    outDir,
    '--quiet',
    ...(o.dataDir ? ['--data', o.dataDir] : []),
    ...(o.lakeDir ? ['--lake', o.lakeDir] : []),
    ...(o.from ? ['--from', o.from] : []),
    ...(o.to ? ['--to', o.to] : []),
    ...(o.sets ?? []).flatMap((s) => ['--set', s]),
  ];
  // One process per group, or per replica of a replicated group (named GROUP.i).
  const processes = topology.groups.flatMap((g) =>
    Array.from({ length: g.replicas }, (_, i) => ({
      group: g.name,
      replica: i,
      name: processName(g.name, i, g.replicas),
    })),
  );
  const children = processes.map((p) =>
    supervise(
      p.name,
      (attempt) =>
        spawn(
          process.execPath,
          [ALPHA, 'run', o.topologyFile, '--group', p.group, '--replica', String(p.replica), '--attempt', String(attempt), ...common],
          { stdio: ['ignore', 'ignore', 'pipe'] },
        ),
      o.restarts ?? DEFAULT_RESTARTS,
      o.onLine,
    ),
  );
  /** The process that failed first: the others may then fail because they were stopped. */
  let failed = -1;
  // Interrupted, the launcher stops its group processes (they would run on, orphaned, into the staging folder).
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted ??= signal;
    for (const c of children) c.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let codes: number[];
  try {
    codes = await Promise.all(
      children.map(async (c, i) => {
        const code = await c.done;
        // A group that failed for good leaves the others waiting for its records: stop them.
        if (code !== 0 && failed < 0 && interrupted === undefined) {
          failed = i;
          for (const other of children) if (other !== c) other.stop();
        }
        return code;
      }),
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (interrupted !== undefined) {
    // 128 + the signal's number, as a shell reports a process the signal ended.
    process.exitCode = interrupted === 'SIGTERM' ? 143 : 130;
    throw new AlphaError(`${interrupted}: the group processes were stopped; the run is incomplete`);
  }
  if (failed >= 0) {
    const first = children[failed]!;
    const code = codes[failed]!;
    // The logs are kept with the failed run's output; on a full disk they cannot be, and the group's
    // failure is the error to report, not the write of its logs.
    try {
      mkdirSync(join(outDir, 'logs'), { recursive: true });
      for (const [i, c] of children.entries())
        writeFileSync(join(outDir, 'logs', `${processes[i]!.name}.log`), c.log.map((l) => `${l}\n`).join(''));
    } catch {}
    // A group whose disk filled up says so to the output folder, which then gives the space back.
    const full = code === EXIT_CANNOT_WRITE ? { cause: Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }) } : undefined;
    throw new AlphaError(groupFailure(first.group, first.how(), first.tail), full);
  }
  return mergeSummaries(
    outDir,
    processes.map((p) => p.name),
    runId,
  );
}

/** summary.json, dead_letters.jsonl and topology.resolved.yaml of the whole run, from the group processes'. */
function mergeSummaries(
  outDir: string,
  groups: readonly string[],
  runId: string,
): BacktestSummary & { run_id: string; groups: Record<string, unknown> } {
  const parts = groups.map((g) => ({
    g,
    s: JSON.parse(readFileSync(join(outDir, 'groups', g, 'summary.json'), 'utf8')) as BacktestSummary,
  }));
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
    dead_letters_written: parts.reduce((n, p) => n + p.s.dead_letters_written, 0),
    dead_letter_reasons: reasons,
    peak_rss_mb: Math.max(...parts.map((p) => p.s.peak_rss_mb)),
    nodes: sumMetrics(parts.map((p) => p.s.nodes)),
    run_id: runId,
    groups: Object.fromEntries(
      parts.map(({ g, s }) => [
        g,
        { wall_seconds: s.wall_seconds, events: s.events, dead_letters: s.dead_letters, peak_rss_mb: s.peak_rss_mb },
      ]),
    ),
  };
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(
    join(outDir, 'dead_letters.jsonl'),
    groups.map((g) => readFileSync(join(outDir, 'groups', g, 'dead_letters.jsonl'), 'utf8')).join(''),
  );
  const resolved = join(outDir, 'groups', groups[0]!, 'topology.resolved.yaml');
  if (existsSync(resolved)) copyFileSync(resolved, join(outDir, 'topology.resolved.yaml'));
  return summary;
}

/** Node metrics of several processes: a replicated group's replicas add up. */
function sumMetrics(all: readonly BacktestSummary['nodes'][]): BacktestSummary['nodes'] {
  const out: BacktestSummary['nodes'] = {};
  for (const nodes of all) {
    for (const [node, metrics] of Object.entries(nodes)) {
      const into = (out[node] ??= {});
      for (const [k, v] of Object.entries(metrics)) into[k] = (into[k] ?? 0) + v;
    }
  }
  return out;
}
