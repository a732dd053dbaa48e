/**
 * The data files a table's Delta log names stay inside the table folder. DuckDB's delta extension and
 * delta-rs follow whatever a log's `add` or `remove` says: an absolute path, a `file:` URI or a `../`
 * path to another lake's file was read as the table's, and so was a file under a partition folder that
 * is a symlink to a folder outside the lake. So before a table is read or changed, every path of its
 * log (the JSON commits and the checkpoints) is checked: a relative path of plain names (URL-encoded,
 * as Delta writes it) whose real location, after symlinks, is inside the table folder's. The cold
 * tier's manifest names files of the table too, and is checked the same way.
 */
import { readdirSync, readFileSync, realpathSync, lstatSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { AlphaError } from '../../core/errors.ts';
import { parseJsonText } from '../../core/json-text.ts';
import type { TablePath } from './layout.ts';

const COMMIT = /^\d{20}\.json$/;
const CHECKPOINT = /^\d{20}\.checkpoint(\.\d+\.\d+)?\.parquet$/;
/** Any other checkpoint name Delta readers take: a v2 checkpoint (`N.checkpoint.UUID.parquet|json`). */
const OTHER_CHECKPOINT = /^\d{20}\.checkpoint\./;
/** A URI's scheme (`file:`, `s3:`, …): RFC 3986, before any `/`. */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

const ACCEPTED = 'expected a relative path such as date=YYYY-MM-DD/NAME.parquet, to a file inside the table folder';

/** Why `path` (as written: URL-encoded when `encoded`) cannot name a file of the table, or undefined. */
function shapeProblem(path: unknown, encoded: boolean): { problem: string } | { decoded: string } {
  if (typeof path !== 'string') return { problem: 'not a string' };
  if (path === '') return { problem: 'empty' };
  if (SCHEME.test(path)) return { problem: 'a URI with a scheme' };
  let decoded = path;
  if (encoded)
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return { problem: 'not a valid URL-encoded path' };
    }
  if (decoded.includes('\0')) return { problem: 'a path with a NUL character' };
  if (decoded.includes('\\')) return { problem: 'a path with a backslash' };
  if (isAbsolute(decoded)) return { problem: 'an absolute path' };
  const segments = decoded.split('/');
  if (segments.includes('..')) return { problem: 'a path with a ".." segment' };
  if (segments.includes('.')) return { problem: 'a path with a "." segment' };
  if (segments.includes('')) return { problem: 'a path with an empty segment' };
  return { decoded };
}

const inside = (root: string, path: string): boolean => {
  const rel = relative(root, path);
  return rel === '' || !(rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel));
};

/**
 * Where `file` (under the table folder) really is, when that is outside `realRoot` (the table folder's
 * real path); undefined when it is inside. A file that does not exist (removed, vacuumed, archived) is
 * judged by the nearest folder above it that does; a symlink that resolves to nothing is refused.
 */
function escapes(realRoot: string, file: string): string | undefined {
  for (let p = file; ; p = dirname(p)) {
    try {
      const real = realpathSync(p);
      return inside(realRoot, real) ? undefined : real;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return `nowhere it can be read (${code ?? String(err)})`;
      let dangling = false;
      try {
        dangling = lstatSync(p).isSymbolicLink();
      } catch {}
      if (dangling) return 'nowhere: it is a symlink whose target does not exist';
      if (dirname(p) === p) return undefined;
    }
  }
}

/**
 * The local path of the file `path` (as the log or the cold manifest writes it: URL-encoded when
 * `encoded`) of the table, or an AlphaError naming the table, `where` it was found and the path, when
 * it would reach outside the table folder.
 */
export function tableFile(table: Pick<TablePath, 'dataset' | 'dir'>, path: unknown, where: string, encoded: boolean): string {
  const refuse = (why: string): AlphaError =>
    new AlphaError(`dataset "${table.dataset}": ${where} names the file ${JSON.stringify(path)}, ${why}; ${ACCEPTED} ${table.dir}`);
  const shape = shapeProblem(path, encoded);
  if ('problem' in shape) throw refuse(shape.problem);
  const file = join(table.dir, shape.decoded);
  const real = escapes(realpathSync(table.dir), file);
  if (real !== undefined) throw refuse(`which resolves to ${real}, outside the table folder`);
  return file;
}

/** A deletion vector stored in a file: `u` (a name under the table folder, with a prefix) or `p` (a path). */
function checkDeletionVector(table: TablePath, dv: unknown, where: string): void {
  if (dv === null || dv === undefined || typeof dv !== 'object') return;
  const { storageType, pathOrInlineDv } = dv as { storageType?: unknown; pathOrInlineDv?: unknown };
  if (storageType === 'i') return;
  if (storageType === 'u' && typeof pathOrInlineDv === 'string') {
    // `<prefix><20 characters of the encoded UUID>`: the file is PREFIX/deletion_vector_<UUID>.bin.
    const prefix = pathOrInlineDv.slice(0, -20);
    tableFile(table, prefix === '' ? 'deletion_vector.bin' : `${prefix}/deletion_vector.bin`, `${where} (its deletion vector)`, false);
    return;
  }
  throw new AlphaError(
    `dataset "${table.dataset}": ${where} has a deletion vector at ${JSON.stringify(pathOrInlineDv)} (storage type ${JSON.stringify(storageType)}); ` +
      'expected none, inline or one named relative to the table folder',
  );
}

interface FileAction {
  path?: unknown;
  deletionVector?: unknown;
}

/** Checks one action of the log (add, remove, cdc); a checkpoint's sidecar is refused. */
function checkAction(table: TablePath, kind: string, action: FileAction, where: string): void {
  const at = `${where} (${kind})`;
  if (kind === 'sidecar')
    // A sidecar holds more add actions, in a file of its own: v2 checkpoints, which alpha neither writes nor checks.
    throw new AlphaError(
      `dataset "${table.dataset}": ${at} names a sidecar file (a v2 checkpoint); expected classic checkpoints, which alpha and delta-rs write`,
    );
  tableFile(table, action.path, at, true);
  checkDeletionVector(table, action.deletionVector, at);
}

const LOGGED = ['add', 'remove', 'cdc'] as const;

/** The actions of one JSON commit that name files; a line that is not a JSON object is refused. */
function checkCommit(table: TablePath, log: string, name: string): void {
  const lines = readFileSync(join(log, name), 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${join(log, name)} line ${i + 1}`;
    const read = parseJsonText(line);
    if ('error' in read)
      throw new AlphaError(`dataset "${table.dataset}": ${where} is not JSON (${read.error}); expected one Delta action per line`);
    const action = read.value;
    if (action === null || typeof action !== 'object') return;
    for (const kind of LOGGED) {
      const a = (action as Record<string, unknown>)[kind];
      if (a !== undefined) checkAction(table, kind, (a ?? {}) as FileAction, where);
    }
  });
}

/** The actions of one checkpoint (Parquet: one column per action kind, a struct with `path`). */
function checkCheckpoint(table: TablePath, log: string, name: string): void {
  const file = join(log, name);
  let t: arrow.Table;
  try {
    t = arrow.tableFromIPC(pw.readParquet(readFileSync(file)).intoIPCStream());
  } catch (err) {
    throw new AlphaError(
      `dataset "${table.dataset}": the checkpoint ${file} is not readable Parquet (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`,
    );
  }
  for (const kind of [...LOGGED, 'sidecar']) {
    const column = t.getChild(kind);
    if (!column) continue;
    for (let i = 0; i < column.length; i++) {
      const row = column.get(i) as { toJSON(): FileAction } | null;
      if (row) checkAction(table, kind, row.toJSON(), `${file} row ${i + 1}`);
    }
  }
}

/**
 * Refuses a table whose log (any commit or checkpoint in `_delta_log/`) names a file outside the table
 * folder; each entry of the log is a regular file already (layout.ts).
 */
export function checkTableFiles(table: TablePath): void {
  const log = join(table.dir, '_delta_log');
  for (const name of readdirSync(log).sort()) {
    if (COMMIT.test(name)) checkCommit(table, log, name);
    else if (CHECKPOINT.test(name)) checkCheckpoint(table, log, name);
    else if (OTHER_CHECKPOINT.test(name))
      // DuckDB's reader takes these too: unchecked, their adds could name any file.
      throw new AlphaError(
        `dataset "${table.dataset}": ${join(log, name)} is a v2 checkpoint; expected classic checkpoints (N.checkpoint.parquet), which alpha and delta-rs write`,
      );
    else if (name === '_sidecars')
      throw new AlphaError(
        `dataset "${table.dataset}": ${join(log, name)} holds sidecars of v2 checkpoints; expected classic checkpoints, which alpha and delta-rs write`,
      );
  }
}
