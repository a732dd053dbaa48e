/**
 * The replay of a live run's capture: the same topology, with its sources and its external nodes
 * (order entry to a venue) standing aside, takes the captured arrivals again as the same steps
 * (arrivals.ts): each source batch as it was delivered, each external arrival's records emitted on
 * that node's ports at its time, each wake and the end at theirs. Every other operator runs as it did
 * live, so it emits what it emitted live: the cardinal rule, checked by comparing the outputs.
 */
import { EMPTY, ignoreElements, merge, type Observable } from 'rxjs';
import { AlphaError } from '../../lib/core/errors.ts';
import type { Micros } from '../../lib/core/time.ts';
import type { AnySpec, EdgeBatch } from '../../operators/sdk/spec.ts';
import type { Arrival, Capture, CapturedNode } from '../io/capture-log.ts';
import { edgeId, type Topology } from '../topology/model.ts';
import { ArrivalSteps } from './arrivals.ts';
import type { BuiltGraph, BuiltSource } from './graph.ts';
import { WallClock } from './wall-clock.ts';
import { finishNodes, releaseNodes } from './finish-nodes.ts';

/** The nodes whose arrivals a live run of `topology` captures: its sources and its external nodes. */
export function capturedNodes(topology: Topology): CapturedNode[] {
  const nodes: CapturedNode[] = [];
  for (const n of topology.nodes) {
    if (n.spec.kind === 'source') nodes.push({ node: n.name, kind: 'source', ports: { out: n.ports['out']! } });
    else if (n.spec.external) nodes.push({ node: n.name, kind: 'external', ports: { ...n.ports } });
  }
  return nodes;
}

/** Each external node's output ports, for the live driver's capture. */
export function externalPorts(nodes: readonly CapturedNode[]): Map<string, string[]> {
  return new Map(nodes.filter((n) => n.kind === 'external').map((n) => [n.node, Object.keys(n.ports)]));
}

/**
 * `topology` with its captured nodes standing aside: a source reads nothing, an external node
 * consumes its inputs and emits nothing of its own (the capture's records are emitted on its ports).
 * Refused when the capture was not made by this topology (other captured nodes or schemas).
 */
export function replayTopology(
  topology: Topology,
  captured: readonly CapturedNode[],
  file: string,
  /** What a live run of `topology` captures (a group's run captures its own: live-group.ts). */
  expected: readonly CapturedNode[] = capturedNodes(topology),
): Topology {
  if (JSON.stringify(captured) !== JSON.stringify(expected))
    throw new AlphaError(
      `${file}: the capture was made by another topology: it captured ${describe(captured)}, ${topology.file} would capture ${describe(expected)}`,
    );
  const names = new Set(captured.map((c) => c.node));
  return {
    ...topology,
    nodes: topology.nodes.map((n) => (names.has(n.name) ? { ...n, spec: standIn(n.spec) } : n)),
  };
}

function describe(nodes: readonly CapturedNode[]): string {
  return nodes.length === 0 ? 'no node' : nodes.map((n) => `${n.node} (${n.kind}: ${Object.values(n.ports).join(', ')})`).join(', ');
}

function standIn(spec: AnySpec): AnySpec {
  if (spec.kind === 'source') return { ...spec, open: () => ({ next: async () => null, close: async () => {} }) };
  const ports = ['out', ...Object.keys(spec.outputs ?? {})];
  const { prepare: _unused, ...rest } = spec;
  return {
    ...rest,
    create: () => (inputs: Record<string, Observable<EdgeBatch<unknown>> | Observable<EdgeBatch<unknown>>[] | undefined>) => {
      const all = Object.values(inputs).flatMap((s) => (s === undefined ? [] : Array.isArray(s) ? s : [s]));
      const done = all.length === 0 ? EMPTY : merge(...all).pipe(ignoreElements());
      return Object.fromEntries(ports.map((p) => [p, done]));
    },
  } as unknown as AnySpec;
}

/** A clock for the replay: the live clock's rules (a timer set in the past fires next), never woken by the wall. */
export function replayClock(start: Micros): WallClock {
  return new WallClock({ now: () => start, wakeAt: () => () => {} });
}

/** Takes one captured arrival again on `graph`, as the live run took it. */
export async function takeArrival(
  a: Arrival,
  graph: BuiltGraph,
  sources: ReadonlyMap<string, BuiltSource>,
  steps: ArrivalSteps,
): Promise<void> {
  if (a.kind === 'source') {
    await steps.deliver(a.records as never, (records) => sources.get(a.node)!.subject.next(records));
  } else if (a.kind === 'external') {
    await steps.external(a.at, () => {
      for (const e of a.emitted) graph.outputs.get(edgeId(a.node, e.port))!.next(e.records);
    });
  } else if (a.kind === 'command') {
    await steps.command(a.at, a.command, a.text, graph.contexts.values());
  } else {
    await steps.advance(a.at);
  }
}

/**
 * Takes the capture's arrivals again on `graph` (built from replayTopology); returns the source records
 * delivered. The nodes' release hooks run after it, however it ends (OperatorContext.onRelease).
 */
export async function driveCapture(graph: BuiltGraph, clock: WallClock, capture: Capture): Promise<number> {
  try {
    return await replayArrivals(graph, clock, capture);
  } finally {
    await releaseNodes(graph.contexts.values());
  }
}

async function replayArrivals(graph: BuiltGraph, clock: WallClock, capture: Capture): Promise<number> {
  const steps = new ArrivalSteps(clock, graph.held, undefined, graph.gate);
  const sources = new Map(graph.sources.map((s) => [s.name, s]));
  let events = 0;
  for (const a of capture.arrivals) {
    if (a.kind === 'source') events += a.records.length;
    // Live, the clock stopped taking timers before the end's timers fired.
    if (a.kind === 'end') clock.stop();
    await takeArrival(a, graph, sources, steps);
  }
  clock.stop();
  for (const s of graph.sources) {
    await s.reader.close();
    s.subject.complete();
  }
  await finishNodes(graph.contexts.values());
  return events;
}
