/**
 * Hostile topologies: every case is refused at validation with a located message, never a crash, a
 * hang or a name that could leave a folder (a node name becomes OUT/taps/NODE.jsonl and a topic).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { registry } from '../../operators/index.ts';
import { loadTopology, MAX_TOPOLOGY_BYTES } from '../../pipelines/topology/load.ts';
import { formatProblem } from '../../pipelines/topology/problems.ts';
import { MAX_NODES, validateTopology } from '../../pipelines/topology/validate.ts';

const problemsOf = (yaml: string, sets: string[] = []): string[] =>
  validateTopology(loadTopology('t.yaml', sets, yaml), registry).problems.map(formatProblem);

const node = (name: string): string => `name: t\nnodes:\n  - name: ${JSON.stringify(name)}\n    type: source.replay\n`;

describe('YAML nested thousands deep', () => {
  it('is one problem saying so, where it was, not the parser running out of stack', () => {
    const deep = `name: t\nnodes: ${'['.repeat(200_000)}${']'.repeat(200_000)}\n`;
    const problems = problemsOf(deep);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^t\.yaml:2:\d+: YAML nested too deeply to read — a topology nests a few levels/);
  });
});

describe('a key or value holding a line break or an escape sequence', () => {
  it('is quoted on the line of its problem, its control bytes spelled out (it printed a line of its own, ESC and all)', () => {
    const problems = problemsOf('name: t\nseed: 1\n"x\\nalpha: ok\\e[2K": 1\nnodes: []\n');
    expect(problems[0]).toBe('t.yaml:3:1: unknown key "x\\nalpha: ok\\x1b[2K" — expected one of: name, seed, data, taps, groups, nodes');
    for (const p of problems) expect(p.includes('\n') || p.includes('\u001b')).toBe(false);
  });
});

describe('names are identifiers', () => {
  it.each([
    ['../../etc/evil', 'is not a name'],
    ['a/b', 'is not a name'],
    ['quotes.out', 'a dot separates a node from its output port'],
    ['x"]\nclick x call alert()', 'is not a name'],
    ['9lives', 'is not a name'],
    ['a'.repeat(65), 'has 65 characters, more than 64'],
  ])('refuses the node name %j', (name, words) => {
    const [p] = problemsOf(node(name));
    expect(p).toMatch(/^t\.yaml:3:\d+: node name /);
    expect(p).toContain(words);
    expect(p).toContain('a letter, then letters, digits');
    // The dot's explanation only where there is a dot.
    if (!name.includes('.')) expect(p).not.toContain('a dot separates');
  });

  it('refuses a topology name and a group name that are not names', () => {
    expect(problemsOf(`name: ../x\nnodes:\n  - name: q\n    type: source.replay\n`).join('\n')).toContain(
      'topology name "../x" is not a name',
    );
    const grouped = `name: t\ngroups:\n  "a/b": [bars]\nnodes:\n  - name: q\n    type: source.replay\n  - name: bars\n    type: feature.bars\n    inputs: q\n`;
    expect(problemsOf(grouped).join('\n')).toContain('group name "a/b" is not a name');
  });

  it('accepts names at the limits', () => {
    expect(problemsOf(node(`q${'_-9'.repeat(21)}`))).toEqual([]);
  });
});

describe('shapes that used to be ignored', () => {
  it.each([
    ['a string', 'taps: bars'],
    ['a mapping', 'taps: { bars: true }'],
  ])('refuses taps given as %s', (_what, line) => {
    expect(problemsOf(`${node('q')}${line}\n`).join('\n')).toMatch(/taps is .* — a list of node names/);
  });

  it('shows .nan and .inf params as NaN and Infinity, not null', () => {
    const text = 'name: t\nnodes:\n  - name: q\n    type: source.replay\n    params: { batch_size: .nan }\n';
    expect(problemsOf(text).join('\n')).toContain('param "batch_size" is NaN');
    expect(problemsOf(node('q'), ['q.batch_size=-.inf']).join('\n')).toContain('param "batch_size" is -Infinity');
  });

  it('shows a seed, data or inputs of .inf, .nan or 1e999 as Infinity and NaN, not null', () => {
    const text =
      'name: t\nseed: 1e999\ndata: .nan\nnodes:\n  - name: q\n    type: source.replay\n  - name: b\n    type: feature.bars\n    inputs: -.inf\n';
    const problems = problemsOf(text).join('\n');
    expect(problems).toContain('t.yaml:2:7: seed is Infinity — a non-negative integer');
    expect(problems).toContain('data is NaN');
    expect(problems).toContain('inputs is -Infinity');
  });

  it('locates a --set problem at the flag, not at a line of the file', () => {
    expect(problemsOf(node('q'), ['q.batch_size=0'])[0]).toMatch(/^--set q\.batch_size=0 node "q": param "batch_size" is 0 — /);
  });
});

describe('bounds', () => {
  it('stops an alias bomb with a message, and validate --format json still prints JSON', () => {
    const bomb = [
      'a: &a [x,x,x,x,x,x,x,x,x]',
      ...'bcdef'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdef'[i]}`).join(',')}]`),
    ].join('\n');
    expect(problemsOf(bomb)).toEqual([
      't.yaml:1:1: cannot expand the YAML: Excessive alias count indicates a resource exhaustion attack — at most 1000 alias expansions',
    ]);
  });

  it(`refuses more than ${MAX_NODES} nodes`, () => {
    const nodes = Array.from({ length: MAX_NODES + 1 }, (_, i) => `  - name: q${i}\n    type: source.replay\n`).join('');
    expect(problemsOf(`name: t\nnodes:\n${nodes}`)).toEqual([
      `t.yaml:2:1: ${MAX_NODES + 1} nodes — at most ${MAX_NODES} nodes in one topology`,
    ]);
  });

  it('reads only regular files of a bounded size: a FIFO, a device, a folder and a huge file are refused without opening them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alpha-hostile-'));
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const huge = join(dir, 'huge.yaml');
    writeFileSync(huge, `# ${'x'.repeat(MAX_TOPOLOGY_BYTES)}\n`);
    const read = (file: string): string => loadTopology(file).problems.map(formatProblem).join('\n');
    expect(read(fifo)).toContain('cannot read topology: not a regular file');
    expect(read('/dev/zero')).toContain('cannot read topology: not a regular file');
    expect(read(dir)).toContain('cannot read topology: a folder');
    expect(read(join(huge, 'x.yaml'))).toContain('a part of the path is not a folder');
    expect(read(huge)).toMatch(/topology is [\d,]+ bytes — at most 1,048,576 bytes/);
  });
});

describe('files the sinks write', () => {
  const sinks = (a: string, b: string): string =>
    `${node('q')}  - name: a\n    type: sink.parquet\n    inputs: q\n    params: { file: ${a} }\n  - name: b\n    type: sink.parquet\n    inputs: q\n    params: { file: ${b} }\n`;

  it('refuses two sinks writing one file', () => {
    expect(problemsOf(sinks('x.parquet', 'x.parquet'))).toEqual([
      't.yaml:12:5 node "b": writes x.parquet, as node "a" does — give each sink its own file',
    ]);
  });

  it('keeps a sink file inside the output folder (sink.parquet takes a bare .parquet name)', () => {
    expect(problemsOf(sinks('x.parquet', 'y.parquet'))).toEqual([]);
    expect(problemsOf(sinks('x.parquet', '../y.parquet')).join('\n')).toContain('a file name ending in .parquet, without folders');
  });
});

describe('property: random topologies', () => {
  const types = [...registry.keys(), 'no.such-type'];
  const value = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.string({ maxLength: 8 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.integer(), { maxLength: 3 }),
  );
  const rawNode = fc.record(
    {
      name: fc.oneof(fc.constantFrom('a', 'b', 'c', 'quotes', 'bars', '../x', 'a.b', ''), fc.string({ maxLength: 10 })),
      type: fc.constantFrom(...types),
      inputs: fc.oneof(
        fc.constantFrom('a', 'b', 'c', 'quotes', 'a.out', 'b.states'),
        fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('quotes', 'trades', 'bars', 'orders', 'x'), fc.constantFrom('a', 'b', 'c')),
      ),
      params: fc.dictionary(fc.constantFrom('minutes', 'batch_size', 'schema', 'file', 'windows', 'x'), value),
      transport: fc.constantFrom('inline', 'kafka', { kind: 'kafka', partitions: 0 }),
    },
    { requiredKeys: ['name', 'type'] },
  );
  const topology = fc.record(
    {
      name: fc.oneof(fc.constant('t'), fc.string({ maxLength: 6 })),
      seed: value,
      taps: fc.oneof(fc.array(fc.constantFrom('a', 'b', 'zz'), { maxLength: 2 }), fc.string({ maxLength: 3 })),
      groups: fc.dictionary(fc.constantFrom('g1', 'g 2'), fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 2 })),
      nodes: fc.oneof(fc.array(rawNode, { maxLength: 6 }), value),
    },
    { requiredKeys: ['nodes'] },
  );

  it('either resolves or reports located problems: never throws', () => {
    fc.assert(
      fc.property(topology, (doc) => {
        const { topology: resolved, problems } = validateTopology(loadTopology('t.yaml', [], stringify(doc)), registry);
        expect(resolved === undefined).toBe(problems.length > 0);
        for (const p of problems) {
          expect(p.line).toBeGreaterThanOrEqual(1);
          expect(p.message.length).toBeGreaterThan(0);
        }
        if (resolved) for (const n of resolved.nodes) expect(n.name).toMatch(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/);
      }),
      { numRuns: 400, interruptAfterTimeLimit: 10_000 },
    );
  });
});

describe('a long --set', () => {
  it('is named cut at 80 characters in its problem, not echoed whole', () => {
    const flag = `q.dataset=${'x'.repeat(60_000)}`;
    const [p] = problemsOf(node('q'), [flag]);
    expect(p!.startsWith(`--set ${flag.slice(0, 79)}… node "q": param "dataset"`)).toBe(true);
    expect(p!.length).toBeLessThan(400);
  });
});

describe('dataset names', () => {
  it('refuses a replay dataset that is not a name, at validation', () => {
    expect(problemsOf(node('q'), ['q.dataset=../../etc'])).toEqual([
      '--set q.dataset=../../etc node "q": param "dataset" is "../../etc" — a dataset name: a letter, then letters, digits, "_", "-"; at most 64 characters (Name of the dataset in the data folder (or of its table in the lake).)',
    ]);
  });
});
