// The `alpha` command's TypeScript as one esbuild bundle, kept in .cache/cli/ and rebuilt whenever a
// file it was built from changed. Loading ~250 modules through tsx's loader thread, each a round trip,
// and ~500 files of packages one by one, took 0.3 s of every start; the bundle builds in ~0.3 s.
// Why a cache and not a build step: docs/decisions.md ("No build step; the CLI runs from a bundle").
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CACHE = join(ROOT, '.cache', 'cli');
const CURRENT = join(CACHE, 'current.json');
/** Builds are never removed younger than this, whether or not a process claimed them yet. */
const KEEP_MS = 60 * 1000;

/** The bundle's entry points: the command line, and a sweep's worker (pipelines/sweep/worker-entry.mjs). */
const ENTRIES = { main: 'pipelines/cli/main.ts', 'sweep-worker': 'pipelines/sweep/worker.ts' };

/**
 * Imports entry `name` (a key of ENTRIES) from the bundle, or, when there is none, it cannot load or
 * ALPHA_TSX=1, the TypeScript at `source` (a URL) through tsx. The entry's module, once evaluated: for
 * the command line, once its command has run (main.ts reports every error of a command itself, so a
 * rejection of the bundle's import is a bundle that did not load, and no command ran).
 */
export async function importEntry(name, source) {
  const bundle = process.env['ALPHA_TSX'] === '1' ? undefined : await bundledEntry(name);
  if (bundle) {
    // Stack traces (--debug) name the TypeScript sources' lines.
    if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
    const loaded = await import(bundle).catch((error) => {
      // The machine refused a file (too many open, say): tsx would meet the same refusal and report it
      // as a module not found, so say what it is. Any other failure is a bundle that does not load.
      if (isSystemError(error)) exitOnSystemError(error);
      return undefined;
    });
    if (loaded) return loaded;
  }
  const [{ register: registerHooks }, { register }] = await Promise.all([import('node:module'), importTsx()]);
  register();
  registerHooks('./require-builds.mjs', import.meta.url);
  return import(source);
}

const isSystemError = (error) => typeof error?.code === 'string' && typeof error?.syscall === 'string' && /^E[A-Z]+$/.test(error.code);

/** What to do about a system error met while loading the command, where there is something to do. */
const LOAD_HINTS = {
  EMFILE: 'raise the limit of open files (ulimit -n)',
  ENFILE: 'try again once other processes have closed their files',
  ENOMEM: 'free some memory',
};

/** One line for a file the system would not let the command load (the stack trace with --debug), exit 1. */
function exitOnSystemError(error) {
  if (process.argv.includes('--debug')) throw error;
  const hint = LOAD_HINTS[error.code] ?? 'run again with --debug for the stack trace';
  // A spawn's syscall names the file already ("spawn /…/esbuild").
  const action = error.path && !error.syscall.endsWith(error.path) ? `${error.syscall} ${error.path}` : error.syscall;
  const what = error.path ? `cannot ${action}` : `${action} failed`;
  process.stderr.write(`alpha: cannot load the command: ${what} (${error.code}): ${hint}\n`);
  process.exit(1);
}

/**
 * tsx's loader; a checkout whose dependencies were never installed (`npm start` before `npm ci`)
 * exits with one line saying so instead of Node's stack trace (which --debug keeps).
 */
async function importTsx() {
  try {
    return await import('tsx/esm/api');
  } catch (error) {
    // Only tsx itself missing: a package tsx needs that is missing is a broken install, shown as it is.
    if (isSystemError(error)) exitOnSystemError(error);
    const tsxMissing = error?.code === 'ERR_MODULE_NOT_FOUND' && /Cannot find package 'tsx'/.test(String(error.message));
    if (!tsxMissing || process.argv.includes('--debug')) throw error;
    process.stderr.write(
      `alpha: this checkout's dependencies are not installed (no package tsx under ${join(ROOT, 'node_modules')}): run \`npm ci\` in ${resolve(ROOT)} first\n`,
    );
    process.exit(1);
  }
}

/**
 * The URL of the bundle's entry `name` (a key of ENTRIES), built first when missing or stale;
 * undefined when it cannot be built (a source that does not compile, a read-only checkout, esbuild
 * missing): the caller then runs the sources through tsx, whose error names the file. A process the
 * CLI started (a sweep's worker) takes its parent's build (ALPHA_CLI_BUILD), so both run the same code.
 */
export async function bundledEntry(name = 'main') {
  try {
    const inherited = process.env['ALPHA_CLI_BUILD'];
    if (inherited && BUILD_DIR.test(inherited) && claim(inherited, name)) return pathToFileURL(entryFile(inherited, name)).href;
    const current = readCurrent();
    let dir = current !== undefined && usableBuild(current) ? current.dir : undefined;
    // Claimed before it is loaded: a later start that builds again removes only builds nobody runs.
    if (dir === undefined || !claim(dir, name)) {
      dir = await rebuild();
      if (!claim(dir, name)) return undefined;
    }
    process.env['ALPHA_CLI_BUILD'] = dir;
    return pathToFileURL(entryFile(dir, name)).href;
  } catch {
    return undefined;
  }
}

/**
 * Marks build `dir` as run by this process (`users/PID`: a command loads its chunks as it goes, so
 * the build must stay while it runs), then says whether its entry is still there.
 */
function claim(dir, name) {
  try {
    mkdirSync(join(CACHE, dir, 'users'), { recursive: true });
    writeFileSync(join(CACHE, dir, 'users', String(process.pid)), '');
  } catch {
    // A read-only checkout: nothing removes builds there either.
  }
  return statSync(entryFile(dir, name), { throwIfNoEntry: false })?.isFile() === true;
}

/** A build's folder name, as rebuild() makes it: the manifest names nothing outside the cache. */
const BUILD_DIR = /^b-\d+-[0-9a-z]+$/;

const entryFile = (dir, name) => join(CACHE, dir, `${name}.js`);

/** Whether the manifest names a build of these entries, whole, from inputs none of which changed since. */
function usableBuild(current) {
  try {
    return (
      typeof current.dir === 'string' &&
      BUILD_DIR.test(current.dir) &&
      JSON.stringify(current.entries) === JSON.stringify(ENTRIES) &&
      fresh(current.inputs) &&
      whole(current.dir, current.outputs)
    );
  } catch {
    return false; // a manifest of another shape: built again
  }
}

/** The manifest, when it is a small regular file holding JSON (not a pipe, a device or a link to one). */
function readCurrent() {
  try {
    // bigint: on Node 22, a plain statSync of a FIFO left its shared stat buffer in a state after which
    // import() of a CommonJS package through a symlinked node_modules (esbuild, next) gave undefined
    // exports (nodejs/node#51142's family); the bigint call keeps its own buffer.
    const st = statSync(CURRENT, { throwIfNoEntry: false, bigint: true });
    if (!st?.isFile() || st.size > 4n * 1024n * 1024n) return undefined;
    return JSON.parse(readFileSync(CURRENT, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether every input still has the size and modification time it had when the bundle was built. */
function fresh(inputs) {
  if (!Array.isArray(inputs) || inputs.length === 0) return false;
  for (const [file, size, mtime] of inputs) {
    const st = statSync(join(ROOT, file), { throwIfNoEntry: false });
    if (!st || st.size !== size || st.mtimeMs !== mtime) return false;
  }
  return true;
}

/** Whether the build's files all have the sizes esbuild wrote (not cut by a full disk or a hand). */
function whole(dir, outputs) {
  if (!Array.isArray(outputs) || outputs.length === 0) return false;
  return outputs.every(([file, size]) => statSync(join(CACHE, dir, file), { throwIfNoEntry: false })?.size === size);
}

async function rebuild() {
  // esbuild's service is a child process whose spawn failure (EMFILE) is an 'error' event nothing
  // can catch; that one is reported in one line like any system error met while loading.
  const onUncaught = (error) => {
    if (isSystemError(error)) exitOnSystemError(error);
    throw error;
  };
  process.once('uncaughtException', onUncaught);
  try {
    return await buildBundle();
  } finally {
    // The spawn's 'error' event comes a tick after esbuild has given up on its service.
    await new Promise((resolve) => setImmediate(resolve));
    process.off('uncaughtException', onUncaught);
  }
}

async function buildBundle() {
  const { build } = await import('esbuild');
  const started = Date.now();
  mkdirSync(CACHE, { recursive: true });
  const dir = `b-${process.pid}-${Date.now().toString(36)}`;
  const outdir = join(CACHE, dir);
  const result = await build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(ROOT, file)])),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // The bundled packages' ES module builds; a CommonJS one among them may still require() a builtin.
    mainFields: ['module', 'main'],
    conditions: ['import'],
    banner: { js: "import { createRequire as __alphaRequire } from 'node:module'; const require = __alphaRequire(import.meta.url);" },
    sourcemap: 'linked',
    outdir,
    absWorkingDir: ROOT,
    metafile: true,
    logLevel: 'silent',
    plugins: [externalPackages, sourceUrls(outdir)],
  });
  // This file, the package manifest and tsconfig.json decide how the bundle is built and what it imports.
  const settings = [relative(ROOT, fileURLToPath(import.meta.url)), 'package.json', 'tsconfig.json'];
  const files = [...Object.keys(result.metafile.inputs), ...settings.filter((f) => statSync(join(ROOT, f), { throwIfNoEntry: false }))];
  // A file changed while the build read it may be in the bundle as it was: recorded as changed, so the
  // next start builds again (a second of slack for coarse file-system clocks). A file dated after the
  // build (a clock ahead, an unpacked archive) was not changed during it.
  const ended = Date.now();
  const inputs = files.map((file) => {
    const st = statSync(join(ROOT, file));
    return [file, st.size, st.mtimeMs >= started - 1000 && st.mtimeMs <= ended ? -1 : st.mtimeMs];
  });
  const tmp = `${CURRENT}.${process.pid}`;
  const outputs = Object.entries(result.metafile.outputs).map(([file, o]) => [relative(outdir, join(ROOT, file)), o.bytes]);
  writeFileSync(tmp, JSON.stringify({ entries: ENTRIES, dir, inputs, outputs }));
  renameSync(tmp, CURRENT);
  removeOldBuilds(dir);
  return dir;
}

/**
 * Packages stay outside the bundle (Node loads them from node_modules as before), but for pure
 * JavaScript ones of many small modules, which Node would load file by file (apache-arrow alone is
 * ~300 files): those go into the bundle. Packages that find files beside themselves (addons,
 * WebAssembly) must stay out.
 */
const BUNDLED = new Set(['apache-arrow', 'zod', 'rxjs', 'yaml', 'flatbuffers', 'tslib']);
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { external: true };
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      return BUNDLED.has(name) ? undefined : { external: true };
    });
  },
};

/**
 * Each module keeps its own `import.meta.url` and `import.meta.dirname` (the sources find the addons,
 * the schemas and package.json beside themselves): both are rewritten to the source file's location,
 * relative to the bundle, so the checkout can move.
 */
function sourceUrls(outdir) {
  return {
    name: 'source-urls',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta.')) return undefined;
        const url = `new URL(${JSON.stringify(relative(outdir, args.path).split('\\').join('/'))}, import.meta.url)`;
        const dirname = `__alphaDirname(__alphaPath(${url}))`;
        // The helpers' imports go last (imports are hoisted), so the lines stay those of the source.
        const helpers =
          "\nimport { dirname as __alphaDirname } from 'node:path';\nimport { fileURLToPath as __alphaPath } from 'node:url';\n";
        const rewritten = source.replace(/import\.meta\.(dirname|url)\b/g, (_, what) => (what === 'url' ? `${url}.href` : dirname));
        const contents = rewritten + helpers;
        return { contents, loader: 'ts' };
      });
    },
  };
}

/** Removes the builds other than `keep` that no running process started from (and a minute old, at least). */
function removeOldBuilds(keep) {
  for (const name of readdirSync(CACHE)) {
    if (!BUILD_DIR.test(name) || name === keep) continue;
    const path = join(CACHE, name);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st || Date.now() - st.mtimeMs < KEEP_MS || inUse(path)) continue;
    rmSync(path, { recursive: true, force: true });
  }
}

/** Whether a process that claimed the build at `path` still runs. */
function inUse(path) {
  let users = [];
  try {
    users = readdirSync(join(path, 'users'));
  } catch {
    return false;
  }
  return users.some((pid) => {
    try {
      process.kill(Number(pid), 0);
      return true;
    } catch (err) {
      return err.code === 'EPERM'; // running, as another user
    }
  });
}
