/**
 * One way to run an operator, or a small graph, outside a backtest: the same validator, graph builder
 * and event loop as a run, fed from records held in memory. Tests, benches and the runtime's own
 * tests use it; nothing else wires a graph.
 *
 * @example
 * import { bars } from '../../operators/feature/bars.ts';
 * import { MINUTE } from '../../lib/core/time.ts';
 * import type { Quote } from '../../schemas/types.generated.ts';
 * const T0 = Date.UTC(2024, 0, 2, 14, 30) * 1000; // µs since the epoch
 * const quote: Quote = { ts_event: T0, ts_known: T0, symbol: 'A', seq: 1, id: 1, version: 1, bid: 10, ask: 10.02, bid_size: 100, ask_size: 100 };
 * const run = await runOperator(bars, { minutes: 1 }, { quotes: [[quote]] }, // one batch of one quote
 *   { sessions: [{ open: T0 - MINUTE, close: T0 + 10 * MINUTE }] });
 * run.outputs.out; // the bars, in the order they were emitted
 */
import { type Observable, Subject } from 'rxjs';
import { z } from 'zod';
import { type ColumnBatch, rowsOf } from '../../lib/core/column-batch.ts';
import { MINUTE, type Micros } from '../../lib/core/time.ts';
import type { InputInfo, Session, UniverseMember } from '../../operators/sdk/context.ts';
import {
  defineSource,
  outputPorts,
  outputSchema,
  type AnySpec,
  type Batch,
  type OperatorSpec,
  type SourceRecord,
} from '../../operators/sdk/spec.ts';
import { SCHEMA_NAMES, type DeadLetter, type SchemaName } from '../../schemas/types.generated.ts';
import { Rng } from '../../lib/core/rng.ts';
import { SESSION_MINUTES } from '../data/calendar.ts';
import { EventClock } from '../runtime/event-clock.ts';
import { deadLetterOf, NodeContext, type RunServices } from '../runtime/node-context.ts';
import { abandonGraph, buildGraph, connectOperator, type BuiltGraph } from '../runtime/graph.ts';
import { driveLive, ExternalInputs, type LiveDriveOptions } from '../runtime/drive-live.ts';
import { capturedNodes, driveCapture, externalPorts, replayClock, replayTopology } from '../runtime/drive-capture.ts';
import { CaptureWriter, readCapture } from '../io/capture-log.ts';
import { WallClock, type TimeSource } from '../runtime/wall-clock.ts';
import { driveGraph, type DriveHooks } from '../runtime/drive.ts';
import { finishNodes } from '../runtime/finish-nodes.ts';
import { prepareNodes } from '../runtime/prepare.ts';
import { edgeEnds, edgeId, type ResolvedNode, type Topology } from '../topology/model.ts';

/** One batch seen on an edge, with the clock's time when it was emitted. */
export interface SeenBatch<T = unknown> {
  at: Micros;
  records: readonly T[];
}

export interface GraphRun {
  /** Every batch of each observed edge, in emission order. */
  edges: Map<string, SeenBatch[]>;
  deadLetters: DeadLetter[];
  /** Each node's counters. */
  metrics: Map<string, Record<string, number>>;
  /** Records the sources delivered. */
  events: number;
}

export interface RunOptions {
  /** Trading sessions (timers fire only inside them); default none (runOperator: one from the first record). */
  sessions?: readonly Session[];
  universe?: readonly UniverseMember[];
  /** Edges to record (default: every edge). */
  observe?: readonly string[];
  /**
   * Sees each batch of the observed edges as it is emitted, instead of recording it in
   * `GraphRun.edges` (left empty): to check a long run without holding its outputs.
   */
  onBatch?: (edge: string, batch: SeenBatch) => void;
  /** Handed to the event loop (driveGraph): `done(key)` runs after every step, then once at the end. */
  hooks?: DriveHooks;
  /** Opens the datasets that `source.replay` nodes read (default: none; feed records from memory instead). */
  openDataset?: RunServices['openDataset'];
  /** Resolves files of the data folder that sources read by name (`source.itch` with `file`). */
  dataFile?: RunServices['dataFile'];
  /** Where sinks write (default: nowhere usable). */
  outDir?: string;
  log?: { info(message: string): void; warn(message: string): void };
}

const DAY_SESSION: Micros = SESSION_MINUTES * MINUTE;

/** Runs a resolved topology over its sources to the end and reports what crossed the observed edges. */
export async function runGraph(topology: Topology, options: RunOptions = {}): Promise<GraphRun> {
  const clock = new EventClock(options.sessions?.[0]?.open ?? 0);
  const { graph, run } = await buildRun(topology, clock, options);
  const events = await driveGraph(graph, clock, options.sessions ?? [], undefined, options.hooks);
  return { ...run(), events };
}

/** What a live run of the harness adds to a run's report. */
export interface LiveGraphRun extends GraphRun {
  /** What external nodes emitted outside their steps (not in the capture). */
  uncaptured: number;
  /** What the nodes raised with `ctx.alert`, as a live run's summary lists it (`NODE: message`). */
  alerts: string[];
}

/**
 * Runs a resolved topology live, on the wall clock of `time` (a test's virtual time, or systemTime),
 * until its sources end or `live.signal` aborts (pipelines/runtime/drive-live.ts); with `capture`, the
 * arrivals are written to that file (a new one) for {@link runCapture}.
 */
export async function runLive(
  topology: Topology,
  time: TimeSource,
  options: Omit<RunOptions, 'hooks'> & { live?: Omit<LiveDriveOptions, 'time' | 'capture' | 'externalPorts'>; capture?: string } = {},
): Promise<LiveGraphRun> {
  const clock = new WallClock(time);
  const externals = new ExternalInputs();
  const { graph, run } = await buildRun(topology, clock, options, (node, deliver) => externals.queue(node, deliver));
  const nodes = capturedNodes(topology);
  let capture: CaptureWriter | undefined;
  try {
    capture = options.capture
      ? new CaptureWriter(options.capture, {
          start: clock.now(),
          universe: [...(options.universe ?? [])],
          sessions: [...(options.sessions ?? [])],
          nodes,
        })
      : undefined;
  } catch (err) {
    // Before the driver takes the graph: its sources close and its nodes let go here (as alpha live does).
    await abandonGraph(graph);
    throw err;
  }
  try {
    const live = await driveLive(graph, clock, externals, {
      ...options.live,
      time,
      ...(capture ? { capture, externalPorts: externalPorts(nodes) } : {}),
    });
    return {
      ...run(),
      events: live.events,
      uncaptured: live.uncaptured,
      alerts: [...graph.contexts.values()].flatMap((c) => c.alertLines()),
    };
  } finally {
    capture?.close();
  }
}

/**
 * Replays the capture of a live run of `topology` (pipelines/runtime/drive-capture.ts): the sources
 * and external nodes stand aside and the captured arrivals take their place, so every other node
 * sees what it saw live.
 */
export async function runCapture(topology: Topology, file: string, options: Omit<RunOptions, 'hooks'> = {}): Promise<GraphRun> {
  const capture = readCapture(file);
  const clock = replayClock(capture.header.start);
  const { graph, run } = await buildRun(replayTopology(topology, capture.header.nodes, file), clock, options);
  const events = await driveCapture(graph, clock, capture);
  return { ...run(), events };
}

async function buildRun(
  topology: Topology,
  clock: EventClock | WallClock,
  options: RunOptions,
  external?: RunServices['external'],
): Promise<{ graph: BuiltGraph; run: () => Omit<GraphRun, 'events'> }> {
  const sessions = options.sessions ?? [];
  const deadLetters: DeadLetter[] = [];
  const prepared = await prepareNodes(topology, sessions);
  const graph = buildGraph(topology, clock, {
    prepared,
    calendar: { sessions },
    universe: options.universe ?? [],
    outDir: options.outDir ?? '/nonexistent',
    log: options.log ?? { info: () => {}, warn: () => {} },
    onDeadLetter: (d) => deadLetters.push(deadLetterOf(d)),
    openDataset:
      options.openDataset ??
      ((name) => {
        throw new Error(`the harness has no data folder (dataset "${name}"): feed records with runOperator or a feed source`);
      }),
    ...(options.dataFile ? { dataFile: options.dataFile } : {}),
    ...(external ? { external } : {}),
  });
  const edges = new Map<string, SeenBatch[]>();
  const { onBatch } = options;
  for (const edge of options.observe ?? graph.outputs.keys()) {
    const subject = graph.outputs.get(edge);
    if (!subject) throw new Error(`no edge "${edge}" (edges: ${[...graph.outputs.keys()].join(', ')})`);
    if (onBatch) {
      subject.subscribe((batch) => onBatch(edge, { at: clock.now(), records: rowsOf(batch) }));
      continue;
    }
    const seen: SeenBatch[] = [];
    edges.set(edge, seen);
    subject.subscribe((batch) => seen.push({ at: clock.now(), records: rowsOf(batch) }));
  }
  return {
    graph,
    run: () => ({ edges, deadLetters, metrics: new Map([...graph.contexts].map(([n, c]) => [n, c.metrics.snapshot()])) }),
  };
}

/** Records of a feed, batch by batch (records or columns), in ts_known order. */
export type FeedBatches = readonly (readonly { ts_known: Micros }[] | ColumnBatch<unknown>)[];

/**
 * A source that replays batches held in memory: `harness.feed` with params `{ schema, name }`, its
 * output schema the `schema` param's. `feeds` maps each feed's name to its batches.
 */
export function feedSpec(feeds: ReadonlyMap<string, FeedBatches>) {
  return defineSource({
    type: 'harness.feed',
    summary: 'Replays records held in memory (tests and benches).',
    output: { oneOf: SCHEMA_NAMES, of: (p) => p.schema },
    params: z.strictObject({
      schema: z.enum(SCHEMA_NAMES).describe('Record type of the feed.'),
      name: z.string().describe('Which of the harness feeds to replay.'),
      features: z.array(z.string()).default([]).describe('Feature names it declares (cross-section feeds).'),
    }),
    features: (p) => p.features,
    open: (p) => {
      const batches = feeds.get(p.name) ?? [];
      let i = 0;
      return {
        next: async () => (i < batches.length ? (batches[i++] as unknown as Batch<SourceRecord & never>) : null),
        close: async () => {},
      };
    },
  });
}

/** What a node of `feedTopology` replays: its record type, its batches, and the feature names it declares (FeatureVector feeds). */
export interface Feed {
  schema: SchemaName;
  batches: FeedBatches;
  features?: readonly string[];
}

/**
 * A resolved topology of `nodes` (resolved nodes of another topology, say) fed from memory: one
 * `harness.feed` node per entry of `feeds`, named by its key and ranked before `nodes`, which keep
 * their order. Each input of `nodes` must name a feed or one of `nodes`: rebind or drop the others.
 *
 * @example
 * import { resolveTopology } from '../runtime/backtest.ts';
 * import type { Quote } from '../../schemas/types.generated.ts';
 * const quotes: Quote[][] = []; // batches of quotes in ts_known order
 * const bars = resolveTopology('topology.yaml').nodes.find((n) => n.name === 'bars')!;
 * // The default topology's bars on quotes from memory, its trades input left unbound.
 * const run = await runGraph(feedTopology([{ ...bars, inputs: { quotes: ['quotes'] } }], { quotes: { schema: 'Quote', batches: quotes } }));
 * run.edges.get('bars'); // every batch of bars, with the clock time it was emitted at
 */
export function feedTopology(
  nodes: readonly ResolvedNode[],
  feeds: Readonly<Record<string, Feed>>,
  options: { name?: string; seed?: number } = {},
): Topology {
  const batches = new Map<string, FeedBatches>();
  const source = feedSpec(batches);
  const all: ResolvedNode[] = [];
  for (const [name, feed] of Object.entries(feeds)) {
    batches.set(name, feed.batches);
    all.push(resolved(name, source, { schema: feed.schema, name, features: [...(feed.features ?? [])] }, {}));
  }
  const names = new Set(all.map((n) => n.name));
  for (const node of nodes) {
    if (names.has(node.name))
      throw new Error(`feedTopology: node "${node.name}" has the name of ${batches.has(node.name) ? 'a feed' : 'another node'}`);
    names.add(node.name);
  }
  const known = new Map(all.concat(nodes).map((n) => [n.name, n]));
  for (const node of nodes) {
    for (const [port, producers] of Object.entries(node.inputs)) {
      for (const producer of producers) {
        const ends = edgeEnds(producer);
        if (!known.get(ends.node)?.ports[ends.port]) {
          throw new Error(
            `feedTopology: node "${node.name}" input "${port}": no edge "${producer}" among the feeds (${[...batches.keys()].join(', ') || 'none'}) and nodes`,
          );
        }
      }
    }
  }
  return {
    file: 'harness',
    name: options.name ?? 'harness',
    seed: options.seed ?? 1,
    data: undefined,
    taps: [],
    groups: [],
    nodes: all.concat(nodes),
  };
}

/** What one input port of the operator under test is fed: batches, or one list of batches per producer of a variadic port. */
export type PortFeed =
  | FeedBatches
  | { batches: FeedBatches; features?: readonly string[] }
  | readonly { batches: FeedBatches; features?: readonly string[] }[];

export interface OperatorRun {
  /** Records of each output port (`out` for the main one), in emission order. */
  outputs: Record<string, unknown[]>;
  /** Batches of each output port, with the clock time each was emitted at. */
  batches: Record<string, SeenBatch[]>;
  deadLetters: DeadLetter[];
  metrics: Record<string, number>;
}

/**
 * Runs one operator: each input port fed from memory (a feed per producer), its params parsed with
 * their defaults as validation would, on the real event loop. Timers fire within `sessions` (default:
 * one 390-minute session from the earliest record).
 */
export async function runOperator(
  spec: OperatorSpec<never, never, never, never> | AnySpec,
  params: unknown,
  inputs: Readonly<Record<string, PortFeed>>,
  options: Omit<RunOptions, 'onBatch'> & { seed?: number } = {},
): Promise<OperatorRun> {
  const operator = spec as AnySpec;
  if (operator.kind !== 'operator') throw new Error(`runOperator runs operators; ${operator.type} is a source`);
  const parsed = operator.params.parse(params ?? {});
  const feeds = new Map<string, FeedBatches>();
  const source = feedSpec(feeds);
  const nodes: ResolvedNode[] = [];
  const bound: Record<string, string[]> = {};
  for (const [port, portSpec] of Object.entries(operator.inputs as Record<string, { schema: string }>)) {
    const given = inputs[port];
    if (given === undefined) continue;
    const producers =
      Array.isArray(given) && given.length > 0 && !Array.isArray(given[0])
        ? (given as { batches: FeedBatches; features?: readonly string[] }[])
        : [Array.isArray(given) ? { batches: given as FeedBatches } : (given as { batches: FeedBatches; features?: readonly string[] })];
    bound[port] = producers.map((feed, i) => {
      const name = producers.length > 1 ? `${port}_${i}` : port;
      const schema = (portSpec.schema === '*' ? 'DeadLetter' : portSpec.schema) as SchemaName;
      feeds.set(name, feed.batches);
      const feedParams = { schema, name, features: [...(feed.features ?? [])] };
      nodes.push(resolved(name, source, feedParams, {}));
      return name;
    });
  }
  for (const port of Object.keys(inputs)) {
    if (!(port in (operator.inputs as object))) throw new Error(`${operator.type} has no input port "${port}"`);
  }
  const subject = resolved('subject', operator, parsed, bound);
  nodes.push(subject);
  // Feeds are in ts_known order: each one's first record is its earliest.
  let first = Infinity;
  for (const batches of feeds.values()) {
    const head = batches.find((b) => b.length > 0);
    if (head) first = Math.min(first, (rowsOf<unknown>(head)[0] as { ts_known: Micros }).ts_known);
  }
  const start = Number.isFinite(first) ? first : 0;
  const sessions = options.sessions ?? [{ open: start, close: start + DAY_SESSION }];
  const topology: Topology = { file: 'harness', name: 'harness', seed: options.seed ?? 1, data: undefined, taps: [], groups: [], nodes };
  const edges = Object.keys(subject.ports).map((port) => edgeId('subject', port));
  const run = await runGraph(topology, { ...options, sessions, observe: edges });
  const outputs: Record<string, unknown[]> = {};
  const batches: Record<string, SeenBatch[]> = {};
  for (const port of Object.keys(subject.ports)) {
    batches[port] = run.edges.get(edgeId('subject', port)) ?? [];
    outputs[port] = batches[port].flatMap((b) => b.records);
  }
  return { outputs, batches, deadLetters: run.deadLetters, metrics: run.metrics.get('subject') ?? {} };
}

function resolved(name: string, spec: AnySpec, params: unknown, inputs: Record<string, string[]>): ResolvedNode {
  return {
    name,
    type: spec.type,
    spec,
    inputs,
    params,
    transport: { kind: 'inline' },
    output: outputSchema(spec, params),
    ports: outputPorts(spec, params),
  };
}

/** A node's context outside a run: its name, sessions, seed and universe, and for a sink where it writes and what feeds it. */
export interface StandaloneOptions {
  node?: string;
  sessions?: readonly Session[];
  seed?: number;
  universe?: readonly UniverseMember[];
  /** Where a sink writes its files (stepOperator's `finish()` runs its end-of-run hooks). */
  outDir?: string;
  /** What feeds each input port (a sink reads its schema here). */
  inputs?: Readonly<Record<string, readonly InputInfo[]>>;
}

/**
 * A node's context outside any graph, for unit tests of kit pieces that take one (handle, timers): its
 * clock starts at the first session's open, and its dead letters are collected.
 */
export function standaloneContext(options: StandaloneOptions = {}): {
  ctx: NodeContext;
  clock: EventClock;
  deadLetters: DeadLetter[];
  /** Lines the node logged, in order. */
  logs: string[];
} {
  const sessions = options.sessions ?? [];
  const clock = new EventClock(sessions[0]?.open ?? 0);
  const deadLetters: DeadLetter[] = [];
  const logs: string[] = [];
  const ctx = new NodeContext(options.node ?? 'subject', clock.forNode(0), new Rng(options.seed ?? 1), options.inputs ?? {}, {
    calendar: { sessions },
    universe: options.universe ?? [],
    outDir: options.outDir ?? '/nonexistent',
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
    onDeadLetter: (d) => deadLetters.push(deadLetterOf(d)),
    openDataset: (name) => {
      throw new Error(`a standalone context has no data folder (dataset "${name}")`);
    },
  });
  return { ctx, clock, deadLetters, logs };
}

/**
 * One operator driven step by step, for tests that assert after each input: `push(port, batch, at)`
 * advances the clock to `at` (firing the timers due) and delivers the batch; what the operator emits
 * collects in `outputs` by port. Ports listed in `unbound` are left out, as in a topology that does
 * not bind them. The same context and wiring as a run (standaloneContext, connectOperator).
 */
export function stepOperator(
  spec: OperatorSpec<never, never, never, never> | AnySpec,
  params: unknown,
  options: StandaloneOptions & { unbound?: readonly string[] } = {},
) {
  const operator = spec as AnySpec;
  if (operator.kind !== 'operator') throw new Error(`stepOperator runs operators; ${operator.type} is a source`);
  const { ctx, clock, deadLetters, logs } = standaloneContext(options);
  const subjects = new Map<string, Subject<Batch<unknown>>>();
  const streams: Record<string, Observable<Batch<unknown>> | undefined> = {};
  for (const port of Object.keys(operator.inputs as object)) {
    if (options.unbound?.includes(port)) continue;
    const subject = new Subject<Batch<unknown>>();
    subjects.set(port, subject);
    streams[port] = subject.asObservable();
  }
  const outputs: Record<string, unknown[]> = {};
  for (const [port, stream] of Object.entries(connectOperator(operator, operator.params.parse(params ?? {}), ctx, streams))) {
    const seen: unknown[] = [];
    outputs[port] = seen;
    stream.subscribe((batch) => {
      for (const row of rowsOf(batch)) seen.push(row);
    });
  }
  return {
    ctx,
    clock,
    deadLetters,
    logs,
    outputs,
    /** Advances the clock to `at` (timers due by then fire first). */
    at: (at: Micros): void => clock.advanceTo(at),
    push(port: string, batch: Batch<unknown>, at?: Micros): void {
      const subject = subjects.get(port);
      if (!subject) throw new Error(`${operator.type} has no bound input port "${port}"`);
      if (at !== undefined) clock.advanceTo(at);
      subject.next(batch);
    },
    /** Completes every input: the operator's end hook runs. */
    end(): void {
      for (const subject of subjects.values()) subject.complete();
    },
    /**
     * Completes every input, then runs the node's end-of-run hooks (`ctx.atEnd`, the work it hands to
     * `ctx.writing`) as a run does before it reports: a sink's file is written when this resolves.
     */
    async finish(): Promise<void> {
      for (const subject of subjects.values()) subject.complete();
      await finishNodes([ctx]);
    },
  };
}
