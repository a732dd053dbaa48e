/**
 * Hostile command lines for `alpha sweep`: every one is refused before any run starts, as lines of
 * `alpha: <what, where, what would be accepted>` (every problem of the grid at once), exit 1, no stack
 * trace, and nothing written where --out points (nor a lock or staging folder beside it).
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runAlpha } from '../helpers/cli.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

interface Case {
  name: string;
  args: (out: string, data: string) => string[];
  /** Every line of stderr, in order (each a regular expression). */
  lines: RegExp[];
}

const grid = (...flags: string[]): string[] => flags.flatMap((f) => ['--grid', f]);
const OK = grid('sizing.gamma=500,1000');

const CASES: Case[] = [
  {
    name: 'no --grid',
    args: (o, d) => ['--out', o, '--data', d],
    // One problem is one line, as every refusal.
    lines: [/^alpha: --grid: none given, expected at least one --grid NODE\.PARAM=v1,v2,… \(nothing was run\)$/],
  },
  {
    name: 'several bad axes, all reported',
    args: (o, d) => [
      '--out',
      o,
      '--data',
      d,
      ...grid('sizing.gamma=abc,1', 'nosuch.x=1', 'sizing.gama=1', 'broker', 'broker.taker_fee_bps=1,,2'),
    ],
    lines: [
      /^alpha: --grid broker: expected NODE\.PARAM=v1,v2,…/,
      /^alpha: --grid broker\.taker_fee_bps=1,,2: value 2 of 3 is empty/,
      /^alpha: --grid sizing\.gamma=abc,1: value abc: node "sizing": param "gamma" is "abc" — /,
      /^alpha: --grid nosuch\.x=1: no node "nosuch" in topology\.yaml, expected one of: quotes, /,
      /^alpha: --grid sizing\.gama=1: node "sizing" \(risk\.mvo\) has no param "gama" \(did you mean "gamma"\?\)/,
      /^alpha: refusing to sweep: 5 problems in the grid, nothing was run$/,
    ],
  },
  {
    name: 'a control character in a flag is shown escaped',
    args: (o, d) => ['--out', o, '--data', d, ...grid('sizing.gamma=1\u0007\u001bc,2')],
    lines: [
      /^alpha: --grid sizing\.gamma=1\\u0007\\u001bc,2: value 1\\u0007\\u001bc: node "sizing": param "gamma" is .*\(nothing was run\)$/,
    ],
  },
  {
    name: 'a path as a node name',
    args: (o, d) => ['--out', o, '--data', d, ...grid('../../etc/passwd=1')],
    lines: [/^alpha: --grid \.\.\/\.\.\/etc\/passwd=1: "" is not a name, expected NODE\.PARAM with identifiers/],
  },
  {
    name: 'too many points',
    args: (o, d) => {
      const values = Array.from({ length: 40 }, (_, i) => i + 1).join(',');
      return ['--out', o, '--data', d, ...grid(`sizing.gamma=${values}`, `broker.taker_fee_bps=${values}`)];
    },
    lines: [/^alpha: --grid: 40 × 40 = 1600 points, expected at most 1000: fewer values or axes \(nothing was run\)$/],
  },
  ...['0', '-1', '1.5', 'abc', '65', '99999999999', ''].map(
    (jobs): Case => ({
      name: `--jobs ${JSON.stringify(jobs)}`,
      args: (o, d) => ['--out', o, '--data', d, ...OK, `--jobs=${jobs}`],
      lines: [/^alpha: --jobs is .*: expected a whole number of workers from 1 to 64$/],
    }),
  ),
  {
    name: '--out /',
    args: (_o, d) => ['--out', '/', '--data', d, ...OK],
    lines: [/^alpha: --out \/: is the root folder, expected a folder of its own/],
  },
  {
    name: '--out . (the working folder)',
    args: (_o, d) => ['--out', '.', '--data', d, ...OK],
    lines: [/^alpha: --out \.: is the working folder or one of its parents, expected a folder of its own/],
  },
  {
    name: 'a missing data folder',
    args: (o) => ['--out', o, '--data', '/nonexistent/data', ...OK],
    lines: [/^alpha: \/nonexistent\/data\/manifest\.json: /],
  },
  {
    name: '--from after the data',
    args: (o, d) => ['--out', o, '--data', d, ...OK, '--from', '2030-01-01'],
    lines: [/^alpha: .*manifest\.json: .*2030-01-01/],
  },
  {
    name: 'a bad base --set is a topology problem',
    args: (o, d) => ['--out', o, '--data', d, ...OK, '--set', 'broker.order_latency_us=-5'],
    lines: [/^alpha: --set broker\.order_latency_us=-5 node "broker": param "order_latency_us" is -5/],
  },
];

let data: string;
let root: string;
const results = new Map<string, CliRun>();

beforeAll(async () => {
  data = await dataset({ symbols: 4, days: 1, seed: 5 });
  root = tempDir('sweep-hostile');
  // Four at a time: each start of the command costs about half a second of CPU.
  for (let i = 0; i < CASES.length; i += 4) {
    await Promise.all(
      CASES.slice(i, i + 4).map(async (c, j) => {
        const dir = join(root, `case${i + j}`);
        mkdirSync(dir);
        results.set(c.name, await runAlpha(['sweep', 'topology.yaml', ...c.args(join(dir, 'out'), data)], 60_000));
      }),
    );
  }
}, 240_000);

describe('alpha sweep refuses hostile command lines', () => {
  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
    const run = results.get(c.name)!;
    expect(run.code, run.stderr).toBe(1);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(c.lines.length);
    lines.forEach((l, k) => expect(l).toMatch(c.lines[k]!));
    expect(run.stderr).not.toMatch(/\n\s+at |unexpected error/);
    // No control character reaches the terminal (a flag's are shown escaped).
    expect([...run.stderr].filter((c) => c < ' ' && c !== '\n')).toEqual([]);
    expect(run.stdout).toBe('');
    // Nothing was written: no output folder, lock or staging folder beside it.
    expect(readdirSync(join(root, `case${i}`))).toEqual([]);
  });

  it('refuses a non-empty --out without --overwrite, and a file as --out', async () => {
    const full = join(root, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'mine');
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    const [a, b] = await Promise.all([
      runAlpha(['sweep', 'topology.yaml', '--data', data, '--out', full, ...OK], 60_000),
      runAlpha(['sweep', 'topology.yaml', '--data', data, '--out', file, ...OK], 60_000),
    ]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/^alpha: --out .*full: not empty \(1 entry: keep\.txt\), expected a new or empty folder, or --overwrite/);
    expect(readdirSync(full)).toEqual(['keep.txt']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/^alpha: --out .*a-file: is a file, expected a folder/);
  });
});
