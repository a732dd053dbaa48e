/**
 * The `alpha` command line, run as a child process (`node bin/alpha.mjs …`). Each start costs about
 * half a second, so every command runs once, all of them concurrently, before the assertions.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it, expect } from 'vitest';
import { registry } from '../../operators/index.ts';
import type { PortSpec } from '../../operators/sdk/spec.ts';
import { loadTopology } from '../../pipelines/topology/load.ts';
import { validateTopology } from '../../pipelines/topology/validate.ts';
import { ROOT, runAlpha, type CliRun as Run } from '../helpers/cli.ts';

const BAD = 'test/fixtures/topologies/bad.yaml';
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const alpha = (...args: string[]): Promise<Run> => runAlpha(args, 60_000);

/** The problem lines (`FILE:LINE:COL …`) of an output. */
function problemLines(text: string): string[] {
  return text.split('\n').filter((l) => /^\S+:\d+:\d+[ :]/.test(l));
}

const outDir = mkdtempSync(join(tmpdir(), 'alpha-cli-'));
const backtestOut = join(outDir, 'run');
let runs: Record<
  'version' | 'validateOk' | 'validateBad' | 'validateJson' | 'graph' | 'ops' | 'schema' | 'backtestBad' | 'backtestBadSet',
  Run
>;

beforeAll(async () => {
  const [versionRun, validateOk, validateBad, validateJson, graph, ops, schema, backtestBad, backtestBadSet] = await Promise.all([
    alpha('--version'),
    alpha('validate', 'topology.yaml'),
    alpha('validate', BAD),
    alpha('validate', '--format', 'json', BAD),
    alpha('graph', 'topology.yaml'),
    alpha('ops'),
    alpha('schema'),
    alpha('backtest', BAD, '--out', backtestOut, '--quiet'),
    alpha('backtest', 'topology.yaml', '--set', 'nosuchnode.x=1', '--out', backtestOut, '--quiet'),
  ]);
  runs = { version: versionRun, validateOk, validateBad, validateJson, graph, ops, schema, backtestBad, backtestBadSet };
}, 120_000);

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

/** The four problems of the fixture, as the validator locates them. */
const EXPECTED_BAD = [
  `${BAD}:8:13 node "bars": unknown input "quotse" — did you mean "quotes"?`,
  `${BAD}:10:11 node "returns": unknown operator type "feature.lagged-return" — did you mean "feature.lagged-returns"?`,
  `${BAD}:14:13 node "model": input "quotes" emits Quote but port "cross_section" accepts CrossSection — connect a node whose output is CrossSection`,
  `${BAD}:18:21 node "out": param "file" is -1`,
];

describe('alpha --version', () => {
  it('prints the version of package.json', () => {
    expect(runs.version.code).toBe(0);
    expect(runs.version.stdout.trim()).toBe(version);
  });
});

describe('alpha validate', () => {
  it('accepts the default topology.yaml with exit code 0', () => {
    expect(runs.validateOk.code).toBe(0);
    const nodes = (readFileSync(join(ROOT, 'topology.yaml'), 'utf8').match(/^ {2}- name: /gm) ?? []).length;
    expect(runs.validateOk.stdout).toBe(`topology.yaml: valid (${nodes} nodes)\n`);
    expect(runs.validateOk.stderr).toBe('');
  });

  it('prints every problem of a bad topology as FILE:LINE:COL node "NAME": … on stderr and exits non-zero', () => {
    const { code, stdout, stderr } = runs.validateBad;
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stdout).toBe('');
    const lines = problemLines(stderr);
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).toMatch(/bad\.yaml:\d+:\d+ node "[^"]+": /);
    for (const expected of EXPECTED_BAD) expect(lines.some((l) => l.startsWith(expected))).toBe(true);
    expect(stderr).toContain(`4 problem(s) in ${BAD}`);
  });

  it('prints the problems as parseable JSON with --format json', () => {
    const { code, stdout } = runs.validateJson;
    expect(code).not.toBe(0);
    const report = JSON.parse(stdout) as {
      file: string;
      valid: boolean;
      problems: { file: string; line: number; col: number; node?: string; message: string }[];
    };
    expect(report.file).toBe(BAD);
    expect(report.valid).toBe(false);
    expect(report.problems.map((p) => [p.file, p.line, p.col, p.node]).sort()).toEqual([
      [BAD, 10, 11, 'returns'],
      [BAD, 14, 13, 'model'],
      [BAD, 18, 21, 'out'],
      [BAD, 8, 13, 'bars'],
    ]);
    expect(report.problems.find((p) => p.node === 'bars')?.message).toBe('unknown input "quotse"');
  });
});

describe('alpha graph', () => {
  it('prints a Mermaid flowchart with one edge per input, dotted for feedback ports', () => {
    const { code, stdout } = runs.graph;
    expect(code).toBe(0);
    expect(stdout.startsWith('flowchart LR\n')).toBe(true);
    const { topology } = validateTopology(loadTopology(join(ROOT, 'topology.yaml')), registry);
    expect(topology).toBeDefined();
    const edges = stdout
      .split('\n')
      .filter((l) => / -(->|\.->)\|/.test(l))
      .map((l) => l.trim());
    const expected: string[] = [];
    for (const node of topology!.nodes) {
      for (const [port, producers] of Object.entries(node.inputs)) {
        const feedback = (node.spec.inputs as Record<string, PortSpec>)[port]?.feedback === true;
        for (const p of producers) {
          // An input is a node (its main output) or node.port (another of its ports).
          const [from, port] = p.includes('.') ? (p.split('.') as [string, string]) : [p, 'out'];
          const schema = topology!.nodes.find((n) => n.name === from)!.ports[port];
          expected.push(`${from} ${feedback ? '-.->' : '-->'}|${port === 'out' ? schema : `${port}: ${schema}`}| ${node.name}`);
        }
      }
    }
    expect(edges.sort()).toEqual(expected.sort());
    // The two feedback ports of the default graph, and a plain edge.
    expect(edges).toContain('accounting -.->|PortfolioState| sizing');
    expect(edges).toContain('accounting -.->|PortfolioState| orders');
    expect(edges).toContain('accounting -.->|PortfolioState| pretrade');
    expect(edges).toContain('broker -.->|states: OrderState| pretrade');
    expect(edges).toContain('broker -->|Fill| accounting');
    expect(edges.filter((e) => e.includes('-.->'))).toHaveLength(4);
  });
});

describe('alpha ops', () => {
  it('lists every operator type of the registry', () => {
    expect(runs.ops.code).toBe(0);
    const listed = runs.ops.stdout
      .split('\n')
      .filter((l) => /^\S+ {2}— {2}/.test(l))
      .map((l) => l.split(' ')[0]);
    expect(listed.sort()).toEqual([...registry.keys()].sort());
    expect(listed.length).toBeGreaterThanOrEqual(16);
  });
});

describe('alpha schema', () => {
  it('prints a JSON Schema whose nodes items have one entry per operator type', () => {
    expect(runs.schema.code).toBe(0);
    const schema = JSON.parse(runs.schema.stdout) as {
      $schema: string;
      properties: { nodes: { items: { oneOf: { properties: { type: { const: string } } }[] } } };
    };
    expect(schema.$schema).toMatch(/json-schema\.org/);
    const types = schema.properties.nodes.items.oneOf.map((s) => s.properties.type.const);
    expect(types).toHaveLength(registry.size);
    expect(types.sort()).toEqual([...registry.keys()].sort());
  });
});

describe('alpha backtest', () => {
  it('refuses to run an invalid topology, with the messages of validate, an `alpha:` line each, and exit 1', () => {
    const { code, stderr } = runs.backtestBad;
    expect(code).toBe(1);
    const lines = stderr.trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(/^alpha: /);
    expect(lines.at(-1)).toBe('alpha: refusing to run: 4 problems in the topology');
    const problems = problemLines(lines.map((l) => l.slice('alpha: '.length)).join('\n'));
    expect(problems.sort()).toEqual(problemLines(runs.validateBad.stderr).sort());
    expect(problems).toHaveLength(4);
    expect(existsSync(backtestOut)).toBe(false);
  });

  it('refuses a --set naming no node in one `alpha:` line: the flag, what is wrong and the nodes there are', () => {
    const { code, stderr } = runs.backtestBadSet;
    expect(code).toBe(1);
    expect(stderr).toMatch(/^alpha: --set nosuchnode\.x=1: no node named "nosuchnode" — nodes are: quotes, trades, .*\n$/);
    expect(stderr.split('\n')).toHaveLength(2);
    expect(existsSync(backtestOut)).toBe(false);
  });
});
