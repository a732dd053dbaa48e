/**
 * Reads the files of one dataset of a data folder (as listed in its manifest) as column batches of a
 * schema. Each file is checked before its rows are read: it stays inside the folder (after symlinks), is
 * a regular file of bounded size, is readable Parquet, and its columns match the schema (name, type,
 * nullability, timestamp unit), and has the sha256 the manifest gives for it, if any. Any problem is
 * a DataError naming the file.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import type { DatasetReader } from '../../operators/sdk/context.ts';
import { checkColumns, columnBatchOf } from '../../lib/io/arrow-columns.ts';
import type { SchemaName, SchemaTypes } from '../../schemas/types.generated.ts';
import type { DatasetManifest } from '../data/manifest.ts';
import { DataError } from '../../lib/core/errors.ts';
import { readDataParquet } from '../../lib/io/parquet.ts';

/**
 * `onFile` is told each file's path (relative to `dir`) and sha256 as it is read (one hash serves the
 * manifest's check and the caller's). When the manifest
 * gives the dataset's `rows`, its files must hold that many (checked once the last is read).
 */
export function openDataset<TName extends SchemaName>(
  dir: string,
  manifest: DatasetManifest,
  name: string,
  schema: TName,
  onFile?: (file: string, sha256: string) => void,
): DatasetReader<SchemaTypes[TName]> {
  const manifestFile = join(dir, 'manifest.json');
  const entry = manifest.datasets[name];
  if (!entry) {
    throw new DataError(manifestFile, `no dataset "${name}" (datasets: ${Object.keys(manifest.datasets).join(', ')})`);
  }
  if (entry.schema !== undefined && entry.schema !== schema)
    throw new DataError(manifestFile, `datasets.${name}.schema is "${entry.schema}": the replay reads it as ${schema}`);
  let file = 0;
  let batches: RecordBatch[] = [];
  let index = 0;
  let path = '';
  let rows = 0;
  const named = (err: unknown): DataError =>
    err instanceof DataError ? err : new DataError(path, `${err instanceof Error ? err.message : String(err)}`);
  return {
    async next() {
      while (index >= batches.length) {
        if (file >= entry.files.length) {
          if (entry.rows !== undefined && rows !== entry.rows)
            throw new DataError(manifestFile, `datasets.${name}.rows is ${entry.rows}: its files hold ${rows} rows`);
          return null;
        }
        const relative = entry.files[file++]!;
        path = join(dir, relative);
        const want = entry.sha256?.[file - 1];
        const table = readDataParquet(dir, relative, (bytes) => {
          if (want === undefined && !onFile) return;
          const got = createHash('sha256').update(bytes).digest('hex');
          if (want !== undefined && got !== want) {
            throw new DataError(path, `sha256 is ${got}, the manifest says ${want}: the file was changed or is corrupt`);
          }
          onFile?.(relative, got);
        });
        try {
          checkColumns(table.schema, schema);
        } catch (err) {
          throw named(err);
        }
        batches = table.batches;
        rows += table.numRows;
        index = 0;
      }
      try {
        return columnBatchOf(batches[index++]!, schema);
      } catch (err) {
        throw named(err);
      }
    },
    async close() {
      batches = [];
    },
  };
}
