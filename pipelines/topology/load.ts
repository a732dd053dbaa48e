/**
 * Reads topology.yaml into a YAML document that keeps source positions, and applies
 * `--set NODE.PARAM=VALUE` overrides to it before validation.
 */
import { readFileSync, type Stats, statSync } from 'node:fs';
import { LineCounter, parseDocument, parse as parseYaml, isMap, isScalar, isSeq, type Document } from 'yaml';
import type { Problem } from './problems.ts';

export interface LoadedTopology {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** Paths set by --set, so their problems name the flag rather than a line of the file. */
  overrides: { path: (string | number)[]; flag: string }[];
  problems: Problem[];
  /** True when the file is not valid YAML: nothing else can be checked then. */
  syntaxErrors: boolean;
  /** The file has a `live:` section: it holds a live graph too (applied in live mode). */
  hasLive: boolean;
}

/** The largest topology file read (docs/topology.md). */
export const MAX_TOPOLOGY_BYTES = 1024 * 1024;

/**
 * Which graph of the file to load: `backtest` (the `nodes:` as written) or `live` (with the nodes
 * named under `live:` replaced, see applyMode).
 */
export type TopologyMode = 'backtest' | 'live';

export function loadTopology(file: string, sets: readonly string[] = [], text?: string, mode: TopologyMode = 'backtest'): LoadedTopology {
  const unreadable = (message: string, hint = 'pass the path of a topology.yaml'): LoadedTopology => ({
    file,
    doc: parseDocument(''),
    lines: new LineCounter(),
    overrides: [],
    syntaxErrors: true,
    hasLive: false,
    problems: [{ file, line: 1, col: 1, message, hint }],
  });
  let source: string;
  if (text !== undefined) source = text;
  else {
    // Look before opening: a FIFO or a device would block or never end.
    let stat: Stats;
    try {
      stat = statSync(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return unreadable(
        `cannot read topology: ${code === 'ENOENT' ? 'file not found' : code === 'ENOTDIR' ? 'a part of the path is not a folder' : String(err)}`,
      );
    }
    if (!stat.isFile()) return unreadable(`cannot read topology: ${stat.isDirectory() ? 'a folder' : 'not a regular file'}`);
    if (stat.size > MAX_TOPOLOGY_BYTES) {
      return unreadable(
        `topology is ${stat.size.toLocaleString('en-US')} bytes`,
        `at most ${MAX_TOPOLOGY_BYTES.toLocaleString('en-US')} bytes`,
      );
    }
    try {
      source = readFileSync(file, 'utf8');
    } catch (err) {
      return unreadable(`cannot read topology: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problems: Problem[] = doc.errors.map((e) => {
    const pos = lines.linePos(e.pos[0]);
    // The parser recurses per level of nesting: a file nested thousands deep runs it out of stack.
    if (/Maximum call stack size exceeded/.test(e.message))
      return {
        file,
        line: pos.line,
        col: pos.col,
        message: 'YAML nested too deeply to read',
        hint: 'a topology nests a few levels (nodes, params, lists)',
      };
    return { file, line: pos.line, col: pos.col, message: `YAML syntax error: ${firstLine(e.message)}`, hint: 'fix the YAML syntax' };
  });
  const overrides: LoadedTopology['overrides'] = [];
  const hasLive = isMap(doc.contents) && doc.contents.has('live');
  if (problems.length === 0) {
    applyMode(file, doc, lines, mode, problems);
    for (const flag of sets) applySet(doc, flag, overrides, problems);
  }
  return { file, doc, lines, overrides, problems, syntaxErrors: doc.errors.length > 0, hasLive };
}

function applySet(doc: Document.Parsed, flag: string, overrides: LoadedTopology['overrides'], problems: Problem[]): void {
  const match = /^([^.=]+)\.([^=]+)=(.*)$/s.exec(flag);
  // Named in problems as given, cut at 80 characters (a flag of 60 kB was printed whole).
  const label = `--set ${flag.length > 80 ? `${flag.slice(0, 79)}…` : flag}`;
  const bad = (message: string, hint: string): void => {
    problems.push({ file: label, line: 1, col: 1, message, hint });
  };
  if (!match) {
    bad('malformed override', 'use --set NODE.PARAM=VALUE, e.g. --set model.lambda=10');
    return;
  }
  const [, nodeName, paramPath, rawValue] = match as unknown as [string, string, string, string];
  const nodes = doc.get('nodes', true);
  if (!isSeq(nodes)) {
    bad('the topology has no nodes list', 'add a "nodes:" list');
    return;
  }
  const index = nodes.items.findIndex((n) => isMap(n) && n.get('name') === nodeName);
  if (index < 0) {
    const names = nodes.items.map((n) => (isMap(n) ? String(n.get('name')) : '')).filter(Boolean);
    bad(`no node named "${nodeName}"`, `nodes are: ${names.join(', ')}`);
    return;
  }
  let value: unknown;
  try {
    value = parseYaml(rawValue);
  } catch {
    value = rawValue;
  }
  const path = ['nodes', index, 'params', ...paramPath.split('.')];
  try {
    if (!doc.hasIn(['nodes', index, 'params'])) doc.setIn(['nodes', index, 'params'], doc.createNode({}));
    doc.setIn(path, doc.createNode(value));
  } catch {
    bad(
      `cannot set "${paramPath}" on node "${nodeName}": a value on that path is not a mapping`,
      'override a param, or a field of an object param',
    );
    return;
  }
  overrides.push({ path, flag: label });
}

const LIVE_KEYS = ['type', 'params', 'inputs'];

/**
 * `live:` maps node names to what replaces them in a live run (`type`, `params`, `inputs`; each
 * replaces the node's own whole, what is not given is kept), so one file serves both modes: a replay
 * source becomes source.itch, the simulated broker execution.ouch, and every edge stays. Checked in
 * both modes (each name a node of `nodes:`, only those keys); applied in live mode, then removed.
 */
function applyMode(file: string, doc: Document.Parsed, lines: LineCounter, mode: TopologyMode, problems: Problem[]): void {
  if (!isMap(doc.contents)) return;
  const live = doc.contents.get('live', true);
  if (live === undefined) return;
  doc.contents.delete('live');
  const at = (node: unknown, message: string, hint: string): void => {
    const range = (node as { range?: [number, number] } | undefined)?.range;
    const pos = range ? lines.linePos(range[0]) : { line: 1, col: 1 };
    problems.push({ file, line: pos.line, col: pos.col, message, hint });
  };
  if (!isMap(live)) {
    at(
      live,
      'live: is not a mapping',
      'map node names to their live replacement, e.g. live: { quotes: { type: source.itch, params: {…} } }',
    );
    return;
  }
  const nodes = doc.get('nodes', true);
  const list = isSeq(nodes) ? nodes.items : [];
  const names = list.map((n) => (isMap(n) ? String(n.get('name')) : ''));
  for (const pair of live.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const index = names.indexOf(name);
    if (index < 0) {
      at(pair.key, `live: no node named "${name}"`, `name a node of nodes: (${names.filter(Boolean).join(', ')})`);
      continue;
    }
    if (!isMap(pair.value)) {
      at(pair.value ?? pair.key, `live.${name} is not a mapping`, `give any of ${LIVE_KEYS.join(', ')}`);
      continue;
    }
    let ok = true;
    for (const field of pair.value.items) {
      const key = isScalar(field.key) ? String(field.key.value) : String(field.key);
      if (!LIVE_KEYS.includes(key)) {
        at(field.key, `live.${name}: unknown key "${key}"`, `only ${LIVE_KEYS.join(', ')} (the node keeps its name and transport)`);
        ok = false;
      }
    }
    if (!ok || mode !== 'live') continue;
    const target = list[index]!;
    if (!isMap(target)) continue;
    for (const field of pair.value.items) target.set(field.key, field.value);
    // A params mapping given for a new type replaces the old type's params whole.
    if (pair.value.has('type') && !pair.value.has('params')) target.delete('params');
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
