/**
 * Checks a loaded topology against the operator registry and resolves it. Every problem is reported
 * with its file position, so a user sees them all at once; the run refuses to start if there is any.
 */
import { isMap, isSeq, isScalar, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { outputPorts, outputSchema, type AnySpec, type PortSpec } from '../../operators/sdk/spec.ts';
import type { LoadedTopology } from './load.ts';
import { nameProblem, nameRule } from '../../lib/core/names.ts';
import { showValue } from '../../lib/core/zod-issues.ts';
import { closest, type Problem } from './problems.ts';
import { edgeEnds, type ResolvedNode, type Topology } from './model.ts';
import { duplicateNames, nodeFeatures, upstreamFeatures } from './features.ts';
import { FIXED_COLUMNS } from '../../lib/io/cross-section-table.ts';
import { checkGroupEdges, parseGroups, parseTransport } from './groups.ts';
import type { Transport } from './transport.ts';

type Path = (string | number)[];

/** Bounds on what one topology may ask for (docs/topology.md). */
export const MAX_NODES = 1000;
export const MAX_ALIASES = 1000;
/** Files a run writes in its output folder besides its sinks'. */
export const RUN_FILES = ['summary.json', 'dead_letters.jsonl', 'topology.resolved.yaml'];

const TOP_LEVEL_KEYS = ['name', 'seed', 'data', 'taps', 'groups', 'nodes'];
const NODE_KEYS = ['name', 'type', 'inputs', 'params', 'transport'];

export function validateTopology(
  loaded: LoadedTopology,
  registry: ReadonlyMap<string, AnySpec>,
): { topology?: Topology; problems: Problem[] } {
  const problems: Problem[] = [...loaded.problems];
  if (loaded.syntaxErrors) return { problems };
  const { doc, file } = loaded;

  const report =
    (preferKey: boolean) =>
    (path: Path, node: string | undefined, message: string, hint?: string): void => {
      const override = loaded.overrides.find((o) => startsWith(path, o.path));
      const where = override ? { file: override.flag, line: 1, col: 1 } : { file, ...position(loaded, path, preferKey) };
      problems.push({ ...where, ...(node !== undefined ? { node } : {}), message, ...(hint ? { hint } : {}) });
    };
  /** A problem with the value at `path`. */
  const at = report(false);
  /** A problem with the key at the end of `path` (an unknown key). */
  const atKey = report(true);

  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    // The yaml library stops an alias bomb (aliases that expand without bound); say so where the file is.
    at(
      [],
      undefined,
      `cannot expand the YAML: ${err instanceof Error ? err.message : String(err)}`,
      `at most ${MAX_ALIASES} alias expansions`,
    );
    return { problems };
  }
  if (!isRecord(root)) {
    at([], undefined, 'the topology must be a mapping', 'start with "name:", "seed:" and "nodes:"');
    return { problems };
  }
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL_KEYS.includes(key)) atKey([key], undefined, `unknown key "${key}"`, suggest(key, TOP_LEVEL_KEYS));
  }
  const name = typeof root['name'] === 'string' ? root['name'] : 'topology';
  const nameIssue =
    root['name'] === undefined ? undefined : typeof root['name'] !== 'string' ? 'is not a string' : nameProblem(name, { dots: true });
  if (nameIssue) at(['name'], undefined, `topology name ${JSON.stringify(root['name'])} ${nameIssue}`, nameRule({ dots: true }));
  const seed = root['seed'] ?? 1;
  if (!Number.isSafeInteger(seed) || (seed as number) < 0) at(['seed'], undefined, `seed is ${showValue(seed)}`, 'a non-negative integer');
  const data = root['data'];
  if (data !== undefined && typeof data !== 'string') at(['data'], undefined, `data is ${showValue(data)}`, 'a folder path');
  const rawNodes = root['nodes'];
  if (!Array.isArray(rawNodes) || rawNodes.length === 0) {
    at(rawNodes === undefined ? [] : ['nodes'], undefined, 'no nodes', 'a "nodes:" list with at least a source and a sink');
    return { problems };
  }
  if (rawNodes.length > MAX_NODES) {
    at(['nodes'], undefined, `${rawNodes.length} nodes`, `at most ${MAX_NODES} nodes in one topology`);
    return { problems };
  }

  // Pass 1: names, types, params.
  const byName = new Map<string, { index: number; spec: AnySpec | undefined; raw: Record<string, unknown>; params?: unknown }>();
  const nodes: { index: number; name: string; spec: AnySpec; raw: Record<string, unknown>; params: unknown; transport: Transport }[] = [];
  rawNodes.forEach((raw: unknown, index: number) => {
    const base: Path = ['nodes', index];
    if (!isRecord(raw)) return at(base, undefined, 'a node must be a mapping', 'name:, type:, inputs:, params:');
    const nodeName = raw['name'];
    if (typeof nodeName !== 'string' || nodeName === '') {
      return at([...base, 'name'], undefined, `node name is ${JSON.stringify(nodeName)}`, 'a non-empty string');
    }
    const bad = nameProblem(nodeName);
    if (bad) {
      return at([...base, 'name'], undefined, `node name ${JSON.stringify(nodeName)} ${bad}`, nameRule());
    }
    for (const key of Object.keys(raw)) {
      if (!NODE_KEYS.includes(key)) atKey([...base, key], nodeName, `unknown key "${key}"`, suggest(key, NODE_KEYS));
    }
    if (byName.has(nodeName)) {
      const first = position(loaded, ['nodes', byName.get(nodeName)!.index, 'name']);
      at([...base, 'name'], nodeName, 'duplicate node name', `node names must be unique (first defined at line ${first.line})`);
      return;
    }
    const type = raw['type'];
    const spec = typeof type === 'string' ? registry.get(type) : undefined;
    byName.set(nodeName, { index, spec, raw });
    if (typeof type !== 'string')
      return at([...base, 'type'], nodeName, `missing operator type`, 'e.g. type: feature.lagged-returns (list them with `alpha ops`)');
    if (!spec) {
      const guess = closest(type, registry.keys());
      return at(
        [...base, 'type'],
        nodeName,
        `unknown operator type "${type}"`,
        guess ? `did you mean "${guess}"?` : 'see `alpha ops` for the types',
      );
    }
    const parsed = spec.params.safeParse(raw['params'] ?? {});
    if (!parsed.success) {
      for (const issue of parsed.error.issues) paramProblem(at, atKey, base, nodeName, spec, raw['params'], issue);
    }
    if (parsed.success) byName.get(nodeName)!.params = parsed.data;
    const transport = parseTransport(raw['transport'], name, nodeName, [...base, 'transport'], at) ?? { kind: 'inline' as const };
    if (transport.kind === 'kafka' && spec.output === null)
      at([...base, 'transport'], nodeName, `${type} has no output to send to Kafka`, 'remove "transport:"');
    // Inputs are checked even when params are not, so every problem is reported at once.
    nodes.push({ index, name: nodeName, spec, raw, params: parsed.success ? parsed.data : undefined, transport });
  });

  // Pass 2: inputs.
  const resolved = new Map<string, ResolvedNode>();
  for (const node of nodes) {
    const inputs = bindInputs(node, byName, at, atKey);
    if (inputs && node.params !== undefined) {
      resolved.set(node.name, {
        name: node.name,
        type: node.spec.type,
        spec: node.spec,
        inputs,
        params: node.params,
        transport: node.transport,
        output: outputSchema(node.spec, node.params),
        ports: outputPorts(node.spec, node.params),
      });
    }
  }
  const groups = parseGroups(root['groups'], byName, at);
  checkGroupEdges(
    groups,
    nodes.flatMap((n) => (resolved.has(n.name) ? [{ ...n, inputs: resolved.get(n.name)!.inputs }] : [])),
    at,
  );

  const rawTaps = root['taps'];
  if (rawTaps !== undefined && !Array.isArray(rawTaps)) at(['taps'], undefined, `taps is ${showValue(rawTaps)}`, 'a list of node names');
  const taps = Array.isArray(rawTaps) ? (rawTaps as unknown[]) : [];
  taps.forEach((tap, i) => {
    if (typeof tap !== 'string' || !byName.has(tap)) {
      at(['taps', i], undefined, `unknown node ${JSON.stringify(tap)} under taps`, suggest(String(tap), byName.keys()));
    }
  });

  // Pass 3: cycles (feedback ports excluded) and order.
  const order = topologicalOrder(resolved, (name, cycle) => {
    const entry = byName.get(name)!;
    at(
      ['nodes', entry.index, 'inputs'],
      name,
      `cycle ${cycle.join(' → ')}`,
      'remove an edge, or read the later node through a feedback port',
    );
  });
  if (problems.length > 0 || !order) return { problems };

  // Files the sinks write: one writer per file, none of the run's own.
  const writers = new Map<string, string>();
  for (const name of order) {
    const node = resolved.get(name)!;
    if (node.spec.kind !== 'operator' || !node.spec.writes) continue;
    for (const file of node.spec.writes(node.params)) {
      const at_ = ['nodes', byName.get(name)!.index, 'params'];
      if (RUN_FILES.includes(file)) at(at_, name, `writes ${file}, a file the run itself writes`, 'choose another file name');
      else if (writers.has(file)) at(at_, name, `writes ${file}, as node "${writers.get(file)}" does`, 'give each sink its own file');
      else writers.set(file, name);
    }
  }
  if (problems.length > 0) return { problems };

  // Pass 4: feature names, now that every producer is known.
  const emitted = new Map<string, readonly string[]>();
  for (const name of order) {
    const node = resolved.get(name)!;
    const index = byName.get(name)!.index;
    const upstream = upstreamFeatures(node, emitted);
    const names = nodeFeatures(node, upstream);
    emitted.set(name, names);
    const twice = node.output === 'CrossSection' ? duplicateNames(names) : [];
    if (twice.length > 0) {
      at(
        ['nodes', index, 'inputs'],
        name,
        `feature names occur more than once in the cross-section: ${twice.join(', ')}`,
        "each column needs its own name: change the producers' params so their columns differ, or bind one of them",
      );
    }
    const fixed = names.filter((n) => FIXED_COLUMNS.includes(n));
    if (fixed.length > 0) {
      at(
        ['nodes', index, 'params'],
        name,
        `feature names ${fixed.join(', ')} are the names of a cross-section's fixed columns (${FIXED_COLUMNS.join(', ')})`,
        'name the features otherwise: the table research reads has those columns before the features',
      );
    }
    if (node.spec.kind === 'operator' && node.spec.checkFeatures) {
      for (const p of node.spec.checkFeatures(node.params, upstream)) at(['nodes', index, 'params', ...p.param], name, p.message, p.hint);
    }
  }
  if (problems.length > 0) return { problems };
  return {
    problems,
    topology: {
      file,
      name,
      seed: seed as number,
      data: data as string | undefined,
      taps: taps as string[],
      groups,
      nodes: order.map((n) => resolved.get(n)!),
    },
  };
}

function bindInputs(
  node: { index: number; name: string; spec: AnySpec; raw: Record<string, unknown> },
  byName: Map<string, { index: number; spec: AnySpec | undefined; params?: unknown }>,
  at: (path: Path, node: string | undefined, message: string, hint?: string) => void,
  atKey: (path: Path, node: string | undefined, message: string, hint?: string) => void,
): Record<string, string[]> | undefined {
  const base: Path = ['nodes', node.index, 'inputs'];
  const ports = Object.entries(node.spec.inputs) as [string, PortSpec][];
  const raw = node.raw['inputs'];
  const bound: Record<string, string[]> = {};
  const bound_paths: Record<string, Path[]> = {};
  let ok = true;
  const bind = (port: string, producer: unknown, path: Path): void => {
    if (typeof producer !== 'string') {
      ok = false;
      at(path, node.name, `input is ${JSON.stringify(producer)}`, 'the name of another node');
      return;
    }
    (bound[port] ??= []).push(producer);
    (bound_paths[port] ??= []).push(path);
  };
  if (raw === undefined || raw === null) {
    // no inputs declared
  } else if (ports.length === 0) {
    at(base, node.name, `${node.spec.type} takes no inputs`, 'remove "inputs:"');
    return undefined;
  } else if (typeof raw === 'string') {
    bind(ports[0]![0], raw, base);
  } else if (Array.isArray(raw)) {
    if (ports[0]![1].variadic) raw.forEach((p, i) => bind(ports[0]![0], p, [...base, i]));
    else if (raw.length > ports.length) {
      at(base, node.name, `${raw.length} inputs for ${ports.length} ports`, `ports are: ${describePorts(ports)}`);
      return undefined;
    } else raw.forEach((p, i) => bind(ports[i]![0], p, [...base, i]));
  } else if (isRecord(raw)) {
    for (const [port, value] of Object.entries(raw)) {
      const spec = node.spec.inputs[port];
      if (!spec) {
        ok = false;
        atKey([...base, port], node.name, `unknown input port "${port}"`, `ports are: ${describePorts(ports)}`);
        continue;
      }
      if (Array.isArray(value) && spec.variadic) value.forEach((p, i) => bind(port, p, [...base, port, i]));
      else bind(port, value, [...base, port]);
    }
  } else {
    at(base, node.name, `inputs is ${showValue(raw)}`, 'a node name, a list of node names, or a mapping port: node');
    return undefined;
  }
  for (const [port, spec] of ports) {
    const producers = bound[port] ?? [];
    if (producers.length === 0 && !spec.optional) {
      ok = false;
      at(
        raw === undefined ? ['nodes', node.index] : base,
        node.name,
        `input port "${port}" is not connected`,
        `connect a node whose output is ${spec.schema} (${spec.description})`,
      );
    }
    producers.forEach((producer, i) => {
      const path = bound_paths[port]![i]!;
      const ends = edgeEnds(producer);
      const target = byName.get(ends.node);
      if (!target) {
        ok = false;
        return at(path, node.name, `unknown input "${producer}"`, suggest(producer, byName.keys()));
      }
      if (!target.spec || target.params === undefined) return; // reported at its own definition
      const outputs = outputPorts(target.spec, target.params);
      if (Object.keys(outputs).length === 0) {
        ok = false;
        return at(
          path,
          node.name,
          `input "${producer}" is a ${target.spec.type}, which has no output`,
          'connect a node that emits records',
        );
      }
      const produced = outputs[ends.port];
      if (produced === undefined) {
        ok = false;
        return at(
          path,
          node.name,
          `node "${ends.node}" has no output port "${ends.port}"`,
          `its ports are: ${Object.keys(outputs)
            .map((o) => (o === 'out' ? `${ends.node} (out)` : `${ends.node}.${o}`))
            .join(', ')}`,
        );
      }
      if (spec.schema !== '*' && produced !== spec.schema) {
        ok = false;
        at(
          path,
          node.name,
          `input "${producer}" emits ${produced} but port "${port}" accepts ${spec.schema}`,
          `connect a node whose output is ${spec.schema}`,
        );
      }
    });
  }
  return ok ? bound : undefined;
}

function topologicalOrder(nodes: Map<string, ResolvedNode>, onCycle: (node: string, cycle: string[]) => void): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  let failed = false;
  const stack: string[] = [];
  const visit = (name: string): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      failed = true;
      // The walk goes from consumers to producers: reverse it to read in the direction data flows.
      const cycle = [...stack.slice(stack.indexOf(name)), name].reverse();
      onCycle(name, cycle);
      return;
    }
    const node = nodes.get(name);
    if (!node) return;
    state.set(name, 'visiting');
    stack.push(name);
    for (const [port, producers] of Object.entries(node.inputs)) {
      if (node.spec.inputs[port]?.feedback) continue;
      for (const p of producers) visit(edgeEnds(p).node);
    }
    stack.pop();
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of nodes.keys()) visit(name);
  return failed ? undefined : order;
}

function paramProblem(
  at: (path: Path, node: string | undefined, message: string, hint?: string) => void,
  atKey: (path: Path, node: string | undefined, message: string, hint?: string) => void,
  base: Path,
  nodeName: string,
  spec: AnySpec,
  rawParams: unknown,
  issue: z.core.$ZodIssue,
): void {
  const known = spec.params instanceof z.ZodObject ? Object.keys(spec.params.shape) : [];
  const path: Path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    for (const key of issue.keys) {
      atKey([...base, 'params', ...path, key], nodeName, `unknown param "${key}"`, suggest(key, known));
    }
    return;
  }
  const label = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  const value = getPath(rawParams, path);
  const field = spec.params instanceof z.ZodObject ? (spec.params.shape as Record<string, z.ZodType>)[String(path[0])] : undefined;
  const description = field?.description ? ` (${field.description})` : '';
  if (value === undefined) {
    at([...base, 'params', ...path], nodeName, `missing param "${label}"`, `${issue.message}${description}`);
  } else {
    at([...base, 'params', ...path], nodeName, `param "${label}" is ${showValue(value)}`, `${issue.message}${description}`);
  }
}

/**
 * Line and column of the YAML node at `path`, or of its nearest ancestor that exists. Points at the
 * key of a mapping entry when asked to (unknown keys) or when the value is a whole block.
 */
export function position(loaded: LoadedTopology, path: Path, preferKey = false): { line: number; col: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = (depth === 0 ? loaded.doc.contents : loaded.doc.getIn(path.slice(0, depth), true)) as YamlNode | null | undefined;
    const range = node && (isMap(node) || isSeq(node) || isScalar(node)) ? node.range : undefined;
    if (range) {
      const key = depth === path.length && depth > 0 ? keyRange(loaded, path, preferKey || isMap(node) || isSeq(node)) : undefined;
      return loaded.lines.linePos(key ?? range[0]);
    }
  }
  return { line: 1, col: 1 };
}

function keyRange(loaded: LoadedTopology, path: Path, wanted: boolean): number | undefined {
  if (!wanted) return undefined;
  const parent = path.length === 1 ? loaded.doc.contents : loaded.doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path[path.length - 1]);
  return pair && isScalar(pair.key) ? pair.key.range?.[0] : undefined;
}

function getPath(value: unknown, path: Path): unknown {
  let v = value;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

function startsWith(path: Path, prefix: Path): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => String(p) === String(path[i]));
}

function suggest(word: string, candidates: Iterable<string>): string {
  const list = [...candidates];
  const guess = closest(word, list);
  return guess ? `did you mean "${guess}"?` : `expected one of: ${list.join(', ')}`;
}

function describePorts(ports: [string, PortSpec][]): string {
  return ports.map(([n, p]) => `${n} (${p.schema}${p.variadic ? ', list' : ''}${p.optional ? ', optional' : ''})`).join(', ');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
