/**
 * Builds the in-process graph from a resolved topology: one RxJS Subject per node output, operators
 * subscribed in topological order (so delivery order is deterministic), feedback ports wired to the
 * Subject of a node built later, and sources opened as pull readers for the runner to merge.
 */
import { filter, Observable, type Subject } from 'rxjs';
import { Rng } from '../../lib/core/rng.ts';
import { MAIN_PORT, type EdgeBatch, type PortsSpec, type SourceReader, type SourceRecord } from '../../operators/sdk/spec.ts';
import { edgeEnds, edgeId, type Topology } from '../topology/model.ts';
import type { Clock, InputInfo } from '../../operators/sdk/context.ts';
import { EdgeSubject } from './edge.ts';
import { NodeContext, type RunServices } from './node-context.ts';
import { HeldWork } from './held-work.ts';
import { nodeFeatures, upstreamFeatures } from '../topology/features.ts';
import { releaseNodes } from './finish-nodes.ts';

/** What the graph needs of a run's clock: each node's view of it (the backtest's EventClock, the live WallClock). */
export interface GraphClock {
  forNode(rank: number): Clock;
}

export interface BuiltSource {
  name: string;
  reader: SourceReader<SourceRecord>;
  subject: Subject<EdgeBatch<SourceRecord>>;
}

export interface BuiltGraph {
  /** Every edge by its id: a node's name for its main output, `node.port` for its other ports. */
  outputs: Map<string, EdgeSubject<EdgeBatch<unknown>>>;
  sources: BuiltSource[];
  contexts: Map<string, NodeContext>;
  /** Work operators are awaiting; the runner lets it settle before the clock moves on. */
  held: HeldWork;
  /** Feature names each node emits (empty for nodes that emit none). */
  features: Map<string, readonly string[]>;
  /** Closed while a live run warms up (see DecisionGate); undefined when the run has no warm-up. */
  gate?: DecisionGate;
}

/** The schemas that decide trades: while a live run warms up on history, none reaches its consumers. */
export const DECISION_SCHEMAS: readonly string[] = ['TargetWeights', 'Order'];

/**
 * Holds back every record of a decision schema (target weights, orders) from the nodes that consume
 * it: a live run's warm-up replays history through the whole graph, so features, models and risk
 * histories are ready, but nothing is sized, ordered or sent. Opened once, at the switch to live.
 */
export class DecisionGate {
  private opened = false;
  /** Records held back while closed. */
  held = 0;
  get isOpen(): boolean {
    return this.opened;
  }
  open(): void {
    this.opened = true;
  }
  pass = <T>(stream: Observable<EdgeBatch<T>>): Observable<EdgeBatch<T>> =>
    stream.pipe(
      filter((b) => {
        if (this.opened) return true;
        this.held += b.length;
        return false;
      }),
    );
}

/**
 * Builds the operators of `topology` (only the sources and the nodes in `members`, when given: one
 * process group; the other nodes' outputs stay open for their records to arrive from other processes).
 * Ranks, random streams and feature names are those of the whole topology either way.
 */
export function buildGraph(
  topology: Topology,
  clock: GraphClock,
  services: RunServices,
  members?: ReadonlySet<string>,
  gate?: DecisionGate,
): BuiltGraph {
  const outputs = new Map<string, EdgeSubject<EdgeBatch<unknown>>>();
  for (const node of topology.nodes) {
    // Every node has its main edge (a sink's only completes); other ports add `node.port` edges.
    outputs.set(node.name, new EdgeSubject<EdgeBatch<unknown>>());
    for (const port of Object.keys(node.ports))
      if (port !== MAIN_PORT) outputs.set(edgeId(node.name, port), new EdgeSubject<EdgeBatch<unknown>>());
  }
  const root = new Rng(topology.seed);
  const contexts = new Map<string, NodeContext>();
  const features = new Map<string, readonly string[]>();
  const sources: BuiltSource[] = [];
  const held = new HeldWork();
  const byName = new Map(topology.nodes.map((n) => [n.name, n]));

  try {
    topology.nodes.forEach((node, rank) => buildNode(node, rank));
  } catch (err) {
    // A node that could not be made fails the build; the sources opened before it close, and the
    // nodes made before it let go of what they hold (OperatorContext.onRelease).
    void abandonGraph({ sources, contexts });
    throw err;
  }
  return { outputs, sources, contexts, features, held, ...(gate ? { gate } : {}) };

  function buildNode(node: Topology['nodes'][number], rank: number): void {
    const inputs: Record<string, InputInfo[]> = {};
    for (const [port, producers] of Object.entries(node.inputs)) {
      inputs[port] = producers.map((p) => {
        const ends = edgeEnds(p);
        return { node: p, schema: byName.get(ends.node)?.ports[ends.port] ?? '', features: features.get(p) ?? [] };
      });
    }
    const spec = node.spec;
    features.set(node.name, nodeFeatures(node, upstreamFeatures(node, features)));
    if (members && spec.kind !== 'source' && !members.has(node.name)) return;
    const ctx = new NodeContext(node.name, clock.forNode(rank), root.fork(node.name), inputs, services, held);
    contexts.set(node.name, ctx);
    const subject = outputs.get(node.name)!;
    if (spec.kind === 'source') {
      sources.push({ name: node.name, reader: spec.open(node.params, ctx), subject: subject as Subject<EdgeBatch<SourceRecord>> });
      return;
    }
    const streams: Record<string, Observable<EdgeBatch<unknown>> | Observable<EdgeBatch<unknown>>[] | undefined> = {};
    for (const [port, portSpec] of Object.entries(spec.inputs as PortsSpec)) {
      const producers = (node.inputs[port] ?? []).map((p) => {
        const stream = outputs.get(p)!.stream;
        const ends = edgeEnds(p);
        return gate && DECISION_SCHEMAS.includes(byName.get(ends.node)?.ports[ends.port] ?? '') ? gate.pass(stream) : stream;
      });
      streams[port] = portSpec.variadic ? producers : producers[0];
    }
    const ports = connectOperator(spec, node.params, ctx, streams);
    for (const [port, stream] of Object.entries(ports)) forward(stream, outputs.get(edgeId(node.name, port))!);
  }
}

/**
 * Closes the sources of a run that failed (a live feed would read on, or busy-poll a core with `spin`,
 * until collected); an error of theirs, thrown or rejected, is not the run's.
 */
export async function closeSourcesQuietly(sources: readonly BuiltSource[]): Promise<void> {
  for (const s of sources)
    await Promise.resolve()
      .then(() => s.reader.close())
      .catch(() => undefined);
}

/**
 * Lets go of a graph no driver will end (its run failed before a driver took it): its sources close
 * and its nodes' release hooks run (OperatorContext.onRelease), their errors not the run's.
 */
export async function abandonGraph(graph: Pick<BuiltGraph, 'sources' | 'contexts'>): Promise<void> {
  await closeSourcesQuietly(graph.sources);
  await releaseNodes(graph.contexts.values());
}

/**
 * Creates an operator on its input streams and returns its output streams by port (`out` for the
 * main one). What the graph builder, the test harness and the benches all use to run an operator.
 */
export function connectOperator(
  spec: { create(params: never, ctx: NodeContext): (inputs: never) => unknown },
  params: unknown,
  ctx: NodeContext,
  streams: Record<string, Observable<EdgeBatch<unknown>> | Observable<EdgeBatch<unknown>>[] | undefined>,
): Record<string, Observable<EdgeBatch<unknown>>> {
  const created = spec.create(params as never, ctx)(streams as never);
  if (created instanceof Observable) return { out: created as Observable<EdgeBatch<unknown>> };
  return created as Record<string, Observable<EdgeBatch<unknown>>>;
}

function forward(stream: Observable<EdgeBatch<unknown>>, subject: Subject<EdgeBatch<unknown>>): void {
  stream.subscribe({ next: (b) => subject.next(b), error: (e) => subject.error(e), complete: () => subject.complete() });
}
