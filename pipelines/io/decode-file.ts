/**
 * Decoding one data file of a dataset into column batches, in two halves: `readDataFile` on the
 * calling thread (the path and file checks, the read) and `decodeBytes` (the hash and parquet-wasm's
 * decoding, the costly part), which decode-thread.ts can run on its worker. Neither throws: the
 * result says what failed, so problems are reported in a plain read's order (the hash first).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import type { ColumnBatch } from '../../lib/core/column-batch.ts';
import { DataError } from '../../lib/core/errors.ts';
import { checkColumns, columnBatchOf } from '../../lib/io/arrow-columns.ts';
import { parquetToIpc, readDataFileBytes, unreadableParquet } from '../../lib/io/parquet.ts';
import type { SchemaName } from '../../schemas/types.generated.ts';

/** A failure: `file` and `message` of the DataError to raise (`message` without the file's prefix). */
export interface DecodeFailure {
  file: string;
  message: string;
}

/** What the costly half makes of a file's bytes: their hash (when asked for), and an Arrow IPC stream or why not. */
export interface DecodedBytes {
  sha256?: string | undefined;
  ipc?: Uint8Array | undefined;
  /** Why parquet-wasm could not decode the bytes. */
  unreadable?: string | undefined;
}

export interface DecodedFile {
  sha256?: string | undefined;
  batches?: ColumnBatch<unknown>[] | undefined;
  rows?: number | undefined;
  failure?: DecodeFailure | undefined;
}

/** The bytes of `file` of data folder `dir`, or why they may not be read. */
export function readDataFile(dir: string, file: string): { bytes: Uint8Array } | { failure: DecodeFailure } {
  try {
    return { bytes: readDataFileBytes(dir, file) };
  } catch (err) {
    return { failure: failureOf(err, join(dir, file)) };
  }
}

/** The hash and decoding of a file's bytes (what the decode thread runs). */
export function decodeBytes(bytes: Uint8Array, hash: boolean): DecodedBytes {
  const sha256 = hash ? createHash('sha256').update(bytes).digest('hex') : undefined;
  try {
    return { sha256, ipc: parquetToIpc(bytes) };
  } catch (err) {
    return { sha256, unreadable: unreadableParquet(err) };
  }
}

/** Column batches of `schema` from a decoded file, its columns checked first. */
export function columnsOfFile(path: string, decoded: DecodedBytes, schema: SchemaName): DecodedFile {
  const { sha256 } = decoded;
  if (decoded.unreadable !== undefined) return { sha256, failure: { file: path, message: decoded.unreadable } };
  try {
    const table = arrow.tableFromIPC(decoded.ipc!);
    checkColumns(table.schema, schema);
    const batches = table.batches.map((b) => columnBatchOf(b, schema) as ColumnBatch<unknown>);
    return { sha256, batches, rows: table.numRows };
  } catch (err) {
    return { sha256, failure: failureOf(err, path) };
  }
}

function failureOf(err: unknown, path: string): DecodeFailure {
  if (err instanceof DataError) return { file: err.file, message: err.message.slice(err.file.length + 2) };
  return { file: path, message: err instanceof Error ? err.message : String(err) };
}
