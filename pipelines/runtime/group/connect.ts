/**
 * Joins one process group of a topology to the others: a publisher for each of its Kafka edges that
 * another group reads, a subscriber for each edge it reads from another group, and the event-loop
 * hooks that keep the group's steps in the run's event-time order (see drive.ts and step.ts).
 */
import type { Subject } from 'rxjs';
import type { EdgeBatch } from '../../../lib/core/column-batch.ts';
import type { SchemaName } from '../../../schemas/types.generated.ts';
import { edgeEnds, type Topology } from '../../topology/model.ts';
import { AlphaError } from '../../../lib/core/errors.ts';
import type { DriveHooks } from '../drive.ts';
import type { EventClock } from '../event-clock.ts';
import { END_KEY, type StepKey } from '../step.ts';
import type { EdgeFactory } from './edges.ts';
import { EdgePublisher } from './publisher.ts';
import { EdgeSubscriber } from './subscriber.ts';
import { topicOf } from '../../topology/transport.ts';

/**
 * What the subscribers delivered is committed at most once a second (checked every 512 steps): the
 * offsets are there for lag in standard tools, since a restarted group replays with fresh consumer
 * groups; a commit every 512 steps was 2.8% of the trading group's CPU in the split default run.
 */
const COMMIT_CHECK_STEPS = 512;
const COMMIT_EVERY_MS = 1000;

export interface GroupEdges {
  /** Producer node → its topic, for the edges this group publishes and reads. */
  published: string[];
  read: string[];
}

/** Which Kafka edges a group publishes (read by another group) and reads (from another group). */
export function groupEdges(topology: Topology, group: string): GroupEdges {
  const groupOf = new Map(topology.groups.flatMap((g) => g.nodes.map((n) => [n, g.name] as const)));
  if (!topology.groups.some((g) => g.name === group)) {
    throw new AlphaError(`${topology.file}: no group "${group}" (groups: ${topology.groups.map((g) => g.name).join(', ') || 'none'})`);
  }
  const published = new Set<string>();
  const read = new Set<string>();
  for (const node of topology.nodes) {
    const consumer = groupOf.get(node.name);
    for (const p of Object.values(node.inputs).flat()) {
      const producer = groupOf.get(p);
      if (producer === undefined || consumer === undefined || producer === consumer) continue;
      if (producer === group) published.add(p);
      if (consumer === group) read.add(p);
    }
  }
  return { published: [...published], read: [...read] };
}

/**
 * Refuses groups whose Kafka edges form a cycle (colo → cloud → colo) for a backtest split: each
 * process waits for the others' steps before its own, in event-time order, so around a cycle each
 * would wait for the other forever. A live run of the groups (`alpha live --group`) has no such wait.
 */
export function refuseGroupCycle(topology: Topology, what: string): void {
  const next = new Map(topology.groups.map((g) => [g.name, new Set<string>()]));
  const groupOf = new Map(topology.groups.flatMap((g) => g.nodes.map((n) => [n, g.name] as const)));
  const via = new Map<string, string>();
  for (const node of topology.nodes) {
    const to = groupOf.get(node.name);
    for (const edge of Object.values(node.inputs).flat()) {
      const from = groupOf.get(edgeEnds(edge).node);
      if (from === undefined || to === undefined || from === to) continue;
      next.get(from)!.add(to);
      via.set(`${from}>${to}`, `${edge} → ${node.name}`);
    }
  }
  const path: string[] = [];
  const done = new Set<string>();
  const visit = (g: string): string[] | undefined => {
    const at = path.indexOf(g);
    if (at >= 0) return [...path.slice(at), g];
    if (done.has(g)) return undefined;
    path.push(g);
    for (const n of next.get(g)!) {
      const cycle = visit(n);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(g);
    return undefined;
  };
  for (const g of next.keys()) {
    const cycle = visit(g);
    if (!cycle) continue;
    const edges = cycle.slice(1).map((to, i) => via.get(`${cycle[i]}>${to}`));
    throw new AlphaError(
      `${what}: the groups of ${topology.file} form a cycle, ${cycle.join(' → ')} (${edges.join(', ')}): a backtest split orders each step after the other processes' earlier ones and cannot follow a cycle; run the backtest in one process (without --split), or the groups live (alpha live --group)`,
    );
  }
}

/** The topic of a node's output in one run (`alpha tap NODE --run ID` reads it): runs never read each other's records. */
export function runTopic(topology: Topology, node: string, runId: string): string {
  return `${topicOf(topology, node)}.${runId}`;
}

export async function connectGroup(o: {
  topology: Topology;
  group: string;
  runId: string;
  /** How many times this group's process has been started in the run before (its consumer groups start afresh). */
  attempt?: number;
  /** This process's replica of a replicated group (0 of 1 otherwise). */
  replica?: number;
  outputs: ReadonlyMap<string, Subject<EdgeBatch<unknown>>>;
  clock: EventClock;
  edges: EdgeFactory;
}): Promise<{
  hooks: DriveHooks;
  received: () => number;
  duplicates: () => number;
  deadLettered: () => number;
  close: () => Promise<void>;
}> {
  const { topology, group, runId, outputs, clock, edges } = o;
  const { published, read } = groupEdges(topology, group);
  const node = (name: string) => topology.nodes.find((n) => n.name === name)!;
  const partitions = (name: string): number => {
    const t = node(name).transport;
    return t.kind === 'kafka' ? t.partitions : 1;
  };
  let current: StepKey = { t: -Infinity, phase: 0, order: 0, seq: 0 };
  let steps = 0;
  let committedAt = performance.now();
  const replica = o.replica ?? 0;
  /** This process's consumer group on a node's edge, its own in the run (see EdgeFactory). */
  const attemptId = (name: string): string => `${topology.name}.${group}.${replica}.${name}.${runId}.${o.attempt ?? 0}`;
  /** Processes that produce a node's output: the replicas of its group. */
  const producers = (name: string): number => topology.groups.find((g) => g.nodes.includes(name))?.replicas ?? 1;
  /** Publishes a node's output to its run topic: a Kafka edge (read by another group) or a tap's mirror. */
  const publisher = async (name: string, mirror: boolean): Promise<EdgePublisher> => {
    const topic = runTopic(topology, name, runId);
    const edge = await edges.outbound({
      topic,
      schema: node(name).output as SchemaName,
      partitions: mirror ? 1 : partitions(name),
      groupId: attemptId(name),
    });
    return new EdgePublisher(name, edge, outputs.get(name)!.asObservable(), () => current, mirror, replica);
  };
  const publishers = await Promise.all(published.map((name) => publisher(name, false)));
  // Taps of this group's nodes are mirrored to their topics (one partition: in emission order).
  const mirrored = topology.taps.filter((n) => !published.includes(n) && topology.groups.find((g) => g.name === group)!.nodes.includes(n));
  publishers.push(...(await Promise.all(mirrored.map((name) => publisher(name, true)))));
  const subscribers = await Promise.all(
    read.map(
      async (name) =>
        new EdgeSubscriber(
          name,
          await edges.inbound({
            topic: runTopic(topology, name, runId),
            schema: node(name).output as SchemaName,
            partitions: partitions(name),
            groupId: attemptId(name),
          }),
          partitions(name),
          producers(name),
          outputs.get(name)!,
          clock,
        ),
    ),
  );
  // The hooks run before and after every step: they return a promise only when they must wait.
  const readyFrom = async (wait: Promise<void>, next: number, key: StepKey): Promise<void> => {
    await wait;
    for (let i = next; i < subscribers.length; i++) await subscribers[i]!.ready(key);
  };
  const commitDue = (): Promise<void> | undefined => {
    if (++steps % COMMIT_CHECK_STEPS !== 0 || performance.now() - committedAt < COMMIT_EVERY_MS) return undefined;
    committedAt = performance.now();
    return (async () => {
      for (const s of subscribers) await s.commitProcessed();
    })();
  };
  const doneFrom = async (wait: Promise<void>, next: number, key: StepKey): Promise<void> => {
    await wait;
    for (let i = next; i < publishers.length; i++) await publishers[i]!.stepDone(key);
    await commitDue();
  };
  const hooks: DriveHooks = {
    // Called before every step, so it also tracks the step the publishers stamp on what is emitted.
    ready: (key) => {
      current = key;
      for (let i = 0; i < subscribers.length; i++) {
        const wait = subscribers[i]!.readyOrWait(key);
        if (wait) return readyFrom(wait, i + 1, key);
      }
      return undefined;
    },
    done: (key) => {
      for (let i = 0; i < publishers.length; i++) {
        const wait = publishers[i]!.stepDoneOrWait(key);
        if (wait) return doneFrom(wait, i + 1, key);
      }
      return commitDue();
    },
    finish: async () => {
      current = END_KEY;
      for (const s of subscribers) for (const deliver of s.atEnd) deliver();
      for (const s of subscribers) {
        const why = s.undelivered();
        if (why) throw new AlphaError(why);
      }
    },
    complete: () => {
      for (const name of read) outputs.get(name)!.complete();
    },
  };
  return {
    hooks,
    received: () => subscribers.reduce((n, s) => n + s.received, 0),
    duplicates: () => subscribers.reduce((n, s) => n + s.duplicates, 0),
    deadLettered: () => subscribers.reduce((n, s) => n + s.deadLettered, 0),
    close: async () => {
      // Close everything even when a flush failed (open clients would keep the process alive), then report it.
      const flushed = await Promise.allSettled(publishers.map((p) => p.flush()));
      await Promise.allSettled([...publishers.map((p) => p.close()), ...subscribers.map((s) => s.close())]);
      const failed = flushed.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    },
  };
}
