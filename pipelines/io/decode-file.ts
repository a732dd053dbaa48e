/**
 * Decoding one data file of a dataset into column batches: the work the replay's decode thread does
 * (decode-thread.ts), also callable in-process. Nothing here throws: the result says what failed, so
 * the caller can report problems in the order a plain read would (the file's hash first).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ColumnBatch } from '../../lib/core/column-batch.ts';
import { DataError } from '../../lib/core/errors.ts';
import { checkColumns, columnBatchOf } from '../../lib/io/arrow-columns.ts';
import { readDataParquet } from '../../lib/io/parquet.ts';
import type { SchemaName } from '../../schemas/types.generated.ts';

export interface DecodeRequest {
  dir: string;
  /** The file, relative to `dir`, as the manifest lists it. */
  file: string;
  schema: SchemaName;
  /** Whether to hash the file's bytes (sha256, hex). */
  hash: boolean;
}

/** A failure: `file` and `message` of the DataError to raise (`message` without the file's prefix). */
export interface DecodeFailure {
  file: string;
  message: string;
}

export interface DecodedFile {
  /** The bytes' sha256, when asked for and the bytes could be read. */
  sha256?: string | undefined;
  batches?: ColumnBatch<unknown>[] | undefined;
  rows?: number | undefined;
  failure?: DecodeFailure | undefined;
}

export function decodeFile(request: DecodeRequest): DecodedFile {
  let sha256: string | undefined;
  const path = join(request.dir, request.file);
  try {
    const table = readDataParquet(request.dir, request.file, (bytes) => {
      if (request.hash) sha256 = createHash('sha256').update(bytes).digest('hex');
    });
    checkColumns(table.schema, request.schema);
    const batches = table.batches.map((b) => columnBatchOf(b, request.schema) as ColumnBatch<unknown>);
    return { sha256, batches, rows: table.numRows };
  } catch (err) {
    if (err instanceof DataError) return { sha256, failure: { file: err.file, message: err.message.slice(err.file.length + 2) } };
    return { sha256, failure: { file: path, message: err instanceof Error ? err.message : String(err) } };
  }
}
