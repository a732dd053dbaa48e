/**
 * Decoding one data file of a dataset into column batches: the path and file checks on this thread,
 * then the read, the hash and the decoding (the costly part) on libuv's thread pool, natively
 * (lib/io/native-columns.ts), so the next file decodes while the graph runs on this one. A file the
 * native decoder does not take whole (a schema with nested or nullable fields, another column type, a
 * corrupt file) is decoded by parquet-wasm on this thread, whose checks name what is wrong. Nothing
 * here throws: the result says what failed, so problems are reported in a plain read's order (the
 * hash first).
 */
import { closeSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import type { ColumnBatch } from '../../lib/core/column-batch.ts';
import { DataError } from '../../lib/core/errors.ts';
import { checkColumns, columnBatchOf } from '../../lib/io/arrow-columns.ts';
import { decodeNatively } from '../../lib/io/native-columns.ts';
import { openDataFile } from '../../lib/io/data-file.ts';
import { PARQUET_BATCH_ROWS, parquetToIpc, unreadableParquet } from '../../lib/io/parquet.ts';
import type { SchemaName } from '../../schemas/types.generated.ts';

/** A failure: `file` and `message` of the DataError to raise (`message` without the file's prefix). */
export interface DecodeFailure {
  file: string;
  message: string;
}

/** What decoding makes of a file's bytes: their hash (when asked for), and column batches, an Arrow IPC stream or why not. */
interface DecodedBytes {
  sha256?: string | undefined;
  /** The natively decoded file, its columns already checked. */
  batches?: ColumnBatch<unknown>[] | undefined;
  ipc?: Uint8Array | undefined;
  /** The rows the file's footer declares, when the native binding read it (parquet-wasm must find as many). */
  footerRows?: number | undefined;
  /** Why parquet-wasm could not decode the bytes. */
  unreadable?: string | undefined;
}

export interface DecodedFile {
  sha256?: string | undefined;
  batches?: ColumnBatch<unknown>[] | undefined;
  rows?: number | undefined;
  failure?: DecodeFailure | undefined;
}

/**
 * Reads and decodes `file` of data folder `dir` into column batches of `schema`. A file whose sha256
 * is not `expect` (the manifest's, when it gives one) is hashed and not decoded: the caller reports
 * the mismatch.
 */
export async function decodeDataFile(
  dir: string,
  file: string,
  schema: SchemaName,
  o: { hash: boolean; expect?: string | undefined },
): Promise<DecodedFile> {
  let opened: { fd: number; size: number };
  try {
    opened = openDataFile(dir, file);
  } catch (err) {
    return { failure: failureOf(err, join(dir, file)) };
  }
  try {
    return columnsOfFile(join(dir, file), await decodeOnPool(opened, schema, o), schema);
  } finally {
    closeSync(opened.fd);
  }
}

/**
 * The read, the hash and the native decoding of a data file on libuv's thread pool (parquet-wasm's, on
 * this thread, for a file the native decoder does not take); bytes without the `expect`ed sha256 are
 * not decoded at all.
 */
async function decodeOnPool(
  opened: { fd: number; size: number },
  schema: SchemaName,
  o: { hash: boolean; expect?: string | undefined },
): Promise<DecodedBytes> {
  const { sha256, batches, bytes, rows, problem } = await decodeNatively(opened, schema, { batchRows: PARQUET_BATCH_ROWS, ...o });
  if (batches) return { sha256, batches };
  if (problem) return { sha256, unreadable: problem };
  if (!bytes) return { sha256, unreadable: 'not decoded: its sha256 is not the expected one' };
  return { sha256, footerRows: rows, ...decodeWithWasm(bytes) };
}

function decodeWithWasm(bytes: Uint8Array): { ipc: Uint8Array } | { unreadable: string } {
  try {
    return { ipc: parquetToIpc(bytes) };
  } catch (err) {
    return { unreadable: unreadableParquet(err) };
  }
}

/** Column batches of `schema` from a decoded file, its columns checked first. */
function columnsOfFile(path: string, decoded: DecodedBytes, schema: SchemaName): DecodedFile {
  const { sha256 } = decoded;
  if (decoded.unreadable !== undefined) return { sha256, failure: { file: path, message: decoded.unreadable } };
  if (decoded.batches) return { sha256, batches: decoded.batches, rows: decoded.batches.reduce((n, b) => n + b.length, 0) };
  try {
    const table = arrow.tableFromIPC(decoded.ipc!);
    // parquet-wasm stops where the pages end: rows its footer counts and the pages do not hold would be lost without a word.
    if (decoded.footerRows !== undefined && table.numRows !== decoded.footerRows)
      return {
        sha256,
        failure: {
          file: path,
          message: `its footer counts ${decoded.footerRows} rows and its pages hold ${table.numRows}: the file is corrupt`,
        },
      };
    checkColumns(table.schema, schema);
    const batches = table.batches.map((b) => columnBatchOf(b, schema) as ColumnBatch<unknown>);
    return { sha256, batches, rows: table.numRows };
  } catch (err) {
    return { sha256, failure: failureOf(err, path) };
  }
}

function failureOf(err: unknown, path: string): DecodeFailure {
  if (err instanceof DataError) return { file: err.file, message: err.detail };
  return { file: path, message: err instanceof Error ? err.message : String(err) };
}
