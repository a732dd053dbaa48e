/**
 * Reads Parquet files into Arrow tables through parquet-wasm. A missing or corrupt file is a DataError
 * naming the file.
 */
import { readFileSync } from 'node:fs';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { DataError } from '../errors.ts';

/**
 * Reads a whole Parquet file into an Arrow table; a missing or corrupt file is a DataError naming it.
 * `onBytes` sees the file's bytes (the backtest hashes its data as it reads it).
 */
export function readParquetFile(path: string, onBytes?: (bytes: Uint8Array) => void): arrow.Table {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(path, code === 'ENOENT' ? 'file not found' : `cannot read: ${String(err)}`);
  }
  onBytes?.(bytes);
  try {
    return arrow.tableFromIPC(pw.readParquet(bytes, { batchSize: 65536 }).intoIPCStream());
  } catch (err) {
    throw new DataError(path, `not a readable Parquet file (${err instanceof Error ? err.message : String(err)})`);
  }
}
