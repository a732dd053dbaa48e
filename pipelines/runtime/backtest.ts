/**
 * Runs a topology as a backtest: replays the data folder through the graph in ts_known order on an
 * event clock, then writes summary.json, dead_letters.jsonl, the resolved topology, the taps and
 * whatever the topology's sinks write.
 */
import { mkdirSync } from 'node:fs';
import { writeOwnFile } from '../../lib/io/own-file.ts';
import { join, resolve } from 'node:path';
import type { Logger } from '../../operators/sdk/context.ts';
import type { AnySpec } from '../../operators/sdk/spec.ts';
import { DeadLetterLog } from './dead-letter-log.ts';
import { registry } from '../../operators/index.ts';
import { dataHash } from '../data/data-hash.ts';
import { manifestWindow, readManifest } from '../data/manifest.ts';
import { openDataset } from '../io/dataset.ts';
import { DEFAULT_RUN_LAKE, openLakeDataset } from '../io/lake-dataset.ts';
import { DataError } from '../../lib/core/errors.ts';
import { checkDataFile } from '../../lib/io/data-file.ts';
import { openOutput, runInputs } from '../io/output-folder.ts';
import { loadTopology, type TopologyMode } from '../topology/load.ts';
import { TopologyError } from '../topology/problems.ts';
import { validateTopology } from '../topology/validate.ts';
import type { Topology } from '../topology/model.ts';
import { processName } from '../topology/groups.ts';
import { EventClock } from './event-clock.ts';
import { buildGraph } from './graph.ts';
import { driveGraph } from './drive.ts';
import { prepareNodes } from './prepare.ts';
import { EDGE_DEAD_LETTERS, type EdgeFactory } from './group/edges.ts';
import { gitCommit, RunObserver, type RunSummary } from './run-report.ts';

export interface BacktestOptions {
  topologyFile: string;
  sets?: readonly string[];
  /** `topologyFile` with `sets`, already resolved (the CLI resolves it first to find its data folder); resolved here when absent. */
  topology?: Topology;
  /** Overrides the topology's `data:` for every replay source. */
  dataDir?: string;
  /** The lake folder that replay sources with `store: lake` read (default data/lake). */
  lakeDir?: string;
  /**
   * Output folder. A run writes into a staging folder beside it and moves it into place when done
   * (pipelines/io/output-folder.ts); a group run (`group`) writes into it directly, since the split
   * runner that started it holds the folder.
   */
  outDir: string;
  /** The flag that gave `outDir`, for messages about it (default `--out`; `alpha model train` runs its features into `--work`). */
  outFlag?: string;
  /** Replace an existing non-empty `outDir` whole (default: refuse it). */
  overwrite?: boolean;
  /** What the run is, written in the lock of `outDir` for the message that refuses another run on it ("alpha backtest"). */
  holder?: string;
  log?: Logger;
  /** Operator types to resolve the topology against (default: the registry). Tests add probes here. */
  registry?: ReadonlyMap<string, AnySpec>;
  /** Replays only the trading days from this date (YYYY-MM-DD, inclusive). */
  from?: string;
  /** Replays only the trading days up to this date (YYYY-MM-DD, inclusive). */
  to?: string;
  /** Called with every batch a node emits, by node name (evaluations read edges this way). */
  observers?: Readonly<Record<string, (batch: readonly unknown[]) => void>>;
  /**
   * Runs one process group of the topology (its nodes and every source), joined to the other groups
   * through `edges`; its summary and dead letters go to OUT/groups/NAME/, its sinks to OUT.
   */
  group?: { name: string; runId: string; edges: EdgeFactory; attempt?: number; replica?: number };
  /** Called about once a second of wall time with the fraction of sessions replayed. */
  onProgress?: (fraction: number, events: number) => void;
  /**
   * Called with the summary and the staging folder once the run has written it, before the folder is
   * moved into place: what it writes there lands with the run or not at all (a failure aborts both).
   */
  beforeCommit?: (summary: BacktestSummary, dir: string) => void;
}

export type BacktestSummary = RunSummary;

const quiet: Logger = { info: () => {}, warn: () => {} };

export function resolveTopology(
  file: string,
  sets: readonly string[] = [],
  specs: ReadonlyMap<string, AnySpec> = registry,
  mode: TopologyMode = 'backtest',
): Topology {
  const loaded = loadTopology(file, sets, undefined, mode);
  const { topology, problems } = validateTopology(loaded, specs);
  if (!topology) throw new TopologyError(problems);
  return topology;
}

export async function runBacktest(options: BacktestOptions): Promise<BacktestSummary> {
  const log = options.log ?? quiet;
  const topology = options.topology ?? resolveTopology(options.topologyFile, options.sets, options.registry);
  const dataDir = options.dataDir ?? topology.data;
  if (!dataDir)
    throw new TopologyError([
      { file: options.topologyFile, line: 1, col: 1, message: 'no data folder', hint: 'pass --data DIR or set "data:" in the topology' },
    ]);
  const manifest = manifestWindow(dataDir, readManifest(dataDir), options.from, options.to);
  // A group writes OUT/groups/NAME/ itself (runInto creates it once the group is checked).
  if (options.group) return runInto(options, topology, dataDir, manifest, resolve(options.outDir), log);
  const output = openOutput(options.outDir, {
    overwrite: options.overwrite ?? false,
    ...(options.outFlag ? { flag: options.outFlag } : {}),
    ...(options.holder ? { holder: options.holder } : {}),
    inputs: runInputs(options.topologyFile, dataDir, topology, options.lakeDir ?? DEFAULT_RUN_LAKE),
  });
  let summary: BacktestSummary;
  try {
    summary = await runInto(options, topology, dataDir, manifest, output.dir, log);
    options.beforeCommit?.(summary, output.dir);
  } catch (err) {
    throw output.abort(err);
  }
  output.commit();
  return summary;
}

/** Runs the graph and writes its results into `outDir`. */
async function runInto(
  options: BacktestOptions,
  topology: Topology,
  dataDir: string,
  manifest: ReturnType<typeof manifestWindow>,
  outDir: string,
  log: Logger,
): Promise<BacktestSummary> {
  const deadLetters = new DeadLetterLog();
  /** sha256 of each data file, taken as the replay reads it, so the data hash costs no second read. */
  const fileHashes = new Map<string, string>();
  /** What was read from the lake: dataset → table version, as-of and partitions (part of the data hash). */
  const lakeReads = new Map<string, string>();
  const sessions = manifest.sessions.map(({ open, close }) => ({ open, close }));
  const group = options.group ? findGroup(topology, options.group.name) : undefined;
  if (options.group) (await import('./group/connect.ts')).refuseGroupCycle(topology, `alpha run --group ${options.group.name}`);
  const members = group ? new Set(group.nodes) : undefined;
  const replicas = group?.replicas ?? 1;
  const replica = options.group?.replica ?? 0;
  if (!Number.isInteger(replica) || replica < 0 || replica >= replicas) {
    throw new TopologyError([
      {
        file: topology.file,
        line: 1,
        col: 1,
        message: `replica ${replica} of group "${options.group?.name}"`,
        hint: `0 … ${replicas - 1} (the group has replicas: ${replicas})`,
      },
    ]);
  }
  const metaDir = options.group ? join(outDir, 'groups', processName(options.group.name, replica, replicas)) : outDir;
  mkdirSync(metaDir, { recursive: true });
  const prepared = await prepareNodes(topology, sessions, members);
  const clock = new EventClock(sessions[0]?.open ?? 0);
  const graph = buildGraph(
    topology,
    clock,
    {
      prepared,
      calendar: { sessions },
      universe: manifest.universe,
      outDir,
      log,
      onDeadLetter: (d) => deadLetters.add(d),
      openDataset: (name, schema, from) =>
        from?.store === 'lake'
          ? openLakeDataset(options.lakeDir ?? DEFAULT_RUN_LAKE, manifest, name, schema, from, (dataset, read) =>
              lakeReads.set(
                dataset,
                JSON.stringify({ version: read.version, as_of: from.asOf ?? null, dates: [read.dates[0], read.dates.at(-1)] }),
              ),
            )
          : openDataset(dataDir, manifest, name, schema, (file, hash) => fileHashes.set(file, hash)),
      dataFile: (file) => {
        const problem = checkDataFile(dataDir, file);
        // Named as given (not normalised), so the message shows what the topology asked for.
        if (problem) throw new DataError(`${dataDir}/${file}`, problem);
        return join(dataDir, file);
      },
    },
    members,
  );
  // A replica of a per-symbol group replays only its share of the symbols.
  if (replicas > 1) {
    const { symbolShare } = await import('./group/symbol-share.ts');
    for (const source of graph.sources) source.reader = symbolShare(source.reader, replica, replicas);
  }
  // The group modules load only for a group run (`alpha run`), not for every backtest.
  const connection = options.group
    ? await (await import('./group/connect.ts')).connectGroup({
        topology,
        group: options.group.name,
        runId: options.group.runId,
        attempt: options.group.attempt ?? 0,
        replica,
        outputs: graph.outputs,
        clock,
        edges: options.group.edges,
      })
    : undefined;

  // Observe the results the summary needs, and the taps, without changing the graph.
  const observed = new RunObserver(topology, graph, outDir, options.observers);

  // Asked now, answered while the graph runs (a child process started at the end cost ~25 ms of wall time).
  const commit = gitCommit();
  const started = process.hrtime.bigint();
  let events: number;
  try {
    events = await driveGraph(graph, clock, sessions, options.onProgress, connection?.hooks);
  } finally {
    observed.close();
    await connection?.close();
  }
  const wall = Number(process.hrtime.bigint() - started) / 1e9;

  const observedSummary = observed.finish(metaDir, {
    events,
    wall,
    deadLetters,
    sessions,
    commit: await commit,
    dataSha256: dataHash(dataDir, manifest, fileHashes, lakeReads),
    dataSha256Of: lakeReads.size > 0 ? 'folder+lake' : 'folder',
  });
  // Records a group edge refused (in its topic's .dlq) are this run's dead letters too: counted apart,
  // a run that had lost every snapshot said "0 dead letters".
  const edgeLetters = connection?.deadLettered() ?? 0;
  const summary: BacktestSummary =
    edgeLetters === 0
      ? observedSummary
      : {
          ...observedSummary,
          dead_letters: observedSummary.dead_letters + edgeLetters,
          dead_letter_reasons: { ...observedSummary.dead_letter_reasons, [EDGE_DEAD_LETTERS]: edgeLetters },
        };
  const written = connection
    ? {
        ...summary,
        edges_in: { records: connection.received(), duplicates_dropped: connection.duplicates(), dead_lettered: edgeLetters },
      }
    : summary;
  writeOwnFile(join(metaDir, 'summary.json'), `${JSON.stringify(written, null, 2)}\n`);
  return summary;
}

/** A group of the topology, or a clear error when it has no such group. */
function findGroup(topology: Topology, name: string): Topology['groups'][number] {
  const g = topology.groups.find((x) => x.name === name);
  if (!g)
    throw new TopologyError([
      {
        file: topology.file,
        line: 1,
        col: 1,
        message: `no group "${name}"`,
        hint: `groups: ${topology.groups.map((x) => x.name).join(', ') || 'none (add "groups:")'}`,
      },
    ]);
  return g;
}
