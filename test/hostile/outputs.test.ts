/**
 * Outputs are atomic and honest: `alpha backtest`, `alpha data generate` and `alpha model train`
 * write into a staging folder beside --out and move it into place only when done, refuse a non-empty
 * --out without --overwrite, a folder they cannot write (checked before the run) and one another
 * run holds, and say which files they wrote. Through the real CLI (independent launches run
 * concurrently) and through runBacktest.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles } from '../../pipelines/io/output-folder.ts';
import { runBacktest } from '../../pipelines/runtime/backtest.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';
import { snapshot } from '../helpers/tree.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOPOLOGY = join(ROOT, 'topology.yaml');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `alpha ...args` in the repository root; as uid/gid 65534 (nobody) when `unprivileged` and this process is root. */
function alpha(args: readonly string[], unprivileged = false): Promise<Run> {
  const node = [process.execPath, join(ROOT, 'bin/alpha.mjs'), ...args];
  const [cmd, ...argv] =
    unprivileged && process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
  return new Promise((resolve) => {
    execFile(cmd!, argv, { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

/** The files a closing line `wrote DIR/: a, b/c, …` names. */
function wrote(text: string): string[] {
  const line = text.split('\n').find((l) => /^\s*wrote /.test(l));
  return line ? line.replace(/^\s*wrote [^:]*\/: /, '').split(', ') : [];
}

const noStack = (r: Run) => expect(r.stderr).not.toMatch(/\n\s+at /);
const sequentially = async <T>(steps: (() => Promise<T>)[]): Promise<T[]> => {
  const out: T[] = [];
  for (const step of steps) out.push(await step());
  return out;
};

let data: string;
let top: string;
/** The folder --out of the rerun sequence lives in (its parent); and everything around it. */
let parent: string;
let before: { parent: string[]; data: string[] };
let runs: Record<string, Run>;
let liveLockHolder: number;

/**
 * The unprivileged user runs the checkout's code, so it must be able to pass through the folders
 * above it; a checkout under a private folder (mktemp's 0700) would stop it before the code runs.
 * Those folders get the others' search bit (not read) for the run of this file, and it back after.
 */
const restoredModes: [string, number][] = [];
function letOthersThrough(dir: string): void {
  if (process.getuid?.() !== 0) return;
  for (let d = dir; ; d = dirname(d)) {
    const mode = statSync(d).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      chmodSync(d, mode | 0o001);
      restoredModes.push([d, mode]);
    }
    if (dirname(d) === d) break;
  }
}
afterAll(() => {
  for (const [d, mode] of restoredModes) chmodSync(d, mode);
});

beforeAll(async () => {
  letOthersThrough(ROOT);
  data = await dataset({ symbols: 4, days: 2, seed: 7 });
  top = tempDir('outputs');
  chmodSync(top, 0o755); // the unprivileged user reaches its read-only folder through it
  chmodSync(data, 0o755);
  parent = join(top, 'p');
  mkdirSync(parent);
  writeFileSync(join(parent, 'neighbour.txt'), 'not ours\n');
  before = { parent: snapshot(parent), data: snapshot(data) };

  // A read-only parent for the unprivileged user (root could write in it).
  const readOnly = join(top, 'read-only');
  mkdirSync(readOnly, { mode: 0o755 });
  chmodSync(readOnly, 0o555);
  // A file where a folder is expected.
  writeFileSync(join(top, 'a-file'), 'x\n');
  // A lock of a live process (this one) and one of a process that has ended.
  liveLockHolder = process.pid;
  for (const name of ['live', 'stale']) mkdirSync(join(top, `lock-${name}`));
  writeFileSync(join(top, 'lock-live', '.out.lock'), `${liveLockHolder}\n`);
  const ended = spawnSync('true').pid!;
  writeFileSync(join(top, 'lock-stale', '.out.lock'), `${ended}\n`);
  mkdirSync(join(top, 'lock-stale', `.out.staging-${ended}-dead`)); // a leftover of that run
  writeFileSync(join(top, 'lock-stale', `.out.lock.${ended}`), ''); // its private lock file, left by a full disk
  // Folders already holding something.
  for (const name of ['data-full', 'model-full']) {
    mkdirSync(join(top, name));
    writeFileSync(join(top, name, 'keep.txt'), 'x\n');
  }

  const backtest = (out: string, ...more: string[]) => ['backtest', TOPOLOGY, '--data', data, '--out', out, '--quiet', ...more];
  const out = join(parent, 'run');
  const [sequence, others] = await Promise.all([
    // Fresh run, rerun refused, rerun replacing (a stale file planted in between).
    sequentially([
      () => alpha(backtest(out)),
      async () => {
        writeFileSync(join(out, 'stale-from-earlier.txt'), 'x\n');
        return alpha(backtest(out));
      },
      () => alpha(backtest(out, '--overwrite')),
    ]),
    Promise.all([
      alpha(backtest(join(readOnly, 'out')), true),
      alpha(backtest('/proc/alpha-out')),
      alpha(backtest(join(top, 'a-file'))),
      alpha(backtest(join(top, 'a-file', 'out'))),
      alpha(backtest(join(top, 'lock-live', 'out'))),
      alpha(backtest(join(top, 'lock-stale', 'out'))),
      alpha(['data', 'generate', '--out', '/', '--symbols', '2', '--days', '1']),
      alpha(['data', 'generate', '--out', join(top, 'data-full'), '--symbols', '2', '--days', '1']),
      sequentially([
        () => alpha(['data', 'generate', '--out', join(top, 'data-again'), '--symbols', '2', '--days', '3']),
        () => alpha(['data', 'generate', '--out', join(top, 'data-again'), '--symbols', '2', '--days', '1', '--overwrite']),
      ]),
      alpha(['model', 'train', '--data', data, '--from', '2024-01-02', '--to', '2024-01-03', '--out', join(top, 'model-full')]),
    ]),
  ]);
  const [readOnlyRun, procRun, fileRun, underFileRun, liveRun, staleRun, rootGen, fullGen, [genThree, genOne], fullModel] = others as [
    Run,
    Run,
    Run,
    Run,
    Run,
    Run,
    Run,
    Run,
    Run[],
    Run,
  ];
  runs = {
    first: sequence[0]!,
    refused: sequence[1]!,
    replaced: sequence[2]!,
    readOnlyRun,
    procRun,
    fileRun,
    underFileRun,
    liveRun,
    staleRun,
    rootGen,
    fullGen,
    genThree: genThree!,
    genOne: genOne!,
    fullModel,
  };
}, 120_000);

describe('alpha backtest --out', () => {
  it('writes a new folder and names exactly the files it wrote', () => {
    expect(runs['first']!.stderr).toBe('');
    expect(runs['first']!.code).toBe(0);
    expect(wrote(runs['first']!.stdout)).toContain('summary.json');
  });

  it('refuses a non-empty --out without --overwrite, and leaves it as it was', () => {
    const r = runs['refused']!;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /--out .*\/p\/run: not empty \(\d+ entries: .*\), expected a new or empty folder, or --overwrite to replace it whole/,
    );
    noStack(r);
  });

  it('replaces it whole with --overwrite: no file of the earlier run is left, and the closing line lists the folder', () => {
    const r = runs['replaced']!;
    expect(r.code).toBe(0);
    const files = listFiles(join(parent, 'run'));
    expect(files).not.toContain('stale-from-earlier.txt');
    expect(wrote(r.stdout)).toEqual(files);
    expect(files).toEqual(expect.arrayContaining(['summary.json', 'fills.parquet', 'dead_letters.jsonl', 'topology.resolved.yaml']));
  });

  it('changes nothing outside --out: its parent holds only --out besides what it held, with no lock, staging or old folder left; the data is untouched', () => {
    expect(snapshot(parent).filter((l) => !/^run[ /]/.test(l))).toEqual(before.parent);
    expect(readdirSync(parent).sort()).toEqual(['neighbour.txt', 'run']);
    expect(snapshot(data)).toEqual(before.data);
  });

  it('refuses a folder it cannot write before the run starts (an unprivileged user, a read-only parent)', () => {
    const r = runs['readOnlyRun']!;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /--out .*\/read-only\/out: cannot write in .*\/read-only \(EACCES: permission denied\), expected a folder this user can write/,
    );
    expect(r.stdout).toBe(''); // no summary: nothing ran
    expect(readdirSync(join(top, 'read-only'))).toEqual([]);
    noStack(r);
  });

  it('refuses a folder even root cannot write (under /proc)', () => {
    const r = runs['procRun']!;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /--out \/proc\/alpha-out: cannot (write in|create its lock in|create its lock) .*expected a folder this user can write/,
    );
    noStack(r);
  });

  it('says that a file given as --out, or as a folder on its way, is not a folder', () => {
    expect(runs['fileRun']!.code).toBe(1);
    expect(runs['fileRun']!.stderr).toMatch(/--out .*\/a-file: is a file, expected a folder/);
    expect(runs['underFileRun']!.code).toBe(1);
    expect(runs['underFileRun']!.stderr).toMatch(/--out .*\/a-file\/out: .*\/a-file is a file, expected a folder/);
    noStack(runs['fileRun']!);
    noStack(runs['underFileRun']!);
    expect(readFileSync(join(top, 'a-file'), 'utf8')).toBe('x\n');
  });

  it('refuses an --out whose lock a live process holds, and leaves the lock alone', () => {
    const r = runs['liveRun']!;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`in use by process ${liveLockHolder}`);
    expect(readdirSync(join(top, 'lock-live'))).toEqual(['.out.lock']);
    expect(readFileSync(join(top, 'lock-live', '.out.lock'), 'utf8')).toBe(`${liveLockHolder}\n`);
  });

  it('takes over the lock of a process that has ended, says so, and removes its leftovers', () => {
    const r = runs['staleRun']!;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/taking over the stale lock .*\.out\.lock \(process \d+ is not running\)/);
    expect(r.stderr).toMatch(/removed .*\.out\.staging-\d+-dead/);
    expect(r.stderr).toMatch(/removed .*\.out\.lock\.\d+ \(left by process \d+, no longer running\)/);
    expect(readdirSync(join(top, 'lock-stale'))).toEqual(['out']);
  });
});

describe('alpha data generate --out', () => {
  it('refuses / and a folder already holding something', () => {
    expect(runs['rootGen']!.code).toBe(1);
    expect(runs['rootGen']!.stderr).toMatch(/--out \/: .*expected a folder of its own/);
    expect(runs['fullGen']!.code).toBe(1);
    expect(runs['fullGen']!.stderr).toMatch(/--out .*\/data-full: not empty \(1 entry: keep\.txt\)/);
    expect(readdirSync(join(top, 'data-full'))).toEqual(['keep.txt']);
  });

  it('replaces a dataset whole with --overwrite: no day file of the longer earlier one is left', () => {
    expect(runs['genThree']!.code).toBe(0);
    expect(runs['genOne']!.code).toBe(0);
    const files = listFiles(join(top, 'data-again'));
    expect(files).toEqual(['manifest.json', 'quotes/2024-01-02.parquet', 'trades/2024-01-02.parquet']);
    expect(wrote(runs['genOne']!.stderr)).toEqual(files);
  });
});

describe('alpha model train --out', () => {
  it('refuses a folder already holding something, before computing any feature', () => {
    const r = runs['fullModel']!;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--out .*\/model-full: not empty \(1 entry: keep\.txt\)/);
    expect(r.stderr).not.toContain('features:');
    expect(readdirSync(join(top, 'model-full'))).toEqual(['keep.txt']);
  });
});

describe('runBacktest into an existing result', () => {
  it('a run that fails leaves the previous result untouched and no summary.json of its own; the error says where its output went', async () => {
    const out = join(top, 'direct', 'run');
    await runBacktest({ topologyFile: TOPOLOGY, dataDir: data, outDir: out });
    const previous = snapshot(out);
    const summary = readFileSync(join(out, 'summary.json'), 'utf8');

    // The second day's quotes cut short: the replay fails reading them, after the first day ran.
    const broken = join(top, 'broken-data');
    cpSync(data, broken, { recursive: true });
    const quotes = join(broken, 'quotes', '2024-01-03.parquet');
    writeFileSync(quotes, readFileSync(quotes).subarray(0, 4000));
    await expect(runBacktest({ topologyFile: TOPOLOGY, dataDir: broken, outDir: out, overwrite: true })).rejects.toThrow(
      /--out .*\/direct\/run left as it was/,
    );
    expect(snapshot(out)).toEqual(previous);
    expect(readFileSync(join(out, 'summary.json'), 'utf8')).toBe(summary);
    // Beside it: the result, and at most the failed run's partial output (without a summary).
    const beside = readdirSync(join(top, 'direct')).sort();
    expect(beside.filter((n) => n !== 'run' && n !== 'run.failed')).toEqual([]);
    if (beside.includes('run.failed')) expect(listFiles(join(top, 'direct', 'run.failed'))).not.toContain('summary.json');

    // The same failure into a new folder leaves no folder there at all.
    const fresh = join(top, 'direct', 'fresh');
    await expect(runBacktest({ topologyFile: TOPOLOGY, dataDir: broken, outDir: fresh })).rejects.toThrow(/left as it was/);
    const left = readdirSync(join(top, 'direct')).filter((n) => n.startsWith('fresh') || n.startsWith('.fresh'));
    expect(left.filter((n) => n !== 'fresh.failed')).toEqual([]);
  });

  it("what beforeCommit writes lands with the run, and its failure leaves the earlier result as it was (model evaluate's evaluation.json)", async () => {
    const out = join(top, 'direct', 'with-extra');
    await runBacktest({
      topologyFile: TOPOLOGY,
      dataDir: data,
      outDir: out,
      beforeCommit: (summary, dir) => writeFileSync(join(dir, 'extra.json'), `${summary.fills}\n`),
    });
    const fills = (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { fills: number }).fills;
    expect(readFileSync(join(out, 'extra.json'), 'utf8')).toBe(`${fills}\n`);
    const previous = snapshot(out);
    await expect(
      runBacktest({
        topologyFile: TOPOLOGY,
        dataDir: data,
        outDir: out,
        overwrite: true,
        beforeCommit: () => {
          throw new Error('the evaluation failed');
        },
      }),
    ).rejects.toThrow(/the evaluation failed/);
    expect(snapshot(out)).toEqual(previous);
  });

  it('refuses an --out whose lock this live process holds, and a non-empty one without overwrite', async () => {
    const out = join(top, 'direct', 'run');
    await expect(runBacktest({ topologyFile: TOPOLOGY, dataDir: data, outDir: out })).rejects.toThrow(/not empty/);
    writeFileSync(join(top, 'direct', '.run.lock'), `${process.pid}\n`);
    await expect(runBacktest({ topologyFile: TOPOLOGY, dataDir: data, outDir: out, overwrite: true })).rejects.toThrow(
      `in use by process ${process.pid}`,
    );
  });
});
