/**
 * `alpha live FILE`: runs a topology's live graph (its `live:` replacements applied) on the wall clock
 * until its sources end, `seconds` pass, or the signal aborts (SIGINT/SIGTERM: the sources stop, the
 * graph's `stop` step cancels the working orders, the order entry nodes await their last answers, the
 * sinks flush). Every arrival is captured in
 * OUT/capture.alog as it is delivered; `alpha backtest FILE --capture OUT/capture.alog` replays it to
 * the same orders. Writes into OUT directly (not a staging folder), so a killed run leaves its capture
 * where the replay looks for it; the summary is written last.
 */
import type { Redis } from 'ioredis';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AlphaError } from '../../lib/core/errors.ts';
import { isoMicros } from '../../lib/core/instant.ts';
import type { Micros } from '../../lib/core/time.ts';
import type { Logger, Session, UniverseMember } from '../../operators/sdk/context.ts';
import type { AnySpec } from '../../operators/sdk/spec.ts';
import { registry } from '../../operators/index.ts';
import { DeadLetterLog } from './dead-letter-log.ts';
import { readManifest } from '../data/manifest.ts';
import { type Capture, CAPTURE_FILE, type CaptureHeader, CaptureWriter, readCapture } from '../io/capture-log.ts';
import { holdOutput, openOutput, ownFolder, refuseInputs, runInputs } from '../io/output-folder.ts';
import { writeFileAtomically } from '../io/write-file.ts';
import type { Topology } from '../topology/model.ts';
import { resolveTopology } from './backtest.ts';
import { capturedNodes, driveCapture, externalPorts, replayClock, replayTopology } from './drive-capture.ts';
import { driveLive, ExternalInputs, LiveCommands, type LiveRun } from './drive-live.ts';
import { checkResumable } from './resume.ts';
import type { LiveMetrics } from './live-metrics.ts';
import type { ListenAddress, MetricsEndpoint } from './metrics-server.ts';
import { FeedStats } from './feed-stats.ts';
import { liveRunIn, watchControl } from './live-control.ts';
import { attachHotTier, connectHotTier } from './live-hot-tier.ts';
import { abandonGraph, type BuiltGraph, buildGraph, DecisionGate } from './graph.ts';
import { openWarmSources, planWarmUp, type WarmUpPlan } from './warm-start.ts';
import {
  capturedGroupNodes,
  ensureGroupTopics,
  type GroupPlan,
  type LiveGroup,
  openGroupInputs,
  openGroupOutputs,
  planGroup,
  replayGroupInputs,
} from './live-group.ts';
import type { RunServices } from './node-context.ts';
import { type KafkaSettings, kafkaSettings } from '../../lib/io/kafka/settings.ts';
import type { KillMode } from '../../lib/portfolio/kill-switch.ts';
import { prepareNodes } from './prepare.ts';
import { gitCommit, killSwitchMode, RunObserver, type RunSummary, sha256, topologySha256 } from './run-report.ts';
import { scaledTime, systemTime, type TimeSource, WallClock } from './wall-clock.ts';
import { newYorkDate, regularSession } from '../../lib/core/exchange-time.ts';

export interface LiveOptions {
  topologyFile: string;
  sets?: readonly string[];
  /** Operator types to resolve the topology against (default: the registry). */
  registry?: ReadonlyMap<string, AnySpec>;
  /** The instruments: the universe of this dataset's manifest (default: the topology's data folder, if any). */
  dataDir?: string;
  outDir: string;
  /** Replace an existing non-empty `outDir` (default: refuse it). */
  overwrite?: boolean;
  /** Wall seconds after which the run stops, from the open with an `openAt` still to come (default: until the sources end or the signal). */
  seconds?: number;
  /**
   * A trading day to run through (YYYY-MM-DD): the run's clock starts at its open and runs `speed`
   * times faster than the wall (the venue plays that day at the same speed). Without it the clock is
   * the wall clock, and the session is today's (New York) regular session.
   */
  date?: string;
  speed?: number;
  /**
   * With `date`: the wall time (µs since the epoch) at which the run's clock reads the day's open,
   * shared with the venue (`alpha venue start --open-at`) and the other runs; default: the start.
   */
  openAt?: Micros;
  signal?: AbortSignal;
  log?: Logger;
  /** Status line every `statusSeconds` of wall time (default 5; 0: none). */
  onStatus?: (line: string) => void;
  statusSeconds?: number;
  /** Wall time (tests run in virtual time). */
  time?: TimeSource;
  /** Also write what arrives, and the portfolio's latest state, to the Redis hot tier (live-hot-tier.ts). */
  hot?: { url: string; retentionHours: number };
  /** Warm start: first replay this many trading days of the data folder before the session (warm-start.ts). */
  warm?: number;
  /** Run one process group of the topology, joined to the others by Kafka (live-group.ts). */
  group?: LiveGroup;
  /** The Kafka of a group run (default: the local services'). */
  kafka?: KafkaSettings;
  /** Resume the run whose process died writing `outDir`: its capture is taken again, then the run goes on (resume.ts). */
  resume?: boolean;
  /** Serve the run's metrics for Prometheus at http://HOST:PORT/metrics (live-metrics.ts); port 0: any free one. */
  metrics?: ListenAddress;
  /** Told the endpoint's URL once it listens (before the run starts). */
  onMetrics?: (url: string) => void;
}

export interface LiveSummary extends RunSummary {
  mode: 'live';
  /** Seconds from the first source batch read to the last (the span the feeds delivered over). */
  feed_seconds: number;
  /** How long source batches waited between their receipt and their step, in ms (system clock). */
  lag_ms: { p50: number; p99: number; max: number };
  /** What looked wrong (a source that delivered nothing: a feed that never answered). */
  warnings: string[];
  /** Stream entries written to the hot tier (with --hot). */
  hot_entries?: number;
  /** Arrivals written to the capture. */
  captured: number;
  capture: string;
  /** With a warm start: the days replayed, their records, and the decisions held back meanwhile. */
  warm_up?: { dates: string[]; events: number; held_decisions: number };
  /** A group run: the group, its run id, the edges it read from and wrote to Kafka. */
  group?: { name: string; run_id: string; replica?: number; replicas?: number; read: string[]; published: string[] };
  /** A resumed run: the dead run's arrivals taken again, and the live records dropped as already captured. */
  resumed?: { arrivals: number; duplicates: number };
  /** With --metrics: where the run's metrics were served. */
  metrics?: string;
}

const quiet: Logger = { info: () => {}, warn: () => {} };

export async function runLiveSession(options: LiveOptions): Promise<LiveSummary> {
  const log = options.log ?? quiet;
  if (options.resume && options.overwrite)
    throw new AlphaError('--resume with --overwrite: a resume continues the run in --out; give one of them');
  if (options.resume && options.warm !== undefined)
    throw new AlphaError('--resume with --warm: the capture being resumed holds its own warm-up already');
  // Held as a backtest holds its --out (.NAME.lock beside it, naming this process): another live run,
  // backtest or sweep is refused it, --overwrite or not; a resume takes over the lock of the run that died.
  // What the run reads is known first: an --out that is (or holds) the data folder is refused before
  // a lock is made beside it, which would change the folder around the data.
  const topology = resolveTopology(options.topologyFile, options.sets, options.registry ?? registry, 'live');
  const held = holdOutput(options.outDir, {
    holder: 'alpha live',
    inputs: runInputs(options.topologyFile, options.dataDir ?? topology.data, topology),
    note: (line) => log.warn(`alpha: ${line}`),
  });
  try {
    return await runHeld(options, log, topology);
  } finally {
    held.release();
  }
}

async function runHeld(options: LiveOptions, log: Logger, topology: Topology): Promise<LiveSummary> {
  // Refused before anything else is read.
  const dead = options.resume ? deadRun(options) : undefined;
  if (!dead) checkLiveFolder(options.outDir, options.overwrite ?? false);
  if (dead) return resumeSession(options, log, topology, dead);
  // A group that is not there, or a replica it does not have, is refused before anything is read.
  const group = options.group ? planGroup(topology, options.group.name, undefined, options.group.replica) : undefined;
  const dataDir = options.dataDir ?? topology.data;
  // Before --overwrite empties --out: it may not be the data folder or hold the topology.
  refuseInputs(options.outDir, runInputs(options.topologyFile, dataDir, topology), `--out ${options.outDir}`);
  // Read once: the universe and, for a warm start, the days before the session.
  const manifest = dataDir ? readManifest(dataDir) : undefined;
  const universe: UniverseMember[] = manifest?.universe.map((u) => ({ symbol: u.symbol, sector: u.sector })) ?? [];
  const base = options.time ?? systemTime;
  const date = options.date ?? newYorkDate(base.now());
  const liveSession = regularSession(date);
  const warm = options.warm !== undefined ? planWarmUp(dataDir, manifest, date, options.warm) : undefined;
  const sessions: Session[] = [...(warm?.sessions ?? []), liveSession];
  const time = options.date ? scaledTime(options.speed ?? 1, liveSession.open, base, options.openAt ?? base.now()) : base;
  if (options.openAt !== undefined && time.now() >= liveSession.close)
    throw new AlphaError(
      `--open-at ${isoMicros(options.openAt)}: at --speed ${options.speed ?? 1} the session of ${date} would be over before the run starts (it reads ${isoMicros(time.now())}, past its close); expected a later --open-at, or none for the open at the start`,
    );
  return withEndpoints(options, (metrics, redis) =>
    runSession(options, log, topology, { group, universe, sessions, time, warm, metrics }, redis),
  );
}

/**
 * Runs `run` with the run's metrics endpoint and hot tier open, and closes both after it: a port in
 * use or a Redis that is not there stops the run before the venue is connected or the folder touched.
 */
async function withEndpoints(
  options: LiveOptions,
  run: (metrics: LiveMetricsServer | undefined, redis: Redis | undefined) => Promise<LiveSummary>,
): Promise<LiveSummary> {
  const metrics = await openMetrics(options);
  try {
    const redis = options.hot ? await connectHotTier(options.hot) : undefined;
    try {
      return await run(metrics, redis);
    } finally {
      redis?.disconnect(); // also when the run failed before the hot tier took it (its close is idempotent)
    }
  } finally {
    await metrics?.endpoint.close(); // after summary.json: a last scrape sees what it says
  }
}

/** The metrics endpoint of `--metrics`, listening (its families read the run once it is built). */
async function openMetrics(options: LiveOptions): Promise<LiveMetricsServer | undefined> {
  if (!options.metrics) return undefined;
  const [{ LiveMetrics }, { serveMetrics }] = await Promise.all([import('./live-metrics.ts'), import('./metrics-server.ts')]);
  const live = new LiveMetrics();
  const endpoint = await serveMetrics(options.metrics, () => live.metrics(), live.registry.contentType);
  options.onMetrics?.(endpoint.url);
  return { live, endpoint };
}

interface LiveMetricsServer {
  live: LiveMetrics;
  endpoint: MetricsEndpoint;
}

/** A resumed run: the dead run's instruments, sessions and clock, its capture taken again first. */
async function resumeSession(options: LiveOptions, log: Logger, topology: Topology, dead: Capture): Promise<LiveSummary> {
  const file = join(options.outDir, CAPTURE_FILE);
  const { group } = dead.header;
  if (group !== options.group?.name)
    throw new AlphaError(
      group === undefined
        ? `--resume --group ${options.group!.name}: ${file} is the capture of a one-process run: resume it without --group`
        : `--resume: ${file} is the capture of group "${group}": resume it with --group ${group}${options.group ? ` (not ${options.group.name})` : ''}`,
    );
  if (options.group && dead.header.run_id !== options.group.runId)
    throw new AlphaError(
      `--resume --run-id ${options.group.runId}: the run of ${file} had --run-id ${dead.header.run_id ?? '(none)'}: give the same`,
    );
  const replica = options.group?.replica;
  if (options.group && dead.header.replica?.index !== replica)
    throw new AlphaError(
      `--resume${replica === undefined ? ' without --replica' : ` --replica ${replica}`}: the run of ${file} was ${dead.header.replica ? `replica ${dead.header.replica.index} of group "${group}"` : `group "${group}" without replicas`}: give the same --replica`,
    );
  // Refused when another topology made it.
  if (options.group) checkReplicaCount(topology, dead.header, file);
  const plan = options.group ? planGroup(topology, options.group.name, undefined, replica) : undefined;
  if (plan) replayTopology(plan.topology, dead.header.nodes, file, capturedGroupNodes(plan));
  else replayTopology(topology, dead.header.nodes, file);
  // Said, not refused: a --set of the venue's port, or a map's keys in another order, change the hash
  // and not the graph, and an upgrade of alpha that adds a param's default changes every run's.
  // Also in summary.json's warnings: the capture's header keeps the hash of the topology it began with.
  const [ran, now] = [dead.header.topology_sha256, topologySha256(topology)];
  const changed =
    ran !== undefined && ran !== now
      ? `--resume: the run of ${file} ran another topology than ${options.topologyFile} resolves to now (sha256 ${ran.slice(0, 12)}… then, ${now.slice(0, 12)}… now: a node, a param or a --set differs, or an upgrade of alpha changed a default): unless only addresses or credentials changed, the graph rebuilt from its capture is not the one that traded, and what it decides from here can differ`
      : undefined;
  if (changed) log.warn(changed);
  const { universe, sessions, time: was } = dead.header;
  const base = options.time ?? systemTime;
  if ((was === undefined) !== (options.date === undefined))
    throw new AlphaError(
      was
        ? `--resume: the run of ${file} ran a trading day at ${was.speed}×: give its --date and --speed again`
        : `--resume: the run of ${file} ran on the wall clock: resume it without --date`,
    );
  if (was && (options.speed ?? 1) !== was.speed)
    throw new AlphaError(
      `--resume --speed ${options.speed ?? 1}: the run of ${file} ran at ${was.speed}× (the venue's speed): give --speed ${was.speed}`,
    );
  if (options.openAt !== undefined && options.openAt !== was?.system)
    throw new AlphaError(
      `--resume --open-at: the run of ${file} keeps its clock${was ? ` (its open at ${isoMicros(was.system)})` : ''}: leave --open-at out`,
    );
  const time = was ? scaledTime(was.speed, was.origin, base, was.system) : base;
  if (dead.tornBytes > 0)
    log.warn(
      dead.tornZeros
        ? `${file}: the last ${dead.tornBytes} bytes were zeros after the last whole arrival (space a power loss left unwritten): cut off`
        : `${file}: the last ${dead.tornBytes} bytes were a torn arrival (the run died writing it): cut off`,
    );
  return withEndpoints(options, (metrics, redis) =>
    runSession(
      options,
      log,
      topology,
      { group: plan, universe, sessions, time, warm: undefined, dead, metrics, warnings: changed ? [changed] : [] },
      redis,
    ),
  );
}

/** How far runSessionSteps got: the graph once built, and whether the driver took it (and with it, its end). */
interface SessionStage {
  graph?: BuiltGraph;
  driven?: boolean;
}
type SessionArgs = Parameters<typeof runSessionSteps> extends [SessionStage, ...infer Rest] ? Rest : never;

/**
 * A live session (runSessionSteps). A failure after the graph was built and before the driver took
 * it (a Kafka topic, the hot tier or the capture file that cannot be opened) closes its sources and
 * lets go of what its nodes hold, as the driver does for a failure of its own: an OUCH session
 * already logged in logs out.
 */
async function runSession(...args: SessionArgs): Promise<LiveSummary> {
  const stage: SessionStage = {};
  try {
    return await runSessionSteps(stage, ...args);
  } catch (err) {
    if (stage.graph && !stage.driven) {
      await abandonGraph(stage.graph);
    }
    throw err;
  }
}

async function runSessionSteps(
  stage: SessionStage,
  options: LiveOptions,
  log: Logger,
  topology: Topology,
  {
    group,
    universe,
    sessions,
    time,
    warm,
    dead,
    metrics,
    warnings: before = [],
  }: {
    /** The group this process runs (planGroup), for `--group`. */
    group: GroupPlan | undefined;
    universe: readonly UniverseMember[];
    sessions: Session[];
    time: TimeSource;
    warm: WarmUpPlan | undefined;
    dead?: Capture;
    metrics: LiveMetricsServer | undefined;
    /** Said before the run: kept in summary.json's warnings. */
    warnings?: readonly string[];
  },
  redis: Redis | undefined,
): Promise<LiveSummary> {
  const outDir = dead ? options.outDir : liveFolder(options.outDir, options.overwrite ?? false);
  const deadLetters = new DeadLetterLog();
  const externals = new ExternalInputs();
  // Set from the start: nodes are created before the driver takes the dead run's capture again.
  const recovery = { active: dead !== undefined };
  const built = group?.topology ?? topology;
  const prepared = await prepareNodes(built, sessions, group?.members);
  // A warm start runs the clock from the first warm session's open, as a backtest of those days would.
  const clock = new WallClock(time, dead ? dead.header.start : warm ? sessions[0]!.open : undefined);
  const calendar = { sessions, live: sessions.at(-1)! };
  const services: RunServices = {
    prepared,
    calendar,
    universe,
    outDir,
    log,
    onDeadLetter: (d) => deadLetters.add(d),
    openDataset: (name) => {
      throw new AlphaError(
        `the live graph reads dataset "${name}" from a replay source: give it a live replacement under live: in ${topology.file}`,
      );
    },
    external: (node, deliver, mark) => externals.queue(node, deliver, mark),
    ...(dead ? { recovery } : {}),
  };
  // A warm-started run holds its decisions back until its go-live (also when it is resumed).
  const gated = warm !== undefined || dead?.arrivals.some((a) => a.kind === 'command' && a.command === 'go-live');
  const graph = buildGraph(built, clock, services, group?.members, gated ? new DecisionGate() : undefined);
  stage.graph = graph;
  const kafka = group ? (options.kafka ?? kafkaSettings()) : undefined;
  if (group) {
    await ensureGroupTopics(group, options.group!, kafka!);
    graph.sources.push(...openGroupInputs(group, options.group!, graph, clock, services, kafka!));
  }
  // Opened before the first step, so a Kafka that is not there stops the run before it trades.
  const published =
    group && group.published.length + group.mirrored.length > 0
      ? await openGroupOutputs(group, options.group!, graph, kafka!, dead ? recovery : undefined)
      : undefined;
  const warmed = warm
    ? openWarmSources({
        topologyFile: options.topologyFile,
        registry: options.registry ?? registry,
        plan: warm,
        live: graph,
        liveSchemas: new Map(topology.nodes.map((n) => [n.name, n.ports['out'] ?? ''])),
        clock,
        calendar,
        universe,
        outDir,
        log,
        onDeadLetter: (d) => deadLetters.add(d),
        ...(group ? { kafkaInputs: new Set(group.read) } : {}),
      })
    : undefined;
  // A replica of a per-symbol group takes only its share of the symbols, warm-up included.
  const share = group && group.replicas > 1 ? (await import('./group/symbol-share.ts')).symbolShare : undefined;
  if (share) for (const source of graph.sources) source.reader = share(source.reader, group!.replica, group!.replicas);
  const warmSources = share
    ? warmed?.map((source) => ({ ...source, reader: share(source.reader, group!.replica, group!.replicas) }))
    : warmed;
  const observed = new RunObserver(topology, graph, outDir);
  const nodes = group ? capturedGroupNodes(group) : capturedNodes(topology);
  const hot = redis ? await attachHotTier(redis, topology, graph, nodes, options.hot!) : undefined;
  const capturePath = join(outDir, CAPTURE_FILE);
  const capture = new CaptureWriter(
    capturePath,
    {
      start: clock.now(),
      universe: [...universe],
      sessions,
      nodes,
      ...(options.group ? { group: options.group.name, run_id: options.group.runId } : {}),
      ...(group && group.replicas > 1 ? { replica: { index: group.replica, of: group.replicas } } : {}),
      ...(time.scale ? { time: time.scale } : {}),
      topology_sha256: topologySha256(topology),
    },
    dead,
  );
  const commit = gitCommit();
  const started = process.hrtime.bigint();
  const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  const feed = new FeedStats(graph.sources.map((s) => s.name));
  metrics?.live.attach({
    topology: topology.name,
    ...(options.group ? { group: { name: options.group.name, ...(group && group.replicas > 1 ? { replica: group.replica } : {}) } } : {}),
    graph,
    observed,
    deadLetters,
    feed,
    clock,
    speed: time.scale?.speed ?? 1,
  });
  const commands = new LiveCommands();
  const stopControl = watchControl(
    outDir,
    (reason) => {
      log.warn(`alpha kill: halting (${reason})`);
      try {
        commands.queue('halt', reason);
      } catch (err) {
        log.warn(`alpha kill: ${(err as Error).message}`);
      }
    },
    log.warn,
  );
  const every = options.statusSeconds ?? 5;
  const status =
    options.onStatus && every > 0
      ? setInterval(
          () =>
            options.onStatus!(statusLine(seconds(), feed.events, observed, deadLetters.count, feed.recentLagMs(), killSwitchMode(graph))),
          every * 1000,
        )
      : undefined;
  let warmEvents = 0;
  let resumed: LiveRun['resumed'];
  let hotEntries: number | undefined;
  let failure: unknown;
  stage.driven = true; // from here the driver closes the sources and releases the nodes, however it ends
  try {
    const run = await driveLive(graph, clock, externals, {
      ...(options.signal ? { signal: options.signal } : {}),
      // `seconds` of wall time are `speed` times as many of the run's, counted from the open for a
      // run whose clock reads before it (a shared --open-at still to come, or a resumed run's): they
      // ran out before it, and the run saw no market.
      ...(options.seconds !== undefined
        ? {
            until:
              (options.date ? Math.max(time.now(), sessions.at(-1)!.open) : time.now()) +
              Math.round(options.seconds * 1e6 * (options.date ? (options.speed ?? 1) : 1)),
          }
        : {}),
      time,
      capture,
      externalPorts: externalPorts(nodes),
      feed,
      commands,
      ...(warmSources ? { warm: { sources: warmSources, end: warm!.sessions.at(-1)!.close, days: warm!.dates } } : {}),
      ...(dead
        ? {
            resume: {
              capture: dead,
              recovery,
              kafkaInputs: new Set(group?.read ?? []),
              ...(published ? { afterRetake: () => published.publishMissing() } : {}),
            },
          }
        : {}),
    });
    warmEvents = run.warmEvents;
    resumed = run.resumed;
    if (run.uncaptured > 0)
      log.warn(`${run.uncaptured} record(s) from the venue arrived after the stop: they are in the outputs, not in the capture`);
  } catch (err) {
    failure = err;
  }
  if (status) clearInterval(status);
  stopControl();
  capture.close();
  observed.close();
  // Closed whatever happened (an open Redis connection keeps the process alive); its own failure
  // is the run's error only when the run itself went well.
  if (hot)
    hotEntries = await hot.close().catch((err: unknown) => {
      failure ??= err;
      return undefined;
    });
  // What the group wrote and the broker did not take is said too when the run failed otherwise (e.g.
  // its Kafka input could not commit: the broker is gone), in the same line.
  await published?.close().catch((err: unknown) => {
    failure = failure === undefined ? err : alongside(failure, err);
  });
  if (failure !== undefined) throw failure;
  // A feed that never answered is not a quiet market: say so.
  const silent = feed.silent().map((name) => `${name}: the source delivered no record in the whole run`);
  for (const w of silent) log.warn(w);
  // And what the nodes raised while it ran (logged then).
  const warnings = [...before, ...silent, ...[...graph.contexts.values()].flatMap((ctx) => ctx.alertLines())];
  const summary: LiveSummary = {
    mode: 'live',
    warnings,
    lag_ms: feed.lagMs(),
    feed_seconds: feed.seconds(),
    ...observed.finish(outDir, {
      events: feed.events,
      wall: seconds(),
      deadLetters,
      sessions,
      commit: await commit,
      dataSha256: sha256(readFileSync(capturePath)),
      dataSha256Of: 'capture',
    }),
    captured: capture.arrivals,
    ...(group
      ? {
          group: {
            name: options.group!.name,
            run_id: options.group!.runId,
            ...(group.replicas > 1 ? { replica: group.replica, replicas: group.replicas } : {}),
            read: group.read,
            published: group.published,
          },
        }
      : {}),
    ...(warm ? { warm_up: { dates: warm.dates, events: warmEvents, held_decisions: graph.gate?.held ?? 0 } } : {}),
    ...(hotEntries !== undefined ? { hot_entries: hotEntries } : {}),
    ...(resumed ? { resumed } : {}),
    ...(metrics ? { metrics: metrics.endpoint.url } : {}),
    capture: capturePath,
  };
  writeFileAtomically('--out', join(outDir, 'summary.json'), Buffer.from(`${JSON.stringify(summary, null, 2)}\n`), { ownFolder: true });
  return summary;
}

export interface CaptureReplayOptions {
  topologyFile: string;
  sets?: readonly string[];
  registry?: ReadonlyMap<string, AnySpec>;
  /** The capture of a live run of this topology (OUT/capture.alog of `alpha live`). */
  capture: string;
  outDir: string;
  overwrite?: boolean;
  log?: Logger;
}

/**
 * `alpha backtest FILE --capture CAPTURE`: the live graph of FILE over the capture of a live run, its
 * sources and order entry standing aside for the captured arrivals and executions. Its sinks write
 * what the live run's wrote (orders.parquet byte for byte): the cardinal rule, checked.
 */
export async function replayCaptureRun(options: CaptureReplayOptions): Promise<RunSummary> {
  const log = options.log ?? quiet;
  const capture = readCapture(options.capture);
  // Said on stderr and kept in summary.json's warnings: a replay of part of a session looks whole otherwise.
  const warnings: string[] = [];
  const warn = (w: string): void => {
    warnings.push(w);
    log.warn(w);
  };
  if (!capture.ended) {
    const torn = capture.tornBytes > 0 ? `; its last ${capture.tornBytes} bytes were an arrival cut short, dropped` : '';
    warn(
      `${options.capture}: the live run did not end (killed, or still running)${torn}: replaying its ${capture.arrivals.length} complete arrivals, not the whole session`,
    );
  }
  const live = resolveTopology(options.topologyFile, options.sets, options.registry ?? registry, 'live');
  const [captured, now] = [capture.header.topology_sha256, topologySha256(live)];
  if (captured !== undefined && captured !== now)
    warn(
      `${options.capture}: captured by another topology than ${options.topologyFile} resolves to now (sha256 ${captured.slice(0, 12)}… then, ${now.slice(0, 12)}… now: a node, a param or a --set differs, or an upgrade of alpha changed a default): this replay is a what-if, its orders can differ from the live run's`,
    );
  // A group's capture replays that group alone, its Kafka inputs as they arrived.
  if (capture.header.group !== undefined) checkReplicaCount(live, capture.header, options.capture);
  const group =
    capture.header.group === undefined ? undefined : planGroup(live, capture.header.group, options.capture, capture.header.replica?.index);
  const topology = group
    ? replayTopology(group.topology, capture.header.nodes, options.capture, capturedGroupNodes(group))
    : replayTopology(live, capture.header.nodes, options.capture);
  const { sessions, universe } = capture.header;
  const output = openOutput(options.outDir, {
    overwrite: options.overwrite ?? false,
    holder: 'alpha backtest',
    inputs: [...runInputs(options.topologyFile, undefined, topology), { what: 'the capture', path: options.capture }],
  });
  try {
    const deadLetters = new DeadLetterLog();
    const prepared = await prepareNodes(topology, sessions, group?.members);
    const clock = replayClock(capture.header.start);
    // A warm-started run held its decisions back until its go-live: so does its replay.
    const warmed = capture.arrivals.some((a) => a.kind === 'command' && a.command === 'go-live');
    const graph = buildGraph(
      topology,
      clock,
      {
        prepared,
        calendar: { sessions, live: sessions.at(-1)! },
        universe,
        outDir: output.dir,
        log,
        onDeadLetter: (d) => deadLetters.add(d),
        openDataset: (name) => {
          throw new AlphaError(`a capture replay reads no dataset (asked for "${name}")`);
        },
      },
      group?.members,
      warmed ? new DecisionGate() : undefined,
    );
    if (group) graph.sources.push(...replayGroupInputs(group, graph));
    const observed = new RunObserver(topology, graph, output.dir);
    const commit = gitCommit();
    const started = process.hrtime.bigint();
    const events = await driveCapture(graph, clock, capture).finally(() => observed.close());
    const summary = {
      ...observed.finish(output.dir, {
        events,
        wall: Number(process.hrtime.bigint() - started) / 1e9,
        deadLetters,
        sessions,
        commit: await commit,
        dataSha256: sha256(readFileSync(options.capture)),
        dataSha256Of: 'capture',
      }),
      ...(warnings.length > 0 ? { warnings } : {}),
    };
    writeFileAtomically('--out', join(output.dir, 'summary.json'), Buffer.from(`${JSON.stringify(summary, null, 2)}\n`), {
      ownFolder: true,
    });
    output.commit();
    return summary;
  } catch (err) {
    throw output.abort(err);
  }
}

/**
 * One status line: `12.0s  45,312 events (3,776/s)  120 orders  64 fills  equity 10,001,234 (PnL
 * +1,234)  lag ≤ 1.2 ms  kill switch ACTIVE  0 dead letters`.
 */
export function statusLine(
  seconds: number,
  events: number,
  observed: RunObserver,
  deadLetters: number,
  lagMs: number,
  kill: KillMode | undefined,
): string {
  const n = (x: number): string => Math.round(x).toLocaleString('en-US');
  const equity = observed.states.at(-1)?.equity;
  const start = observed.states[0]?.equity;
  return [
    `${seconds.toFixed(1)}s`,
    `${n(events)} events (${n(events / Math.max(seconds, 1e-9))}/s)`,
    `${n(observed.orders)} orders`,
    `${n(observed.fills)} fills`,
    equity === undefined || start === undefined
      ? 'equity –'
      : `equity ${n(equity)} (PnL ${equity >= start ? '+' : ''}${n(equity - start)})`,
    `lag ≤ ${lagMs.toFixed(1)} ms`,
    ...(kill ? [`kill switch ${kill}`] : []),
    `${n(deadLetters)} dead letters`,
  ].join('  ');
}

/** The capture of the run that died writing `--out`, to resume: refused when there is none to resume. */
function deadRun(options: LiveOptions): Capture {
  const out = ownFolder(options.outDir);
  const file = join(options.outDir, CAPTURE_FILE);
  if (!existsSync(join(out, CAPTURE_FILE)))
    throw new AlphaError(`--resume: ${file} does not exist: give the --out of the live run that died`);
  // The resumed run appends to it: a link would have it write outside --out.
  if (lstatSync(join(out, CAPTURE_FILE)).isSymbolicLink())
    throw new AlphaError(`--resume: ${file} is a symbolic link: a resume appends to the capture in --out itself; expected a regular file`);
  const pid = liveRunIn(out);
  if (pid !== undefined && pid !== process.pid)
    throw new AlphaError(`--resume: a live run (pid ${pid}) is still writing ${options.outDir}: stop it first (alpha kill, or SIGTERM)`);
  const dead = readCapture(file);
  checkResumable(dead, file);
  return dead;
}

/**
 * A replica's capture holds its share of the symbols: it replays (or resumes) only with the same
 * replica count. A group the topology lacks is planGroup's to refuse.
 */
function checkReplicaCount(topology: Topology, header: CaptureHeader, file: string): void {
  const replicas = topology.groups.find((g) => g.name === header.group)?.replicas;
  const of = header.replica?.of ?? 1;
  if (replicas !== undefined && of !== replicas)
    throw new AlphaError(
      `${file}: the capture of group "${header.group}" was taken with replicas: ${of}, but ${topology.file} gives it replicas: ${replicas}: a replica's capture holds its share of the symbols; use the topology that ran it`,
    );
}

/** Two failures of one run as one error (both AlphaErrors: one line); else the first. */
function alongside(first: unknown, second: unknown): unknown {
  if (!(first instanceof AlphaError) || !(second instanceof AlphaError)) return first;
  return new AlphaError(`${first.message}; and ${second.message}`);
}

/** Whether the run may own `path`; true when it exists and holds files (to replace with `overwrite`). */
function checkLiveFolder(path: string, overwrite: boolean): boolean {
  const out = ownFolder(path);
  if (!existsSync(out)) return false;
  if (!statSync(out).isDirectory()) throw new AlphaError(`--out ${path}: not a folder`);
  if (readdirSync(out).length === 0) return false;
  if (!overwrite) throw new AlphaError(`--out ${path}: the folder is not empty (pass --overwrite to replace it)`);
  return true;
}

/** The run's folder: created, or emptied with `overwrite`; a non-empty one is refused otherwise. */
function liveFolder(path: string, overwrite: boolean): string {
  if (checkLiveFolder(path, overwrite)) rmSync(ownFolder(path), { recursive: true, force: true });
  mkdirSync(ownFolder(path), { recursive: true });
  return path;
}
