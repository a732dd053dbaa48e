/**
 * Process groups and transports in topology.yaml:
 *
 *   groups:
 *     features: [bars, returns, …, normalised]          # or { nodes: [...], replicas: 2 }
 *     trading:  [model, alpha, sizing, …]
 *   nodes:
 *     - name: normalised
 *       transport: kafka                                # or { kind: kafka, topic: …, partitions: 4 }
 *
 * Sources are not assigned to groups: every group process replays the sources (each reads the same
 * files, so each sees the same data in the same order). Every edge between groups must be a Kafka
 * edge; a feedback edge may not cross groups (it reads state the consumer's process must hold); only
 * a group of per-symbol stages may have more than one replica.
 */
import { MAIN_PORT, type AnySpec } from '../../operators/sdk/spec.ts';
import { nameProblem, nameRule } from '../../lib/core/names.ts';
import { MAX_PARTITIONS } from '../../operators/sdk/kafka-params.ts';
import { edgeEnds } from './model.ts';
import { DEFAULT_PARTITIONS, defaultTopic, type Transport } from './transport.ts';

type Path = (string | number)[];
type Report = (path: Path, node: string | undefined, message: string, hint?: string) => void;

/**
 * The most processes the groups of one topology may run as, and so the most replicas of one group:
 * `--split` starts one per replica of each group, each a Node process of about 0.4 GB.
 */
export const MAX_GROUP_PROCESSES = 64;

export interface Group {
  name: string;
  nodes: string[];
  replicas: number;
}

/** Reads a node's `transport:`; undefined (with a problem reported) when it is malformed. */
/** A group's process as it is named (folders, consumer groups): `bars.1` for a replica of a replicated group, else the group's name. */
export function processName(group: string, replica: number, replicas: number): string {
  return replicas > 1 ? `${group}.${replica}` : group;
}

export function parseTransport(raw: unknown, topologyName: string, node: string, path: Path, at: Report): Transport | undefined {
  if (raw === undefined || raw === 'inline') return { kind: 'inline' };
  if (raw === 'kafka') return { kind: 'kafka', topic: defaultTopic(topologyName, node), partitions: DEFAULT_PARTITIONS };
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    const r = raw as Record<string, unknown>;
    const unknown = Object.keys(r).filter((k) => !['kind', 'topic', 'partitions'].includes(k));
    if (unknown.length) return void at([...path, unknown[0]!], node, `unknown key "${unknown[0]}" in transport`, 'kind, topic, partitions');
    if (r['kind'] !== 'kafka' && r['kind'] !== 'inline')
      return void at([...path, 'kind'], node, `transport kind is ${JSON.stringify(r['kind'])}`, '"kafka" or "inline"');
    if (r['kind'] === 'inline') return { kind: 'inline' };
    const topic = r['topic'] ?? defaultTopic(topologyName, node);
    if (typeof topic !== 'string' || !/^[a-zA-Z0-9._-]{1,200}$/.test(topic)) {
      return void at(
        [...path, 'topic'],
        node,
        `topic is ${JSON.stringify(topic)}`,
        'letters, digits, ".", "_" and "-" only (Kafka topic names)',
      );
    }
    const partitions = r['partitions'] ?? DEFAULT_PARTITIONS;
    if (!Number.isInteger(partitions) || (partitions as number) < 1 || (partitions as number) > MAX_PARTITIONS) {
      return void at(
        [...path, 'partitions'],
        node,
        `partitions is ${JSON.stringify(partitions)}`,
        `an integer from 1 to ${MAX_PARTITIONS}`,
      );
    }
    return { kind: 'kafka', topic, partitions: partitions as number };
  }
  at(path, node, `transport is ${JSON.stringify(raw)}`, '"kafka", "inline", or { kind: kafka, topic: NAME, partitions: N }');
  return undefined;
}

/** Reads `groups:`; reports malformed entries and unknown or doubly assigned nodes. */
export function parseGroups(raw: unknown, nodes: ReadonlyMap<string, { spec: AnySpec | undefined }>, at: Report): Group[] {
  if (raw === undefined) return [];
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    at(['groups'], undefined, `groups is ${JSON.stringify(raw)}`, 'a mapping of group name to a list of node names');
    return [];
  }
  const groups: Group[] = [];
  const owner = new Map<string, string>();
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const path: Path = ['groups', name];
    const bad = nameProblem(name);
    if (bad) at(path, undefined, `group name ${JSON.stringify(name)} ${bad}`, nameRule());
    const spec = Array.isArray(value)
      ? { nodes: value, replicas: 1 }
      : value && typeof value === 'object'
        ? (value as Record<string, unknown>)
        : undefined;
    const list = spec?.['nodes'];
    const replicas = spec?.['replicas'] ?? 1;
    if (!Array.isArray(list)) {
      at(path, undefined, `group "${name}" is ${JSON.stringify(value)}`, 'a list of node names, or { nodes: [...], replicas: N }');
      continue;
    }
    const replicasOk = Number.isInteger(replicas) && (replicas as number) >= 1 && (replicas as number) <= MAX_GROUP_PROCESSES;
    if (!replicasOk)
      at([...path, 'replicas'], undefined, `replicas is ${JSON.stringify(replicas)}`, `an integer from 1 to ${MAX_GROUP_PROCESSES}`);
    if (list.length === 0) at(path, undefined, `group "${name}" has no nodes`, 'list the nodes it runs, or leave the group out');
    const members: string[] = [];
    list.forEach((n: unknown, i) => {
      const itemPath = Array.isArray(value) ? [...path, i] : [...path, 'nodes', i];
      const node = typeof n === 'string' ? nodes.get(n) : undefined;
      if (typeof n !== 'string' || !node) return at(itemPath, undefined, `unknown node ${JSON.stringify(n)} in group "${name}"`);
      if (node.spec?.kind === 'source') {
        return at(
          itemPath,
          n,
          `source "${n}" is listed in group "${name}"`,
          'leave sources out: every group process replays the sources it reads',
        );
      }
      const first = owner.get(n);
      if (first) return at(itemPath, n, `node "${n}" is in groups "${first}" and "${name}"`, 'each node runs in exactly one group');
      owner.set(n, name);
      members.push(n);
    });
    // A refused count counts as one process below: one bad value, one problem.
    groups.push({ name, nodes: members, replicas: replicasOk ? (replicas as number) : 1 });
  }
  const processes = groups.reduce((n, g) => n + g.replicas, 0);
  if (processes > MAX_GROUP_PROCESSES)
    at(
      ['groups'],
      undefined,
      `the groups run as ${processes} processes`,
      `at most ${MAX_GROUP_PROCESSES} in all (a group's replicas each count)`,
    );
  for (const [name, node] of nodes) {
    if (node.spec && node.spec.kind !== 'source' && !owner.has(name) && groups.length > 0) {
      at(['groups'], name, `node "${name}" is in no group`, `add it to one of: ${groups.map((g) => g.name).join(', ')}`);
    }
  }
  return groups;
}

/** Edge rules once inputs are bound: cross-group edges are Kafka edges, no feedback crosses, replicas only for per-symbol groups. */
export function checkGroupEdges(
  groups: readonly Group[],
  nodes: readonly { name: string; index: number; spec: AnySpec; inputs: Record<string, string[]>; transport: Transport }[],
  at: Report,
): void {
  if (groups.length === 0) return;
  const groupOf = new Map(groups.flatMap((g) => g.nodes.map((n) => [n, g.name] as const)));
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const node of nodes) {
    const mine = groupOf.get(node.name);
    if (mine === undefined) continue;
    for (const [port, producers] of Object.entries(node.inputs)) {
      for (const edge of producers) {
        const { node: p, port: out } = edgeEnds(edge);
        const theirs = groupOf.get(p);
        if (theirs === undefined || theirs === mine) continue;
        const producer = byName.get(p);
        if (out !== MAIN_PORT) {
          at(
            ['nodes', node.index, 'inputs'],
            node.name,
            `input "${edge}" comes from group "${theirs}", not "${mine}": only a node's main output crosses groups`,
            `put ${p} and ${node.name} in one group, or bind ${p}'s main output`,
          );
        } else if ((node.spec.inputs as Record<string, { feedback?: boolean }>)[port]?.feedback) {
          at(
            ['nodes', node.index, 'inputs'],
            node.name,
            `feedback input "${p}" (port "${port}") comes from group "${theirs}", not "${mine}"`,
            'a feedback edge reads state of the same process: put both nodes in one group',
          );
        } else if (producer && producer.transport.kind !== 'kafka') {
          at(
            ['nodes', producer.index, 'name'],
            p,
            `edge ${p} → ${node.name} crosses from group "${theirs}" to "${mine}" but ${p} is not a Kafka edge`,
            `give ${p} "transport: kafka"`,
          );
        }
      }
    }
  }
  for (const g of groups) {
    if (g.replicas <= 1) continue;
    const whole = g.nodes.filter((n) => {
      const spec = byName.get(n)?.spec;
      return !(spec?.kind === 'operator' && spec.partitionable);
    });
    if (whole.length > 0) {
      at(
        ['groups', g.name],
        undefined,
        `group "${g.name}" has ${g.replicas} replicas but ${whole.join(', ')} need${whole.length === 1 ? 's' : ''} the whole universe`,
        'only groups of per-symbol stages can be split by symbol; use replicas: 1',
      );
    }
  }
}
