/**
 * Parquet files in and out, through parquet-wasm (Rust's parquet crate compiled to WebAssembly; chosen
 * by measurement, see docs/benchmarks.md) and Apache Arrow; a run's outputs are encoded by the same
 * crate natively (native/parquet, on the thread pool). A missing or corrupt file is a DataError naming
 * the file. Written bytes depend only on the records.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { DataError } from '../core/errors.ts';
import { parquetOfIpcOnPool } from '../../native/parquet/index.ts';
import { tableFromRecords } from './avro-arrow.ts';

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
    throw new DataError(path, code === 'ENOENT' || code === 'ENOTDIR' ? 'file not found' : `cannot read: ${String(err)}`);
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

/** Parquet bytes as an Arrow IPC stream (what parquet-wasm decodes to), or the reason they are not readable Parquet. */
export function parquetToIpc(bytes: Uint8Array): Uint8Array {
  return pw.readParquet(bytes, { batchSize: PARQUET_BATCH_ROWS }).intoIPCStream();
}

/**
 * Whether parquet-wasm parses the footer of the Parquet file in `bytes` (given only the footer, a
 * few KB, not the file). The native decoder (native/parquet) runs the same crate at the same version
 * natively, where a footer that declares 2^31 list entries aborts the process and one nested 20,000
 * deep overflows the stack; in WebAssembly both only trap. So a file goes to the native decoder only
 * once its footer has parsed here.
 */
export function footerParses(bytes: Uint8Array): boolean {
  const n = bytes.length;
  const len = footerLength(n, n < 12 ? undefined : bytes.subarray(n - 8));
  if (len === undefined) return false;
  const footerOnly = new Uint8Array(len + 12);
  footerOnly.set(bytes.subarray(0, 4));
  footerOnly.set(bytes.subarray(n - 8 - len), 4);
  return parsesAsFooter(footerOnly);
}

/**
 * The file's first 4 bytes, its footer, the footer's length and its last 4 bytes, read from `fd`
 * (`size` bytes), when parquet-wasm parses that footer (see footerParses); else undefined.
 */
export function parsedFooter(fd: number, size: number): Uint8Array | undefined {
  try {
    const tail = new Uint8Array(8);
    const len = size < 12 || readSync(fd, tail, 0, 8, size - 8) !== 8 ? undefined : footerLength(size, tail);
    if (len === undefined) return undefined;
    const footerOnly = new Uint8Array(len + 12);
    if (readSync(fd, footerOnly, 0, 4, 0) !== 4 || readSync(fd, footerOnly, 4, len + 8, size - 8 - len) !== len + 8) return undefined;
    return parsesAsFooter(footerOnly) ? footerOnly : undefined;
  } catch {
    return undefined; // the read on the pool says what is wrong
  }
}

/** The footer's length from the file's last 8 bytes, when it fits the file and is at most 1 MiB. */
function footerLength(size: number, tail: Uint8Array | undefined): number | undefined {
  if (!tail) return undefined;
  const len = new DataView(tail.buffer, tail.byteOffset, 8).getUint32(0, true);
  return len > 1 << 20 || len + 12 > size ? undefined : len;
}

function parsesAsFooter(footerOnly: Uint8Array): boolean {
  try {
    pw.readSchema(footerOnly).free();
    return true;
  } catch {
    return false;
  }
}

/** The message of the DataError for bytes parquet-wasm cannot decode. */
export function unreadableParquet(err: unknown): string {
  return `not a readable Parquet file (${err instanceof Error ? err.message : String(err)})`;
}

/** Rows per Arrow record batch when decoding. */
export const PARQUET_BATCH_ROWS = 65536;

/** Reads a whole Parquet file into an Arrow table; a missing, irregular, oversized or corrupt file is a DataError naming it. */
export function readParquetFile(path: string): arrow.Table {
  const bytes = readDataBytes(path);
  try {
    return arrow.tableFromIPC(parquetToIpc(bytes));
  } catch (err) {
    throw new DataError(path, unreadableParquet(err));
  }
}

export function parquetBytes(table: arrow.Table): Uint8Array {
  return parquetOfIpc(ipcOf(table));
}

/** What the files this project writes say wrote them. */
const CREATED_BY = 'alpha-factory';

/** An Arrow IPC stream, and how to give its memory back once parquet-wasm has copied it in. */
export interface IpcStream {
  bytes: Uint8Array;
  release(): void;
}

const ipcOf = (table: arrow.Table): IpcStream => ({ bytes: arrow.tableToIPC(table, 'stream'), release: () => {} });

/** Parquet bytes of a table given as an Arrow IPC stream (what parquet-wasm takes in); the stream is released once read. */
export function parquetOfIpc(ipc: IpcStream): Uint8Array {
  const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setCreatedBy(CREATED_BY).build();
  const table = pw.Table.fromIPCStream(ipc.bytes);
  // The table is in WebAssembly memory now: the stream's own copy can go before the writer needs room.
  ipc.release();
  return pw.writeParquet(table, props);
}

/** Writes `table` as a Parquet file and returns the bytes written (to hash them without reading the file back). */
export function writeParquetFile(path: string, table: arrow.Table): Uint8Array {
  return writtenTo(path, parquetOfIpc(ipcOf(table)));
}

/** `bytes`, written to `path` (its folder made first). */
export function writtenTo(path: string, bytes: Uint8Array): Uint8Array {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return bytes;
}

/**
 * The Parquet bytes of a table given as an Arrow IPC stream, encoded natively on libuv's thread pool
 * (native/parquet: arrow-rs's writer, the crate parquet-wasm compiles, with parquet-wasm's settings but
 * for floating-point columns inside lists, written without a dictionary); the graph thread goes on
 * meanwhile. The stream is released once handed over. `writtenTo` puts the bytes in a file.
 */
export function encodeIpcOnPool(ipc: IpcStream): Promise<Uint8Array> {
  try {
    return parquetOfIpcOnPool(ipc.bytes, CREATED_BY);
  } finally {
    // The binding took its own copy: the stream's memory goes back before the encoding needs room.
    ipc.release();
  }
}

/** Writes records of the named schema to a Parquet file (an empty file with the schema when there are none). */
export function writeRecordsParquet(path: string, schemaName: string, records: readonly Record<string, unknown>[]): void {
  writeParquetFile(path, tableFromRecords(schemaName, records));
}
