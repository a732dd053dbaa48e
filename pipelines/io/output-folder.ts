/**
 * An output folder written atomically: a run writes into a fresh staging folder beside `--out`
 * (`.NAME.staging-PID-XXXXXX`) and `commit()` moves it into place whole, so `--out` holds either the
 * previous result or the new one, never a mix or a half. A lock file beside it (`.NAME.lock`, holding
 * the pid) keeps two runs from writing the same `--out`; a lock, staging or old folder of a process
 * that is no longer running is cleaned up by the next run.
 *
 * @example
 * const out = openOutput('out/run', { overwrite: true });
 * try {
 *   // … write into out.dir …
 *   out.commit();
 * } catch (err) {
 *   throw out.abort(err);
 * }
 */
import {
  accessSync,
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { AlphaError } from '../../lib/core/errors.ts';
import { ranOutOfSpace, systemErrorText } from '../../lib/core/system-errors.ts';
import { PidLockError, removeDeadLeftovers, takePidLock } from '../../lib/io/pid-lock.ts';
import type { Topology } from '../topology/model.ts';
import { processAlive } from '../../lib/core/process-alive.ts';
import { removedOnSignal } from '../../lib/core/on-signal.ts';

export interface OutputFolder {
  /** The final folder (absolute). */
  readonly out: string;
  /** The staging folder to write into (absolute); it becomes `out` on commit. */
  readonly dir: string;
  /** Moves the staging folder into place (replacing `out` whole) and releases the lock. */
  commit(): void;
  /** `text` with the staging folder named as `out`, where its files will be (a point's error in a sweep). */
  named(text: string): string;
  /**
   * Releases the lock and removes the staging folder, or keeps it as NAME.failed beside `out` when
   * the run wrote something into it. Returns `err` with a sentence saying where its output went.
   */
  abort(err?: unknown): unknown;
}

export interface OutputOptions {
  /** Replace an existing non-empty folder (default: refuse it). */
  overwrite?: boolean;
  /** The option's name in messages (default "--out"). */
  flag?: string;
  /** Where notes go (a stale lock taken over, leftovers removed); default stderr. */
  note?: (line: string) => void;
  /**
   * What the run reads (its data folder, topology file, …): `--out` may not be one of them, hold one
   * (--overwrite would delete it) or be inside a folder of them (the run would write into its input).
   */
  inputs?: readonly RunInput[];
  /** What this run is, written in its lock for the message that refuses another run ("alpha live", "alpha backtest"). */
  holder?: string;
}

/** A file or folder a run reads, named for messages: `{ what: 'the data folder (--data)', path, folder: true }`. */
export interface RunInput {
  what: string;
  path: string;
  folder?: boolean;
  /** What the run does with it, for messages (default "which this run reads"). */
  role?: string;
}

export function openOutput(path: string, options: OutputOptions = {}): OutputFolder {
  const flag = options.flag ?? '--out';
  const note = options.note ?? defaultNote;
  const where = `${flag} ${path}`;
  const { out, release: releaseLock } = holdOutput(path, options);
  const parent = dirname(out);
  const name = basename(out);
  let forgetStaging = (): void => {};
  const release = () => {
    releaseLock();
    forgetStaging();
  };
  try {
    removeLeftovers(parent, name, out, note);
    if (isDirectory(out)) {
      const entries = readdirSync(out);
      if (entries.length > 0 && !options.overwrite)
        throw new AlphaError(
          `${where}: not empty (${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}: ${entries.sort().slice(0, 5).join(', ')}${entries.length > 5 ? ', …' : ''}), expected a new or empty folder, or --overwrite to replace it whole`,
        );
      try {
        accessSync(out, constants.W_OK);
      } catch (err) {
        throw new AlphaError(`${where}: cannot replace it (${reason(err)}), expected a folder this user can write`);
      }
    }
    let dir: string;
    try {
      dir = join(parent, `.${name}.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
      mkdirSync(dir); // the mode a plain mkdir gives (mkdtemp's is 0700)
      forgetStaging = removedOnSignal(dir);
    } catch (err) {
      throw new AlphaError(`${where}: cannot write in ${parent} (${reason(err)}), expected a folder this user can write`);
    }
    try {
      probe(dir);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw new AlphaError(`${where}: cannot write in ${dir} (${reason(err)}), expected a folder this user can write`);
    }
    let open = true;
    /** `text` with the staging folder's paths named in `at` (a function: a "$&" in a name stays as it is). */
    const nameIn = (text: string, at: string): string => text.replaceAll(dir, () => at);
    return {
      out,
      dir,
      commit() {
        if (!open) throw new Error(`${where}: already committed or aborted`);
        open = false;
        try {
          swapInto(dir, out, parent, name);
        } finally {
          release();
        }
      },
      named: (text) => nameIn(text, out),
      abort(err?: unknown) {
        if (!open) return err;
        open = false;
        let sentence: string;
        // Where the run's files are once the staging folder is gone: named there, not by it.
        let now = out;
        // On a full disk what the run wrote is removed: kept, it would keep the disk full.
        const full = ranOutOfSpace(err);
        try {
          if (full) {
            rmSync(dir, { recursive: true, force: true });
            sentence = `${where} left as it was; this run's partial output removed, to give the space back`;
          } else if (readdirSync(dir).length > 0) {
            const failed = join(parent, `${name}.failed`);
            rmSync(failed, { recursive: true, force: true });
            renameSync(dir, failed);
            now = failed;
            sentence = `${where} left as it was; this run's partial output and logs are in ${failed}`;
          } else {
            rmSync(dir, { recursive: true, force: true });
            sentence = `${where} left as it was; the run wrote nothing`;
          }
        } catch (cleanup) {
          now = dir;
          sentence = `${where} left as it was; its staging folder ${dir} could not be removed (${reason(cleanup)})`;
        } finally {
          release();
        }
        const named = (text: string): string => nameIn(text, now);
        if (err instanceof Error) {
          err.message = `${named(err.message)}\n  (${sentence})`;
          const system = err as NodeJS.ErrnoException;
          if (typeof system.path === 'string') system.path = named(system.path);
          return err;
        }
        return err === undefined ? undefined : new AlphaError(`${named(String(err))} (${sentence})`);
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

/** A run's hold on its output folder (holdOutput): the folder, its lock, and the release of the lock. */
export interface HeldOutput {
  /** The folder (absolute). */
  readonly out: string;
  /** The lock beside it, `.NAME.lock`. */
  readonly lock: string;
  /** Releases the lock (again: nothing). */
  release(): void;
}

/**
 * Holds `path` for this run the way openOutput does, for a run that writes into it directly (`alpha
 * live`, whose capture must be where a killed run left it): refuses an input, a link or a folder no
 * run may own, then takes `.NAME.lock` beside it, naming `options.holder`. A lock of a process no
 * longer running is taken over; one of a running process is refused naming it. The lock goes with
 * `release()`, or with the process when a signal ends it.
 */
export function holdOutput(path: string, options: OutputOptions = {}): HeldOutput {
  const flag = options.flag ?? '--out';
  const note = options.note ?? defaultNote;
  const where = `${flag} ${path}`;
  const out = ownFolder(path, flag);
  refuseInputs(out, options.inputs ?? [], where);
  refuseLink(out, where);
  const parent = dirname(out);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (err) {
    throw new AlphaError(`${where}: cannot create its parent folder ${parent} (${reason(err)}), expected a folder this user can write`);
  }
  const lock = join(parent, `.${basename(out)}.lock`);
  takeLock(lock, where, flag, note, options.holder);
  // Ended by a signal, the run takes its lock with it (the next run would take it over too).
  const forget = removedOnSignal(lock);
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    rmSync(lock, { force: true });
    forget();
  };
  try {
    for (const left of removeDeadLeftovers(lock)) note(`removed ${left.path} (left by process ${left.pid}, no longer running)`);
  } catch (err) {
    release();
    throw err;
  }
  return { out, lock, release };
}

function defaultNote(line: string): void {
  process.stderr.write(`alpha: ${line}\n`);
}

/**
 * The run's folder replaces the entry at `out` by a rename: a link there would be replaced and its
 * target left as it was (a dangling one failed only at the end, after the whole run).
 */
function refuseLink(out: string, where: string): void {
  let target: string | undefined;
  try {
    if (lstatSync(out).isSymbolicLink()) target = readlinkSync(out);
  } catch {
    return; // missing
  }
  if (target !== undefined)
    throw new AlphaError(
      `${where}: is a symbolic link (to ${target}), expected a folder of its own: give the folder it names if the run should write there`,
    );
}

/** `out` is a folder or does not exist yet, and no existing folder on its way is a file. */
function checkFolderPath(out: string, where: string): void {
  for (let p = out; ; p = dirname(p)) {
    let stats: ReturnType<typeof statSync> | undefined;
    try {
      stats = statSync(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        if (p === dirname(p)) return;
        continue;
      }
      if (code === 'ENOTDIR') continue; // a file further up: found on the way up
      throw new AlphaError(`${where}: cannot read ${p} (${reason(err)}), expected a folder`);
    }
    if (!stats.isDirectory())
      throw new AlphaError(p === out ? `${where}: is a file, expected a folder` : `${where}: ${p} is a file, expected a folder`);
    return;
  }
}

/** Takes `.NAME.lock` (lib/io/pid-lock.ts); a lock of a process no longer running is taken over. */
function takeLock(lock: string, where: string, flag: string, note: (line: string) => void, label?: string): void {
  let holder: number | undefined;
  try {
    holder = takePidLock(
      lock,
      (stale) => {
        const pid = Number.parseInt(stale, 10);
        note(`taking over the stale lock ${lock} (${Number.isInteger(pid) ? `process ${pid} is not running` : 'no pid in it'})`);
      },
      label,
    );
  } catch (err) {
    if (!(err instanceof PidLockError)) throw err;
    const code = (err.cause as NodeJS.ErrnoException).code;
    if (err.step === 'write') {
      const system = systemErrorText(code);
      throw new AlphaError(
        system
          ? `${where}: cannot write in ${dirname(lock)}: ${system}`
          : `${where}: cannot write in ${dirname(lock)} (${reason(err.cause)}), expected a folder this user can write`,
      );
    }
    if (code === 'EEXIST')
      throw new AlphaError(`${where}: its lock ${lock} was taken by another run meanwhile, expected one run per folder`);
    throw new AlphaError(`${where}: cannot create its lock ${lock} (${reason(err.cause)}), expected a folder this user can write`);
  }
  if (holder !== undefined) {
    const what = holderLabel(lock);
    const by = what ? `${what} (process ${holder}, lock ${lock})` : `process ${holder} (lock ${lock})`;
    throw new AlphaError(
      `${where}: in use by ${by}, expected one run per folder: wait for it${what === 'alpha live' ? ' or stop it (alpha kill, or SIGTERM)' : ''}, or choose another ${flag}`,
    );
  }
}

/** What the holder of `lock` wrote after its pid ("alpha live"), if anything: for the message only. */
function holderLabel(lock: string): string | undefined {
  try {
    const m = /^\d+ ([a-z][a-z -]{0,40})\n?$/.exec(readFileSync(lock, 'utf8'));
    return m?.[1];
  } catch {
    return undefined; // released meanwhile
  }
}

/**
 * Staging and old folders of runs no longer running (holdOutput removes their private lock files); an
 * old folder whose swap was interrupted goes back in place.
 */
function removeLeftovers(parent: string, name: string, out: string, note: (line: string) => void): void {
  const pattern = new RegExp(`^\\.${escapeRegExp(name)}\\.(staging|old)-(\\d+)-`);
  for (const entry of readdirSync(parent).sort()) {
    const m = pattern.exec(entry);
    const pid = m ? Number(m[2]) : 0;
    if (!m || processAlive(pid)) continue;
    const path = join(parent, entry);
    if (m[1] === 'old' && !existsPath(out)) {
      renameSync(path, out);
      note(`put back ${out} from ${path} (a replacement was interrupted)`);
    } else {
      rmSync(path, { recursive: true, force: true });
      note(`removed ${path} (left by process ${pid}, no longer running)`);
    }
  }
}

/** Staging → out with renames: a folder cannot be renamed onto a non-empty one, so the old one moves aside first. */
function swapInto(dir: string, out: string, parent: string, name: string): void {
  if (!existsPath(out)) {
    renameSync(dir, out);
    return;
  }
  const old = join(parent, `.${name}.old-${process.pid}-${randomBytes(4).toString('hex')}`);
  renameSync(out, old);
  try {
    renameSync(dir, out);
  } catch (err) {
    renameSync(old, out);
    throw err;
  }
  rmSync(old, { recursive: true, force: true });
}

function probe(dir: string): void {
  const file = join(dir, '.probe');
  closeSync(openSync(file, 'wx'));
  unlinkSync(file);
}

/**
 * `path` as an absolute folder a run may own (create, empty, replace): not the root, the home folder,
 * the working folder or one of its parents, and a sound path; else an AlphaError naming `flag`.
 */
export function ownFolder(path: string, flag = '--out'): string {
  const where = `${flag} ${path}`;
  const out = resolve(path);
  const parent = dirname(out);
  checkFolderPath(out, where);
  if (out === parent || isWithin(process.cwd(), out) || out === homedir())
    throw new AlphaError(
      `${where}: is ${out === parent ? 'the root folder' : out === homedir() ? 'the home folder' : 'the working folder or one of its parents'}, expected a folder of its own (e.g. out/NAME)`,
    );
  return out;
}

/**
 * What a run of `topologyFile` over `dataDir` reads, which its --out must keep clear of: with the
 * resolved topology, also what its nodes read (model folders, latency files), and the lake folder
 * its `store: lake` sources read.
 */
export function runInputs(
  topologyFile: string,
  dataDir: string | undefined,
  topology?: Pick<Topology, 'nodes'>,
  lakeDir?: string,
): RunInput[] {
  const nodes = (topology?.nodes ?? []).flatMap((n) =>
    (n.spec.reads?.(n.params as never) ?? []).map(
      (r): RunInput => ({ what: `the ${r.param} of node "${n.name}"`, path: r.path, ...(r.folder ? { folder: true } : {}) }),
    ),
  );
  return [
    ...(dataDir ? [{ what: 'the data folder', path: dataDir, folder: true }] : []),
    { what: 'the topology', path: topologyFile },
    ...nodes,
    ...(lakeDir ? [{ what: 'the lake', path: lakeDir, folder: true }] : []),
  ];
}

/**
 * `out` (a folder or a file a run writes) neither is nor holds an input, nor lies inside an input
 * folder (symlinks followed on both sides); else an AlphaError starting with `where`.
 */
export function refuseInputs(
  out: string,
  inputs: readonly RunInput[],
  where: string,
  accepted = 'a folder of its own outside it (e.g. out/NAME)',
): void {
  const real = realPath(resolve(out));
  for (const input of inputs) {
    const p = realPath(resolve(input.path));
    if (isWithin(p, real))
      throw new AlphaError(
        `${where}: ${p === real ? 'is' : 'holds'} ${input.what} ${input.path}, ${input.role ?? 'which this run reads'}; expected ${accepted}`,
      );
    if (input.folder && isWithin(real, p)) throw new AlphaError(`${where}: is inside ${input.what} ${input.path}; expected ${accepted}`);
  }
}

/** `path` with the symlinks of its longest existing part resolved, the rest appended as it is. */
function realPath(path: string): string {
  const rest: string[] = [];
  for (let p = path; ; p = dirname(p)) {
    try {
      return join(realpathSync(p), ...rest.reverse());
    } catch {
      if (dirname(p) === p) return path;
      rest.push(basename(p));
    }
  }
}

function isWithin(path: string, folder: string): boolean {
  const r = relative(folder, path);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !r.startsWith(sep));
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function existsPath(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message.split(', ')[0]?.replace(`${e.code}: `, '')}` : String(e.message ?? err);
}

/** Every file under `dir`, as paths relative to it, sorted (what a committed run wrote). */
export function listFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else files.push(r);
    }
  };
  walk('');
  return files.sort();
}
