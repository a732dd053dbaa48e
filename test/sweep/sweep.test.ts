/**
 * `alpha sweep` end to end, through the real command line on a small generated dataset: each point's
 * figures equal those of a single `alpha backtest` with the same params, the table and the points'
 * outputs are byte-identical whatever --jobs and worker kind, a failing point is reported while the
 * others complete (exit 2), a worker killed mid-point fails only that point, and Ctrl-C, SIGTERM or a
 * killed sweep leaves no worker process and no table behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIGURES } from '../../pipelines/sweep/table.ts';
import { type CliRun, ROOT, runAlpha } from '../helpers/cli.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

const alpha = (...args: string[]): Promise<CliRun> => runAlpha(args, 120_000);
const GRID = ['--grid', 'sizing.gamma=500,2000', '--grid', 'quotes.dataset=quotes,nosuch'];

let data: string;
let tmp: string;
let runs: Record<'jobs2' | 'jobs1' | 'threads' | 'single500' | 'single2000', CliRun>;

beforeAll(async () => {
  data = await dataset({ symbols: 8, days: 3, seed: 3 });
  tmp = tempDir('sweep');
  const [jobs2, jobs1, single500, single2000] = await Promise.all([
    alpha('sweep', 'topology.yaml', '--data', data, '--out', join(tmp, 'jobs2'), ...GRID, '--jobs', '2'),
    alpha('sweep', 'topology.yaml', '--data', data, '--out', join(tmp, 'jobs1'), ...GRID, '--jobs', '1', '--quiet'),
    alpha('backtest', 'topology.yaml', '--data', data, '--out', join(tmp, 'single500'), '--set', 'sizing.gamma=500', '--quiet'),
    alpha('backtest', 'topology.yaml', '--data', data, '--out', join(tmp, 'single2000'), '--set', 'sizing.gamma=2000', '--quiet'),
  ]);
  const threads = await alpha(
    'sweep',
    'topology.yaml',
    '--data',
    data,
    '--out',
    join(tmp, 'threads'),
    ...GRID,
    '--workers',
    'thread',
    '--quiet',
  );
  runs = { jobs2: jobs2!, jobs1: jobs1!, threads, single500: single500!, single2000: single2000! };
}, 240_000);

const bytes = (...parts: string[]): Buffer => readFileSync(join(tmp, ...parts));
async function table(name: string): Promise<Record<string, unknown>[]> {
  return (await parquetReadObjects({ file: Uint8Array.from(bytes(name, 'sweep.parquet')).buffer })) as Record<string, unknown>[];
}

describe('alpha sweep', () => {
  it('runs every point, reports the failing ones with the point, and exits 2', () => {
    for (const name of ['jobs2', 'jobs1', 'threads'] as const) {
      const run = runs[name];
      expect(run.code, `${name}: ${run.stderr}`).toBe(2);
      const failures = run.stderr.split('\n').filter((l) => l.startsWith('alpha: '));
      // quotes.dataset=nosuch passes the param schema (any name) but the data folder has no such dataset.
      expect(failures).toEqual([
        expect.stringMatching(
          /^alpha: point 1 \(sizing\.gamma=500, quotes\.dataset=nosuch\) failed: .*manifest\.json: no dataset "nosuch"/,
        ),
        expect.stringMatching(/^alpha: point 3 \(sizing\.gamma=2000, quotes\.dataset=nosuch\) failed: .*no dataset "nosuch"/),
      ]);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout).toMatch(/^sweep of topology\.yaml: 4 points, 2 ran, 2 failed, /);
      expect(run.stdout).toMatch(/\n\s+1 {2}500\s+nosuch\s+failed: /);
    }
  });

  it('gives each point the figures of a single alpha backtest with the same params', async () => {
    expect(runs.single500.code, runs.single500.stderr).toBe(0);
    expect(runs.single2000.code, runs.single2000.stderr).toBe(0);
    const rows = await table('jobs2');
    expect(rows.map((r) => [r['point'], r['sizing.gamma'], r['quotes.dataset'], r['status']])).toEqual([
      [0, 500, 'quotes', 'ok'],
      [1, 500, 'nosuch', 'failed'],
      [2, 2000, 'quotes', 'ok'],
      [3, 2000, 'nosuch', 'failed'],
    ]);
    for (const [row, single] of [
      [rows[0]!, 'single500'],
      [rows[2]!, 'single2000'],
    ] as const) {
      const summary = JSON.parse(bytes(single, 'summary.json').toString()) as Record<string, number | string>;
      for (const k of [...FIGURES, 'topology_sha256', 'data_sha256']) expect(row[k], `${single} ${k}`).toBe(summary[k]);
      expect(row['error']).toBeNull();
    }
    // The two gammas trade differently (the point is not the same run twice).
    expect(rows[0]!['turnover']).not.toBe(rows[2]!['turnover']);
    // A point's folder is what the single run wrote, byte for byte.
    for (const f of ['fills.parquet', 'orders.parquet', 'equity.parquet', 'order_states.parquet']) {
      expect(bytes('jobs2', 'points', '0', f).equals(bytes('single500', f)), f).toBe(true);
      expect(bytes('jobs2', 'points', '2', f).equals(bytes('single2000', f)), f).toBe(true);
    }
    for (const i of [1, 3]) {
      expect(rows[i]!['error']).toMatch(/no dataset "nosuch"/);
      expect(rows[i]!['sharpe']).toBeNull();
    }
  });

  it('writes byte-identical outputs whatever --jobs and worker kind', () => {
    expect(bytes('jobs1', 'sweep.parquet').equals(bytes('jobs2', 'sweep.parquet'))).toBe(true);
    expect(bytes('threads', 'sweep.parquet').equals(bytes('jobs2', 'sweep.parquet'))).toBe(true);
    for (const p of ['0', '2'])
      expect(bytes('jobs1', 'points', p, 'fills.parquet').equals(bytes('jobs2', 'points', p, 'fills.parquet'))).toBe(true);
    expect(readdirSync(join(tmp, 'jobs2')).sort()).toEqual(['points', 'sweep.parquet']);
  });
});

/** The pids whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `alpha sweep …` started in the background, its output collected. */
function startSweep(args: string[]): { child: ChildProcess; ended: Promise<CliRun & { signal: NodeJS.Signals | null }> } {
  const child = spawn(process.execPath, ['bin/alpha.mjs', 'sweep', 'topology.yaml', ...args], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const ended = new Promise<CliRun & { signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // Output still in the pipes arrives before 'close'.
      child.on('close', () => resolve({ code, signal, stdout, stderr }));
    }),
  );
  return { child, ended };
}

describe('alpha sweep when processes die', () => {
  it('fails only the point of a worker killed mid-run; a new worker runs the rest', async () => {
    const out = join(tmp, 'killed');
    const { child, ended } = startSweep(['--data', data, '--out', out, '--grid', 'sizing.gamma=500,1000,2000', '--jobs', '1', '--quiet']);
    // The first worker is sent point 0 as soon as it starts: killing it then kills it mid-point.
    const worker = await until('a worker', () => childrenOf(child.pid!)[0]);
    process.kill(worker, 'SIGKILL');
    const run = await ended;
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(
      `alpha: point 0 (sizing.gamma=500) failed: its worker (process ${worker}) was ended by SIGKILL while running it`,
    );
    const rows = await table('killed');
    expect(rows.map((r) => r['status'])).toEqual(['failed', 'ok', 'ok']);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('on %s (Ctrl-C) mid-run stops every worker, exits %i, and writes no table', async (signal, code) => {
    const out = join(tmp, `interrupted-${signal}`);
    const { child, ended } = startSweep([
      '--data',
      data,
      '--out',
      out,
      '--grid',
      'sizing.gamma=500,1000,2000,3000',
      '--jobs',
      '2',
      '--quiet',
    ]);
    const workers = await until('two workers', () => {
      const c = childrenOf(child.pid!);
      return c.length >= 2 ? c : undefined;
    });
    // Mid-run: a point's backtest has opened its output folder inside the sweep's staging folder.
    await until('a point running', () => {
      const staging = readdirSync(tmp).find((e) => e.startsWith(`.interrupted-${signal}.staging-`));
      const points = staging && join(tmp, staging, 'points');
      return points && existsSync(points) && readdirSync(points).some((e) => e.includes('.staging-')) ? true : undefined;
    });
    child.kill(signal);
    const run = await ended;
    expect(run.code, run.stderr).toBe(code);
    expect(run.stderr).toContain(`alpha: ${signal}: stopping the workers`);
    expect(run.stderr).toMatch(new RegExp(`alpha: interrupted \\(${signal}\\) after \\d of 4 points`));
    expect(run.stderr).not.toMatch(/\n\s+at /);
    await until('the workers to end', () => (workers.some(alive) ? undefined : true), 10_000);
    expect(existsSync(out)).toBe(false);
    const left = readdirSync(dirname(out), { recursive: true, encoding: 'utf8' });
    expect(left.filter((p) => p.endsWith('sweep.parquet') && p.includes('interrupted'))).toEqual([]);
  });

  it('leaves no orphan worker when the sweep itself is killed (SIGKILL)', async () => {
    const out = join(tmp, 'sweep-killed');
    const { child, ended } = startSweep([
      '--data',
      data,
      '--out',
      out,
      '--grid',
      'sizing.gamma=500,1000,2000,3000',
      '--jobs',
      '2',
      '--quiet',
    ]);
    const workers = await until('two workers', () => {
      const c = childrenOf(child.pid!);
      return c.length >= 2 ? c : undefined;
    });
    child.kill('SIGKILL');
    await ended;
    // A worker notices its parent's IPC channel close and exits.
    await until('the orphaned workers to end', () => (workers.some(alive) ? undefined : true), 15_000);
    expect(existsSync(join(out, 'sweep.parquet'))).toBe(false);
  });
  it('hands --lake to every point (a lake that is not there fails each point, naming it)', async () => {
    const missing = join(tmp, 'no-lake-here');
    const run = await alpha(
      'sweep',
      'topology.yaml',
      '--data',
      data,
      '--out',
      join(tmp, 'lake'),
      '--grid',
      'sizing.gamma=500,2000',
      '--set',
      'quotes.store=lake',
      '--lake',
      missing,
      '--quiet',
    );
    expect(run.code).toBe(2);
    const failures = run.stderr.split('\n').filter((l) => l.startsWith('alpha: point'));
    expect(failures).toHaveLength(2);
    for (const f of failures) expect(f).toContain(missing);
  }, 120_000);
});
