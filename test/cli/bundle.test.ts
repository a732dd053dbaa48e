/**
 * bin/cli-bundle.mjs, the cache the `alpha` command runs from: in a temporary tree with a small
 * entry, a first start builds the bundle (the sweep worker's entry with it), a second reuses it, a changed or deleted source rebuilds it,
 * each module keeps its own import.meta.url and import.meta.dirname, and a source that does not
 * compile gives no bundle (bin/alpha.mjs then runs the sources through tsx).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '../..');
const root = realpathSync(mkdtempSync(join(tmpdir(), 'alpha-bundle-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));

mkdirSync(join(root, 'bin'));
mkdirSync(join(root, 'pipelines/cli'), { recursive: true });
mkdirSync(join(root, 'lib/deep'), { recursive: true });
mkdirSync(join(root, 'pipelines/sweep'), { recursive: true });
symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
writeFileSync(
  join(root, 'bin/run.mjs'),
  "import { bundledEntry } from './cli-bundle.mjs';\nconst url = await bundledEntry();\nif (url) await import(url);\nelse console.log('no bundle');\n",
);
/** Written ten seconds in the past: a file changed in the second before a build is built again (cli-bundle.mjs). */
const write = (file: string, text: string) => {
  writeFileSync(join(root, file), text);
  const past = new Date(Date.now() - 10_000);
  utimesSync(join(root, file), past, past);
};
// biome-ignore lint/suspicious/noTemplateCurlyInString: a TypeScript source, written as it is
write('lib/deep/where.ts', 'export const where = (): string => `${import.meta.url} ${import.meta.dirname}`;\n');
write(
  'pipelines/cli/main.ts',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a TypeScript source, written as it is
  "import { where } from '../../lib/deep/where.ts';\nconst n: number = 1;\nconsole.log(`main ${n} ${import.meta.url}`);\nconsole.log(`where ${where()}`);\n",
);

write('pipelines/sweep/worker.ts', "export const serve = (): void => console.log('serving');\n");

write('bin/cli-bundle.mjs', readFileSync(join(REPO, 'bin/cli-bundle.mjs'), 'utf8'));
write('package.json', '{ "type": "module" }\n');

const run = (): string => execFileSync(process.execPath, [join(root, 'bin/run.mjs')], { encoding: 'utf8' });
const builds = (): string[] => readdirSync(join(root, '.cache/cli')).filter((d) => d.startsWith('b-'));

describe('the CLI bundle', () => {
  it('builds once, keeps each source its own import.meta, and reuses the build', () => {
    const first = run();
    expect(first).toContain(`main 1 file://${root}/pipelines/cli/main.ts`);
    expect(first).toContain(`where file://${root}/lib/deep/where.ts ${root}/lib/deep`);
    expect(builds()).toHaveLength(1);
    expect(run()).toBe(first);
    expect(builds()).toHaveLength(1);
    // The sweep's worker comes from the same build.
    const worker = "import { bundledEntry } from './cli-bundle.mjs';\n(await import(await bundledEntry('sweep-worker'))).serve();\n";
    writeFileSync(join(root, 'bin/worker.mjs'), worker);
    expect(execFileSync(process.execPath, [join(root, 'bin/worker.mjs')], { encoding: 'utf8' })).toBe('serving\n');
    expect(builds()).toHaveLength(1);
  });

  it('rebuilds when a source changes, even to the same size', () => {
    const before = builds();
    write('pipelines/cli/main.ts', readFileSync(join(root, 'pipelines/cli/main.ts'), 'utf8').replace('n: number = 1', 'n: number = 2'));
    expect(run()).toContain('main 2 ');
    expect(builds()).toHaveLength(before.length + 1);
    // Same bytes, another modification time: rebuilt all the same (make's rule, not a hash).
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(root, 'lib/deep/where.ts'), later, later);
    run();
    expect(builds()).toHaveLength(before.length + 2);
  });

  it('builds again after a build that may have read a file while it changed', () => {
    const before = builds().length;
    writeFileSync(join(root, 'lib/deep/where.ts'), "export const where = (): string => 'just now';\n");
    expect(run()).toContain('where just now');
    expect(run()).toContain('where just now');
    expect(builds()).toHaveLength(before + 2);
  });

  it('takes no build folder from the manifest other than its own kind', () => {
    write('lib/deep/where.ts', "export const where = (): string => 'settled';\n");
    expect(run()).toContain('where settled');
    const current = join(root, '.cache/cli/current.json');
    const manifest = JSON.parse(readFileSync(current, 'utf8')) as { dir: string };
    mkdirSync(join(root, 'elsewhere'), { recursive: true });
    writeFileSync(join(root, 'elsewhere/main.js'), "console.log('not the bundle');\n");
    writeFileSync(current, JSON.stringify({ ...manifest, dir: '../../elsewhere' }));
    expect(run()).toContain('where settled');
  });

  it('removes, when it builds again, the old builds no running process started from', () => {
    const cache = join(root, '.cache/cli');
    const old = new Date(Date.now() - 120_000);
    const fake = (dir: string, users: number[]) => {
      mkdirSync(join(cache, dir, 'users'), { recursive: true });
      writeFileSync(join(cache, dir, 'main.js'), '');
      for (const pid of users) writeFileSync(join(cache, dir, 'users', String(pid)), '');
      utimesSync(join(cache, dir), old, old);
    };
    fake('b-1-running', [process.pid]); // this test's process: running
    fake('b-2-gone', [2 ** 22 + 1]); // above Linux's largest pid: no such process
    fake('b-3-unclaimed', []);
    write('lib/deep/where.ts', "export const where = (): string => 'again';\n");
    expect(run()).toContain('where again');
    expect(builds()).toContain('b-1-running');
    expect(builds()).not.toContain('b-2-gone');
    expect(builds()).not.toContain('b-3-unclaimed');
  });

  it('builds again when the current build is gone, or the manifest is not a file of JSON', () => {
    const cache = join(root, '.cache/cli');
    const { dir } = JSON.parse(readFileSync(join(cache, 'current.json'), 'utf8')) as { dir: string };
    rmSync(join(cache, dir), { recursive: true });
    expect(run()).toContain('main 2 ');
    expect(existsSync(join(cache, (JSON.parse(readFileSync(join(cache, 'current.json'), 'utf8')) as { dir: string }).dir))).toBe(true);
    writeFileSync(join(cache, 'current.json'), JSON.stringify({ dir: 7, inputs: [null] }));
    expect(run()).toContain('main 2 ');
    rmSync(join(cache, 'current.json'));
    const current = join(cache, 'current.json');
    execFileSync('mkfifo', [current]);
    try {
      // A pipe would block a read for ever: it is not read, and the new manifest replaces it.
      expect(execFileSync(process.execPath, [join(root, 'bin/run.mjs')], { encoding: 'utf8', timeout: 20_000 })).toContain('main 2 ');
      expect(statSync(current).isFile()).toBe(true);
    } finally {
      // A pipe left there (the run failed) goes: the next test's read of it would block for ever.
      if (!statSync(current).isFile()) rmSync(current);
    }
  });

  it('builds again when a file of the build was cut (a full disk, a hand)', () => {
    const cache = join(root, '.cache/cli');
    const { dir } = JSON.parse(readFileSync(join(cache, 'current.json'), 'utf8')) as { dir: string };
    const main = join(cache, dir, 'main.js');
    writeFileSync(main, readFileSync(main, 'utf8').slice(0, 40));
    expect(run()).toContain('main 2 ');
    expect((JSON.parse(readFileSync(join(cache, 'current.json'), 'utf8')) as { dir: string }).dir).not.toBe(dir);
  });

  it('takes a file dated in the future as it is, without building at every start', () => {
    const ahead = new Date(Date.now() + 86_400_000);
    utimesSync(join(root, 'lib/deep/where.ts'), ahead, ahead);
    run();
    const before = builds().length;
    run();
    run();
    expect(builds()).toHaveLength(before);
  });

  it('gives no bundle for a source that does not compile, and builds again once it does', () => {
    write('lib/deep/where.ts', 'export const where = (: string => ;\n');
    expect(run().trim()).toBe('no bundle');
    write('lib/deep/where.ts', "export const where = (): string => 'fixed';\n");
    expect(run()).toContain('where fixed');
  });
});

describe('a checkout whose dependencies were never installed', () => {
  it.each([
    ['as `npm start` runs it (no bundle can be built without esbuild)', {}],
    ['with ALPHA_TSX=1', { ALPHA_TSX: '1' }],
  ])('says to run npm ci, in one line, instead of a stack trace: %s', (_how, extra: Record<string, string>) => {
    const bare = realpathSync(mkdtempSync(join(tmpdir(), 'alpha-bare-')));
    try {
      mkdirSync(join(bare, 'bin'));
      for (const file of ['alpha.mjs', 'cli-bundle.mjs']) writeFileSync(join(bare, 'bin', file), readFileSync(join(REPO, 'bin', file)));
      writeFileSync(join(bare, 'package.json'), '{ "type": "module" }\n');
      const started = spawnSync(process.execPath, [join(bare, 'bin/alpha.mjs'), 'backtest', 'topology.yaml'], {
        encoding: 'utf8',
        env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'ALPHA_TSX')), NODE_PATH: '', ...extra },
        timeout: 20_000,
      });
      expect(started.status).toBe(1);
      expect(started.stderr).toBe(
        `alpha: this checkout's dependencies are not installed (no package tsx under ${join(bare, 'node_modules')}): run \`npm ci\` in ${bare} first\n`,
      );
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});

describe('a process allowed too few open files', () => {
  // Below about 20 descriptors Node itself cannot open bin/alpha.mjs (its own stack trace, or a crash),
  // before any of this code runs; from there up to where the command loads, the CLI must say why.
  const limited = (limit: number, script: string, args: string[], cwd: string) =>
    spawnSync('bash', ['-c', `ulimit -n ${limit} && exec "$0" "$@"`, process.execPath, script, ...args], {
      cwd,
      encoding: 'utf8',
      timeout: 30_000,
    });
  const expectOneLine = (r: ReturnType<typeof spawnSync>, limit: number): void => {
    expect(r.status, String(r.stderr)).toBe(1);
    expect(r.stderr, `ulimit -n ${limit}`).toMatch(/^alpha: .*\(EMFILE\): raise .*\(ulimit -n\)\n$/);
  };
  /**
   * Runs `at(limit)` from 12 descriptors up to the first limit it succeeds at. Below Node's own
   * minimum (18 on Node 20, 22 on Node 22 and 24) Node fails before any of this code runs: a crash,
   * or its own stack trace for the entry file; every other failure must be the CLI's one line.
   * Returns the lines whose stderr `counts`.
   */
  const scan = (at: (limit: number) => ReturnType<typeof spawnSync>, counts: (stderr: string) => boolean = () => true): number => {
    let refused = 0;
    let started = false; // Node got past its own start at a lower limit: a crash from here on is the CLI's
    for (let limit = 12; limit <= 64; limit++) {
      const r = at(limit);
      if (r.status === 0) return refused;
      const nodeItself = r.signal !== null || /open '[^']*bin\/alpha\.mjs'/.test(String(r.stderr));
      if (nodeItself && !started) continue;
      started = true;
      expectOneLine(r, limit);
      if (counts(String(r.stderr))) refused++;
    }
    throw new Error('the command did not run with 64 descriptors');
  };
  // Node 20 starts with descriptors to spare below what the CLI needs to load: the refusals are
  // checked there. Node 22 and 24 need about as many to start as the CLI needs (measured): the scan
  // still checks that every failure is one line.
  const refusesOnThisNode = process.versions.node.startsWith('20.');

  it('says so in one line when the bundle cannot load', () => {
    execFileSync(process.execPath, ['bin/alpha.mjs', 'validate', 'topology.yaml'], { cwd: REPO }); // built
    const refused = scan((limit) => limited(limit, 'bin/alpha.mjs', ['validate', 'topology.yaml'], REPO));
    if (refusesOnThisNode) expect(refused).toBeGreaterThan(0);
  });

  it('says so in one line when the bundle cannot be built (esbuild cannot start)', () => {
    writeFileSync(join(root, 'bin/alpha.mjs'), readFileSync(join(REPO, 'bin/alpha.mjs')));
    const refused = scan(
      (limit) => {
        write('pipelines/cli/main.ts', `console.log('main ${limit}');\n`); // a source changed: built again
        return limited(limit, 'bin/alpha.mjs', [], root);
      },
      (stderr) => stderr.includes('cannot spawn'),
    );
    if (refusesOnThisNode) expect(refused).toBeGreaterThan(0);
  });
});
