/**
 * One process group of a live run (`alpha live FILE --group NAME`): the hybrid topology's colo group
 * near the venue and its cloud group, each its own process, joined by Kafka topics only.
 *
 * - The process runs its group's nodes, and the sources they read (no other: the cloud group opens
 *   no feed of its own when it reads the colo group's bars).
 * - Each edge it reads from another group is a live source in this process: a consumer of that
 *   edge's run topic (`<topic>.<run id>`) in the group's consumer group, its records stamped when
 *   this process received them, and captured like any other source. A restarted process goes on
 *   after the last batch its graph took.
 * - Each of its outputs another group reads is written to that run topic as it is emitted, and so is
 *   each of its nodes listed under `taps:` (one partition: in emission order), for `alpha tap --run`.
 *
 * The group's capture names the group, so `alpha backtest FILE --capture` replays that group alone,
 * with its Kafka inputs as captured: each group's replay matches its own live outputs.
 *
 * A group of per-symbol stages with `replicas: N` runs as N processes (`--replica I`), each taking the
 * records of its share of the symbols (murmur2 of the symbol modulo N, as in a split backtest) from
 * every source and Kafka input, with a consumer group and a capture of its own. Each partition of
 * what it publishes has one writer (the partition count is a multiple of N, so a symbol's partition
 * fixes its replica), which is what lets a resumed replica count what Kafka already has from it.
 */
import { AlphaError } from '../../lib/core/errors.ts';
import { rowsOf } from '../../lib/core/column-batch.ts';
import { Rng } from '../../lib/core/rng.ts';
import type { EdgeWriter } from '../../lib/io/kafka/edge-writer.ts';
import { KAFKA_STOP_WITHIN_MS, type KafkaSettings } from '../../lib/io/kafka/settings.ts';
import { kafkaSource } from '../../operators/source/kafka.ts';
import type { SchemaName } from '../../schemas/types.generated.ts';
import type { CapturedNode } from '../io/capture-log.ts';
import { processName } from '../topology/groups.ts';
import { edgeEnds, type Topology } from '../topology/model.ts';
import { type BuiltGraph, type BuiltSource, DECISION_SCHEMAS, type GraphClock } from './graph.ts';
import { groupEdges, runTopic } from './group/connect.ts';
import { NodeContext, type RunServices } from './node-context.ts';

export interface LiveGroup {
  name: string;
  /** Suffix of the run's topics and consumer groups: every group of one live run uses the same. */
  runId: string;
  /** Which replica of a replicated group this process is (0-based; default 0). */
  replica?: number;
}

export interface GroupPlan {
  /** The topology with only the sources this group reads (ranks stay those of the whole). */
  topology: Topology;
  members: Set<string>;
  /** Producer nodes of other groups whose outputs this group reads, and those of its own that others read. */
  read: string[];
  published: string[];
  /** Its nodes under `taps:` that no other group reads: mirrored to their run topics for `alpha tap`. */
  mirrored: string[];
  /** The group's replica count and this process's index among them. */
  replicas: number;
  replica: number;
}

/**
 * What a group's process runs: its nodes, the sources they read, its Kafka inputs and outputs.
 * `capture`: the file whose header named the group (a replay), for the messages.
 */
export function planGroup(topology: Topology, group: string, capture?: string, given?: number): GroupPlan {
  const what = capture ? `${capture}: the capture of group "${group}"` : `--group ${group}`;
  if (topology.groups.length === 0)
    throw new AlphaError(
      `${what}: ${topology.file} has no groups:${capture ? ' (replay it with the topology that ran the group)' : ' (a live run of it is one process; drop --group)'}`,
    );
  const g = topology.groups.find((x) => x.name === group);
  if (!g)
    throw new AlphaError(`${what}: ${topology.file} has no group "${group}" (groups: ${topology.groups.map((x) => x.name).join(', ')})`);
  if (given === undefined && g.replicas > 1)
    throw new AlphaError(
      `${what}: group "${group}" has replicas: ${g.replicas}: run one process per replica, each with --replica 0 … ${g.replicas - 1}`,
    );
  const replica = given ?? 0;
  if (!Number.isInteger(replica) || replica < 0 || replica >= g.replicas)
    throw new AlphaError(
      g.replicas === 1
        ? `${what} --replica ${replica}: group "${group}" has no replicas in ${topology.file} (it runs as one process): drop --replica`
        : `${what} --replica ${replica}: expected 0 … ${g.replicas - 1} (group "${group}" has replicas: ${g.replicas})`,
    );
  const members = new Set(g.nodes);
  const readByMembers = new Set(
    topology.nodes
      .filter((n) => members.has(n.name))
      .flatMap((n) => Object.values(n.inputs).flatMap((edges) => edges.map((e) => edgeEnds(e).node))),
  );
  const { published, read } = groupEdges(topology, group);
  const mirrored = topology.taps.filter((n) => members.has(n) && !published.includes(n));
  if (g.replicas > 1)
    for (const name of published) {
      const t = topology.nodes.find((n) => n.name === name)!.transport;
      const partitions = t.kind === 'kafka' ? t.partitions : 1;
      if (partitions % g.replicas !== 0)
        throw new AlphaError(
          `${what}: edge "${name}" has ${partitions} partitions and group "${group}" ${g.replicas} replicas: live, each partition needs one writer (a resumed replica counts what Kafka holds of its own); give it a multiple of ${g.replicas} partitions`,
        );
    }
  return {
    // A source no member reads stays closed here (another group's process owns it). Removing it does
    // not reorder the rest: sources come first, and every process of the run removes the same.
    topology: { ...topology, nodes: topology.nodes.filter((n) => n.spec.kind !== 'source' || readByMembers.has(n.name)) },
    members,
    read,
    published,
    mirrored,
    replicas: g.replicas,
    replica,
  };
}

/** The nodes a group's live run captures: its sources, its Kafka inputs (as sources), its external nodes. */
export function capturedGroupNodes(plan: GroupPlan): CapturedNode[] {
  const nodes: CapturedNode[] = [];
  for (const n of plan.topology.nodes) {
    if (n.spec.kind === 'source' || plan.read.includes(n.name))
      nodes.push({ node: n.name, kind: 'source', ports: { out: n.ports['out']! } });
    else if (n.spec.external && plan.members.has(n.name)) nodes.push({ node: n.name, kind: 'external', ports: { ...n.ports } });
  }
  return nodes;
}

/**
 * Creates the run topics this group reads and writes (with their edges' partitions) when missing, so
 * either group's process may start first. A Kafka that is not there stops the run before it trades.
 */
export async function ensureGroupTopics(plan: GroupPlan, group: LiveGroup, settings: KafkaSettings): Promise<void> {
  const { TopicAdmin } = await import('../../lib/io/kafka/admin.ts');
  let admin: Awaited<ReturnType<typeof TopicAdmin.connect>>;
  try {
    admin = await TopicAdmin.connect(settings);
  } catch (err) {
    throw new AlphaError(`--group ${group.name}: ${(err as Error).message}`);
  }
  try {
    for (const name of [...plan.read, ...plan.published, ...plan.mirrored])
      await admin.ensureTopic(runTopic(plan.topology, name, group.runId), partitionsOf(plan, name));
  } catch (err) {
    throw new AlphaError(`--group ${group.name}: ${(err as Error).message}`);
  } finally {
    await admin.close();
  }
}

/** The group's Kafka inputs as live sources delivering into the graph's edges of their producers. */
export function openGroupInputs(
  plan: GroupPlan,
  group: LiveGroup,
  graph: BuiltGraph,
  clock: GraphClock,
  services: RunServices,
  settings: KafkaSettings,
): BuiltSource[] {
  const { topology } = plan;
  const root = new Rng(topology.seed);
  return plan.read.map((name) => {
    const rank = topology.nodes.findIndex((n) => n.name === name);
    const node = topology.nodes[rank]!;
    const params = kafkaSource.params.parse({
      topic: runTopic(topology, name, group.runId),
      schema: node.ports['out'],
      group: `${topology.name}.${processName(group.name, plan.replica, plan.replicas)}.${name}.${group.runId}`,
      start: 'committed',
      brokers: settings.brokers.join(','),
      registry: settings.registryUrl,
    });
    const ctx = new NodeContext(name, clock.forNode(rank), root.fork(name), {}, services, graph.held);
    return {
      name,
      reader: kafkaSource.open(params, ctx) as BuiltSource['reader'],
      subject: graph.outputs.get(name)! as BuiltSource['subject'],
    };
  });
}

/** Stand-ins for a group's Kafka inputs on replay: the capture delivers their records. */
export function replayGroupInputs(plan: GroupPlan, graph: BuiltGraph): BuiltSource[] {
  return plan.read.map((name) => ({
    name,
    reader: { next: async () => null, close: async () => {} },
    subject: graph.outputs.get(name)! as BuiltSource['subject'],
  }));
}

export interface GroupOutputs {
  /**
   * Waits until the broker has every record written, at most KAFKA_STOP_WITHIN_MS: what it has not
   * acknowledged by then is given up. Throws an AlphaError when a write failed or was given up.
   */
  close(): Promise<void>;
  /**
   * A resume: what the graph emitted while the dead run's capture was taken again was held back; each
   * topic already has a prefix of it (per partition, in order), and what the dead run emitted but
   * Kafka never got is written now. Returns the records written.
   */
  publishMissing(): Promise<number>;
}

/**
 * A published edge's partitions. A tap's mirror has one per replica (keyed by symbol, a replica's
 * records fall in its own partition), so each replica's records read in emission order.
 */
function partitionsOf(plan: GroupPlan, name: string): number {
  const t = plan.topology.nodes.find((n) => n.name === name)!.transport;
  return t.kind === 'kafka' && !plan.mirrored.includes(name) ? t.partitions : plan.replicas;
}

/** Writes each published edge and mirrored tap to its run topic as the graph emits it (keyed by symbol, in order). */
export async function openGroupOutputs(
  plan: GroupPlan,
  group: LiveGroup,
  graph: BuiltGraph,
  settings: KafkaSettings,
  /** A resume: while `active`, what is emitted is held back for publishMissing. */
  recovery?: { active: boolean },
): Promise<GroupOutputs> {
  const { EdgeWriter } = await import('../../lib/io/kafka/edge-writer.ts');
  const { topology } = plan;
  const writers: { topic: string; w: EdgeWriter<unknown>; held: { key: string; value: unknown }[] }[] = [];
  let failure: AlphaError | undefined;
  const sends: Promise<void>[] = [];
  try {
    for (const name of [...plan.published, ...plan.mirrored]) {
      const topic = runTopic(topology, name, group.runId);
      const w = (await EdgeWriter.open(settings, {
        topic,
        schema: topology.nodes.find((n) => n.name === name)!.ports['out'] as SchemaName,
        partitions: partitionsOf(plan, name),
        producer: { 'linger.ms': '0' },
      })) as EdgeWriter<unknown>;
      const held: { key: string; value: unknown }[] = [];
      writers.push({ topic, w, held });
      // A warm-up's decisions are held back from other groups too, as from this group's own nodes.
      const gated = graph.gate !== undefined && DECISION_SCHEMAS.includes(topology.nodes.find((n) => n.name === name)!.ports['out'] ?? '');
      graph.outputs.get(name)!.subscribe((batch) => {
        if (failure || (gated && !graph.gate!.isOpen)) return;
        const records = (rowsOf(batch) as Record<string, unknown>[]).map((value) => ({
          key: typeof value['symbol'] === 'string' ? value['symbol'] : name,
          value,
        }));
        if (recovery?.active) {
          held.push(...records);
          return;
        }
        const sent = w.write(records).catch((err: unknown) => {
          failure ??= new AlphaError(`--group ${group.name}: writing ${name} to topic "${topic}" failed: ${(err as Error).message}`);
        });
        sends.push(sent);
        void sent.then(() => sends.splice(sends.indexOf(sent), 1));
      });
    }
  } catch (err) {
    await Promise.allSettled(writers.map(({ w }) => w.close()));
    throw new AlphaError(`--group ${group.name}: cannot open the group's Kafka outputs: ${(err as Error).message}`);
  }
  return {
    async publishMissing() {
      const { TopicAdmin } = await import('../../lib/io/kafka/admin.ts');
      const admin = await TopicAdmin.connect(settings);
      let written = 0;
      try {
        for (const { topic, w, held } of writers) {
          const has = new Map((await admin.offsets(topic)).map((o) => [o.partition, o.high]));
          const seen = new Map<number, number>();
          const missing = held.filter((r) => {
            const p = w.partitionOf(r.key);
            const n = (seen.get(p) ?? 0) + 1;
            seen.set(p, n);
            return n > (has.get(p) ?? 0);
          });
          for (const [p, n] of seen)
            if ((has.get(p) ?? 0) > n)
              throw new AlphaError(
                `--resume: topic "${topic}" partition ${p} holds ${has.get(p)} records, but the dead run emitted ${n}: another run wrote it (give the run's own --run-id)`,
              );
          held.length = 0;
          if (missing.length > 0)
            await w.write(missing).catch((err: unknown) => {
              throw new AlphaError(`--resume: writing what topic "${topic}" lacks failed: ${(err as Error).message}`);
            });
          written += missing.length;
        }
      } finally {
        await admin.close();
      }
      return written;
    },
    async close() {
      // Each writer's close waits for its sends (the broker's acknowledgements), within the bound.
      const closed = await Promise.allSettled(writers.map(({ w }) => w.close(KAFKA_STOP_WITHIN_MS)));
      await Promise.allSettled(sends);
      // A send given up at the stop rejected too: the close's reason says what and why.
      const given = closed.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
      if (given.length > 0) throw new AlphaError(`--group ${group.name}: at the stop, ${given.join('; ')}`);
      if (failure) throw failure;
    },
  };
}
