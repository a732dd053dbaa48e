/**
 * Parquet files in and out, through parquet-wasm (Rust's parquet crate compiled to WebAssembly; chosen
 * by measurement, see docs/benchmarks.md) and Apache Arrow; a run's outputs are encoded by the same
 * crate natively (native/parquet, on the thread pool). A missing or corrupt file is a DataError naming
 * the file. Written bytes depend only on the records.
 */
import { mkdirSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeOwnFile } from './own-file.ts';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { DataError } from '../core/errors.ts';
import { parquetOfIpcOnPool } from '../../native/parquet/index.ts';
import { tableFromRecords } from './avro-arrow.ts';
import { readDataBytes } from './data-file.ts';

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

/** The settings of every Parquet file parquet-wasm writes here: snappy, CREATED_BY, the crate's defaults otherwise. */
export function writerProperties(): pw.WriterProperties {
  return new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setCreatedBy(CREATED_BY).build();
}

/** Parquet bytes of a table given as an Arrow IPC stream (what parquet-wasm takes in); the stream is released once read. */
export function parquetOfIpc(ipc: IpcStream): Uint8Array {
  const props = writerProperties();
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
  writeOwnFile(path, bytes);
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
