/**
 * Parquet files in and out, through parquet-wasm (Rust's parquet crate compiled to WebAssembly; chosen
 * by measurement, see docs/benchmarks.md) and Apache Arrow. A missing or corrupt file is a DataError
 * naming the file. Written bytes depend only on the records.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { DataError } from '../core/errors.ts';
import { tableFromRecords } from './avro-arrow.ts';

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

export function parquetBytes(table: arrow.Table): Uint8Array {
  const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setCreatedBy('alpha-factory').build();
  return pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props);
}

export function writeParquetFile(path: string, table: arrow.Table): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, parquetBytes(table));
}

/** Writes records of the named schema to a Parquet file (an empty file with the schema when there are none). */
export function writeRecordsParquet(path: string, schemaName: string, records: readonly Record<string, unknown>[]): void {
  writeParquetFile(path, tableFromRecords(schemaName, records));
}
