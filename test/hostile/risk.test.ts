/**
 * `alpha risk solve` on degenerate and extreme problems keeps its contract: a JSON result alone on
 * stdout, exit 0 (solved), 1 (any other outcome, with the reason on stderr) or 2 (malformed file), and
 * never a stack trace. The solver itself is checked in-process on random small problems.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { problemSchema, solveProblem } from '../../pipelines/cli/risk.ts';
import { type CliRun, runAlpha } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-hostile-risk-'));
const diag = (v: number[]) => v.map((x, i) => v.map((_, j) => (i === j ? x : 0)));

// [name, problem, expected exit code, expected status (or null for a malformed file)]
const CASES: [string, unknown, number, string | null][] = [
  // Every weight ends on a bound and no equality binds: the refinement's face has nothing free.
  [
    'all at bounds',
    { mu: [1, 2], gamma: 0.001, risk: { sigma: diag([1, 1]) }, constraints: { max_weight: 0.1, min_weight: -0.1 } },
    0,
    'solved',
  ],
  ['one name', { mu: [0.1], gamma: 1, risk: { sigma: [[0.04]] } }, 0, 'solved'],
  [
    'zero risk aversion, bounded',
    { mu: [0.1, -0.1], gamma: 0, risk: { sigma: diag([1, 1]) }, constraints: { max_weight: 1, min_weight: -1 } },
    0,
    'solved',
  ],
  ['huge magnitudes', { mu: [1e300, -1e300], gamma: 1e-300, risk: { sigma: diag([1e300, 1e300]) } }, 1, null],
  [
    'tiny magnitudes',
    { mu: [1e-300, 2e-300], gamma: 1, risk: { sigma: diag([1e-300, 1e-300]) }, constraints: { max_weight: 1, min_weight: -1 } },
    0,
    'solved',
  ],
  ['unbounded', { mu: [1, 2], gamma: 0, risk: { sigma: diag([1, 1]) } }, 1, null],
  ['a number too large for a double', '{"mu": [1e400], "gamma": 1, "risk": {"sigma": [[1]]}}', 2, null],
  ['nested garbage', { mu: [[1]], gamma: {}, risk: [] }, 2, null],
  ['null', null, 2, null],
  // JSON.parse takes it; showing it in the message overflowed the stack (exit 1, "unexpected error").
  [
    'an array nested a million deep',
    `{"mu": ${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}, "gamma": 1, "risk": {"sigma": [[1]]}}`,
    2,
    null,
  ],
];

let runs: CliRun[];
beforeAll(async () => {
  runs = await Promise.all(
    CASES.map(([name, problem], i) => {
      const path = join(dir, `${i}.json`);
      writeFileSync(path, typeof problem === 'string' ? problem : JSON.stringify(problem));
      return runAlpha(['risk', 'solve', path], 120_000).then((r) => {
        if (r.code === null) throw new Error(`${name}: did not finish`);
        return r;
      });
    }),
  );
});

describe('alpha risk solve keeps its contract on hostile problems', () => {
  it.each(CASES.map((c, i) => [c[0], i] as const))('%s', (name, i) => {
    const [, , code, status] = CASES[i]!;
    const run = runs[i]!;
    expect(run.code, `${name}: ${run.stderr}`).toBe(code);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    if (code === 2) {
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/\d+\.json: /);
      return;
    }
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const result = JSON.parse(lines[0]!) as { status: string; weights: number[] | null };
    if (status) expect(result.status).toBe(status);
    if (code === 1) expect(run.stderr).toMatch(/solver status|the solve failed/);
    else expect(result.weights!.every(Number.isFinite)).toBe(true);
  });
});

describe('the solver never throws on well-formed random problems', () => {
  it('returns a status for each, and feasible weights when solved', () => {
    const problem = fc.integer({ min: 1, max: 6 }).chain((n) =>
      fc.record({
        mu: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: n, maxLength: n }),
        gamma: fc.double({ min: 0, max: 100, noNaN: true }),
        risk: fc.record({ sigma: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }).map(diag) }),
        constraints: fc.record(
          {
            max_weight: fc.double({ min: 0, max: 1, noNaN: true }),
            min_weight: fc.double({ min: -1, max: 0, noNaN: true }),
            dollar_neutral: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
      }),
    );
    fc.assert(
      fc.property(problem, (raw) => {
        const parsed = problemSchema.safeParse(raw);
        if (!parsed.success) return;
        const r = solveProblem(parsed.data);
        expect(typeof r.status).toBe('string');
        if (r.status !== 'solved') return;
        const hi = raw.constraints.max_weight ?? Infinity;
        const lo = raw.constraints.min_weight ?? -Infinity;
        for (const w of r.weights) expect(w <= hi + 1e-6 && w >= lo - 1e-6).toBe(true);
        if (raw.constraints.dollar_neutral) expect(Math.abs(r.weights.reduce((a, b) => a + b, 0))).toBeLessThan(1e-6);
      }),
      { numRuns: 300, interruptAfterTimeLimit: 10_000 },
    );
  });
});

describe('alpha risk solve refuses solver flags it cannot honour, exit 2', () => {
  // '' was read as 0 and '0x10' as 16; 1e15 iterations reached the binding, which took at most 2^31 − 1 and
  // said "expected an integer >= 1" (exit 1, a status-error line on stdout).
  it.each([
    ['--eps', '', '--eps is "" and --max-iter "200000"'],
    ['--max-iter', '0x10', '--eps is "1e-8" and --max-iter "0x10"'],
    ['--max-iter', '1000000000000000', '--eps is "1e-8" and --max-iter "1000000000000000"'],
    // 2^31 − 1 iterations at a tolerance never met ran for days; a file that is a pipe blocked the read.
    ['--max-iter', '10000001', '--eps is "1e-8" and --max-iter "10000001"'],
    ['--eps', '1e-300', '--eps is "1e-300" and --max-iter "200000"'],
    // Number() read these as a tolerance of 16 and 1: "solved" at a tolerance nobody asked for.
    ['--eps', '0x10', '--eps is "0x10" and --max-iter "200000"'],
    ['--eps', ' 1', '--eps is " 1" and --max-iter "200000"'],
    ['--eps', '-0.1', '--eps is "-0.1" and --max-iter "200000"'],
  ])('%s %j', async (flag, value, seen) => {
    const path = join(dir, 'flags.json');
    writeFileSync(path, JSON.stringify({ mu: [0.1], gamma: 1, risk: { sigma: [[0.04]] } }));
    const run = await runAlpha(['risk', 'solve', path, flag, value], 60_000);
    expect(run).toEqual({ code: 2, stdout: '', stderr: `${seen}: expected a number from 1e-12 and an integer from 1 to 10,000,000\n` });
  });
});

describe('alpha risk solve names what a field should hold', () => {
  it('a sector label of the wrong type', async () => {
    const path = join(dir, 'sector.json');
    writeFileSync(
      path,
      JSON.stringify({ mu: [0.1, 0.2], gamma: 1, risk: { sigma: diag([0.04, 0.04]) }, constraints: { sector: [{}, 'a'] } }),
    );
    const run = await runAlpha(['risk', 'solve', path], 60_000);
    // It said "is {}: Invalid input".
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `${path}: constraints.sector[0] is {}: expected a sector label (a string or a number)\n`,
    });
  });
});
