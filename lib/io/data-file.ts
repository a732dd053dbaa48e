/**
 * Reading a file a run takes whole or hands to a decoder: a data file of a dataset (inside its folder,
 * after symlinks), a manifest, a model card. Opened without blocking and checked on the open
 * descriptor, so a pipe, a device or a file over its limit is a DataError naming the file, never a read
 * that blocks or exhausts memory. No Parquet here: commands that read only JSON load no decoder.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { DataError } from '../core/errors.ts';
import { oneLine, parseJsonBytes } from '../core/json-text.ts';

/** A file that is not there (or a path through a file): callers that have their own advice for a missing file tell it apart. */
export class DataFileMissing extends DataError {}

/**
 * The largest data file a run reads: 512 MiB. A file is read whole and decoded inside parquet-wasm's
 * WebAssembly memory (at most 4 GiB), where its decoded columns take several times its size; the
 * generated datasets' files are a few MiB a day. Anything larger is refused rather than exhausting memory.
 */
export const MAX_DATA_FILE_BYTES = 512 * 1024 * 1024;

/** Why `file` (as written in a manifest) cannot name a file inside its data folder, judged by its text alone. */
export function lexicalProblem(file: string): string | undefined {
  if (file === '') return 'expected a file path relative to the data folder';
  if (file.includes('\0')) return 'expected a file path without NUL characters';
  if (isAbsolute(file)) return 'outside the data folder: expected a path relative to the data folder';
  const n = normalize(file);
  if (n === '..' || n.startsWith(`..${sep}`)) return 'outside the data folder: expected a path that stays inside it';
  return undefined;
}

/**
 * Why `file` (relative to `dir`) may not be read as data, or undefined when it may: it must resolve,
 * after symlinks, inside `dir`, and be a regular file, not empty, of at most MAX_DATA_FILE_BYTES.
 */
export function checkDataFile(dir: string, file: string): string | undefined {
  return dataFileIdentity(dir, file).problem;
}

/**
 * checkDataFile's answer, and when there is no problem the file's identity (device and inode, after
 * symlinks): two names with the same identity are the same file.
 */
export function dataFileIdentity(dir: string, file: string): { problem?: string; id?: string } {
  const problem = lexicalProblem(file);
  if (problem) return { problem };
  const resolved = resolveProblem(dir, file);
  return resolved.problem !== undefined ? { problem: resolved.problem } : { id: resolved.id! };
}

function resolveProblem(dir: string, file: string): { problem?: string; real?: string; id?: string } {
  let real: string;
  let root: string;
  try {
    root = realpathSync(dir);
    real = realpathSync(join(dir, file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' || code === 'ENOTDIR' ? 'file not found' : `cannot read: ${String(err)}` };
  }
  const rel = relative(root, real);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
    return { problem: `outside the data folder (it resolves to ${real}, the folder is ${root})` };
  const st = statSync(real, { bigint: true }); // bigint: an inode number may pass 2^53
  const problem = fileProblem(st) ?? (st.size === 0n ? 'empty (0 bytes): expected a Parquet file' : undefined);
  return problem ? { problem } : { real, id: `${st.dev}:${st.ino}` };
}

/** What a file should be at most: its size, and what the limit is for (in the refusal). */
export interface FileLimit {
  bytes: number;
  of: string;
}
const DATA_FILE: FileLimit = { bytes: MAX_DATA_FILE_BYTES, of: 'a data file' };

function fileProblem(
  st: { isFile(): boolean; isDirectory(): boolean; size: number | bigint },
  limit: FileLimit = DATA_FILE,
): string | undefined {
  if (!st.isFile()) return `not a regular file (a ${st.isDirectory() ? 'folder' : 'device, pipe or socket'})`;
  if (Number(st.size) > limit.bytes) return `${st.size} bytes: larger than the limit of ${limit.bytes} bytes for ${limit.of}`;
  return undefined;
}

/**
 * `path` opened for reading: a regular file of at most MAX_DATA_FILE_BYTES. Opened without blocking
 * (a pipe) and checked on the open descriptor, so a device or a file swapped after an earlier check is
 * refused. The caller closes `fd`.
 */
function openDataBytes(path: string, limit: FileLimit = DATA_FILE): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: a part of the path is a file (a card.json given as the model folder).
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new DataFileMissing(path, 'file not found');
    throw new DataError(path, `cannot read: ${String(err)}`);
  }
  try {
    const st = fstatSync(fd);
    const problem = fileProblem(st, limit);
    if (problem) throw new DataError(path, problem);
    return { fd, size: st.size };
  } catch (err) {
    closeSync(fd);
    if (err instanceof DataError) throw err;
    throw new DataError(path, `cannot read: ${String(err)}`);
  }
}

/**
 * The bytes of a regular file of at most `limit` (MAX_DATA_FILE_BYTES unless given; see openDataBytes):
 * a pipe, a device or a huge file is a DataError, not a read that blocks or runs out of memory.
 */
export function readDataBytes(path: string, limit: FileLimit = DATA_FILE): Uint8Array {
  const { fd, size } = openDataBytes(path, limit);
  try {
    const bytes = new Uint8Array(size);
    let at = 0;
    while (at < bytes.length) {
      const n = readSync(fd, bytes, at, bytes.length - at, at);
      if (n === 0) throw new DataError(path, `shrank while read (${at} of ${bytes.length} bytes)`);
      at += n;
    }
    return bytes;
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(path, `cannot read: ${String(err)}`);
  } finally {
    closeSync(fd);
  }
}

/** The real path of `file` of data folder `dir`, once it passes the checks of readDataFileBytes (else a DataError). */
function checkedDataPath(dir: string, file: string): string {
  const path = join(dir, file);
  const problem = lexicalProblem(file);
  if (problem) throw new DataError(path, problem);
  const resolved = resolveProblem(dir, file);
  if (resolved.problem !== undefined) throw new DataError(path, resolved.problem);
  return resolved.real!;
}

/**
 * The bytes of `file` of data folder `dir` (as listed in its manifest), refusing a path that leaves the
 * folder (after symlinks), a file that is not regular, or one over MAX_DATA_FILE_BYTES. Errors are
 * DataErrors naming `dir/file`.
 */
export function readDataFileBytes(dir: string, file: string): Uint8Array {
  return readDataBytes(checkedDataPath(dir, file));
}

/**
 * `file` of data folder `dir` opened, after the checks of readDataFileBytes, for a reader elsewhere
 * (pipelines/io/decode-file.ts reads it on libuv's thread pool). The caller closes `fd`.
 */
export function openDataFile(dir: string, file: string): { fd: number; size: number } {
  return openDataBytes(checkedDataPath(dir, file));
}

/**
 * The JSON value of a file read as readDataBytes reads it (bounded, never blocking) and decoded as
 * strict UTF-8, or why it is not one, as one line without the file's name (the caller names it). A
 * missing file is still a DataFileMissing.
 */
export function readJsonFile(path: string, limit: FileLimit): { value: unknown } | { error: string } {
  let bytes: Uint8Array;
  try {
    bytes = readDataBytes(path, limit);
  } catch (err) {
    if (err instanceof DataFileMissing) throw err;
    return { error: err instanceof DataError ? err.detail : oneLine((err as Error).message) };
  }
  return parseJsonBytes(bytes);
}
