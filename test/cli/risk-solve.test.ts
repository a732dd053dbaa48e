/**
 * `alpha risk solve PROBLEM.json`, run as a child process: exit codes 0 (solved), 1 (another solver
 * status, JSON still printed), 2 (unreadable or malformed file, reasons on stderr), and nothing but the
 * result on stdout. Every command starts at once, before the assertions.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runAlpha, type CliRun as Run } from '../helpers/cli.ts';

const SEED_FIXTURE = join(ROOT, 'test/fixtures/qp/seed-example.json');
const dir = mkdtempSync(join(tmpdir(), 'alpha-risk-'));

const alpha = (...args: string[]): Promise<Run> => runAlpha(args, 120_000);

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const sigma2 = [0.04, 0.09, 0.01, 0.0625];
const mu = [0.02, -0.01, 0.005, 0.03];
const dense = { mu, gamma: 2, risk: { sigma: sigma2.map((s, i) => sigma2.map((_, j) => (i === j ? s : 0))) } };
const factor = {
  mu,
  gamma: 2,
  w_prev: [0.01, 0, 0, -0.01],
  tcost: 0.0005,
  risk: { B: [[1], [1.2], [0.8], [1]], F: [[0.02]], D: [0.02, 0.03, 0.01, 0.02] },
  constraints: {
    dollar_neutral: true,
    gross: 0.2,
    max_weight: 0.05,
    min_weight: -0.05,
    turnover: 0.5,
    sector: ['a', 'a', 'b', 'b'],
    sector_neutral: true,
    beta: [1, 1.2, 0.8, 1],
    beta_neutral: false,
  },
};

let runs: Record<'dense' | 'factor' | 'infeasible' | 'malformed' | 'shapes' | 'notJson' | 'missing' | 'seed', Run>;
const paths: Record<string, string> = {};

beforeAll(async () => {
  paths['dense'] = file('dense.json', dense);
  paths['factor'] = file('factor.json', factor);
  paths['infeasible'] = file('infeasible.json', { ...dense, constraints: { dollar_neutral: true, min_weight: 0.01 } });
  paths['malformed'] = file('malformed.json', { mu: [0.1, 'x', 0, 0], gamma: -1, risk: { sigma: dense.risk.sigma }, constraint: {} });
  paths['shapes'] = file('shapes.json', {
    ...factor,
    risk: { B: [[1], [1], [1]], F: [[0.02]], D: [0.02, 0.03, 0.01, 0.02] },
    constraints: { beta_neutral: true },
  });
  paths['notJson'] = file('broken.json', '{"mu": [0.1,');
  const [d, f, i, m, s, n, missing, seed] = await Promise.all([
    alpha('risk', 'solve', paths['dense']),
    alpha('risk', 'solve', paths['factor']),
    alpha('risk', 'solve', paths['infeasible']),
    alpha('risk', 'solve', paths['malformed']),
    alpha('risk', 'solve', paths['shapes']),
    alpha('risk', 'solve', paths['notJson']),
    alpha('risk', 'solve', join(dir, 'nope.json')),
    existsSync(SEED_FIXTURE)
      ? alpha('risk', 'solve', file('seed.json', (JSON.parse(readFileSync(SEED_FIXTURE, 'utf8')) as { problem: unknown }).problem))
      : Promise.resolve({ code: -1, stdout: '', stderr: '' }),
  ]);
  runs = { dense: d!, factor: f!, infeasible: i!, malformed: m!, shapes: s!, notJson: n!, missing: missing!, seed: seed! };
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** stdout must be exactly one JSON object on one line, with these keys in this order. */
function result(run: Run): { status: string; weights: number[] | null; objective: number | null; iterations: number; solve_ms: number } {
  expect(run.stdout.endsWith('\n')).toBe(true);
  expect(run.stdout.trim().split('\n')).toHaveLength(1);
  const parsed = JSON.parse(run.stdout) as ReturnType<typeof result>;
  expect(Object.keys(parsed)).toEqual(['status', 'weights', 'objective', 'iterations', 'solve_ms']);
  return parsed;
}

describe('alpha risk solve', () => {
  it('solves a dense problem: exit 0, the JSON result alone on stdout, nothing on stderr', () => {
    expect(runs.dense.code).toBe(0);
    expect(runs.dense.stderr).toBe('');
    const r = result(runs.dense);
    expect(r.status).toBe('solved');
    r.weights!.forEach((w, i) => expect(w).toBeCloseTo(mu[i]! / (4 * sigma2[i]!), 9));
    expect(r.objective).toBeCloseTo(
      mu.reduce((a, m, i) => a + (m * m) / (8 * sigma2[i]!), 0),
      12,
    );
    expect(r.iterations).toBeGreaterThan(0);
    expect(r.solve_ms).toBeGreaterThan(0);
  });

  it('solves a factor-form problem with every constraint', () => {
    expect(runs.factor.code).toBe(0);
    const r = result(runs.factor);
    const w = r.weights!;
    expect(w.reduce((a, b) => a + Math.abs(b), 0)).toBeLessThanOrEqual(0.2 + 1e-9);
    expect(Math.abs(w[0]! + w[1]!)).toBeLessThan(1e-9);
    expect(Math.abs(w[2]! + w[3]!)).toBeLessThan(1e-9);
    w.forEach((x) => expect(Math.abs(x)).toBeLessThanOrEqual(0.05 + 1e-9));
  });

  it('reports an infeasible problem with exit 1, the JSON still on stdout', () => {
    expect(runs.infeasible.code).toBe(1);
    const r = result(runs.infeasible);
    expect(r.status).toBe('primal_infeasible');
    expect(r.weights).toBeNull();
    expect(r.objective).toBeNull();
    expect(runs.infeasible.stderr).toMatch(/infeasible\.json: solver status primal_infeasible/);
  });

  it('refuses a malformed file with exit 2, naming each field and its value, and prints nothing on stdout', () => {
    expect(runs.malformed.code).toBe(2);
    expect(runs.malformed.stdout).toBe('');
    const f = paths['malformed']!;
    expect(runs.malformed.stderr.trim().split('\n')).toEqual([
      `${f}: mu[1] is "x": expected a finite number`,
      `${f}: gamma is -1: expected a number >= 0`,
      `${f}: constraint is not a field here`,
    ]);
  });

  it('checks the sizes against n (the length of mu) and the flags against their data', () => {
    expect(runs.shapes.code).toBe(2);
    expect(runs.shapes.stdout).toBe('');
    const f = paths['shapes']!;
    expect(runs.shapes.stderr).toContain(`${f}: risk.B has 3 rows, expected n = 4 (the length of mu)`);
    expect(runs.shapes.stderr).toContain(`${f}: constraints.beta_neutral is true but constraints.beta (one beta per name) is missing`);
  });

  it('refuses a file that is not JSON or not there with exit 2', () => {
    expect(runs.notJson.code).toBe(2);
    expect(runs.notJson.stderr).toMatch(/broken\.json: not valid JSON/);
    expect(runs.notJson.stdout).toBe('');
    expect(runs.missing.code).toBe(2);
    expect(runs.missing.stderr).toMatch(/nope\.json: file not found/);
    expect(runs.missing.stdout).toBe('');
  });

  it('writes a hostile key on one line, its control bytes spelled out (a key with a line break printed a forged line)', async () => {
    const forged = file('forged.json', { ...dense, 'x\nalpha: solved\u001b[2K': 1 });
    const r = await alpha('risk', 'solve', forged);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${forged}: x\\nalpha: solved\\x1b[2K is not a field here\n`);
  });

  it.runIf(existsSync(SEED_FIXTURE))('matches the reference of the seed example', () => {
    expect(runs.seed.code).toBe(0);
    const r = result(runs.seed);
    const ref = (JSON.parse(readFileSync(SEED_FIXTURE, 'utf8')) as { reference: { weights: number[]; objective: number } }).reference;
    r.weights!.forEach((w, i) => expect(Math.abs(w - ref.weights[i]!)).toBeLessThan(1e-4));
    expect(Math.abs(r.objective! - ref.objective) / Math.abs(ref.objective)).toBeLessThan(1e-6);
  });
});
