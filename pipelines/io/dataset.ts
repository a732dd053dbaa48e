/** Reads the files of one dataset of a data folder (as listed in its manifest) as column batches of a schema. */
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import type { DatasetReader } from '../../operators/sdk/context.ts';
import { columnBatchOf } from '../../lib/io/arrow-columns.ts';
import type { SchemaName, SchemaTypes } from '../../schemas/types.generated.ts';
import type { DatasetManifest } from '../data/manifest.ts';
import { DataError } from '../../lib/core/errors.ts';
import { readParquetFile } from '../../lib/io/parquet.ts';

/** `onFile` is told each file's path (relative to `dir`) and bytes as they are read. */
export function openDataset<TName extends SchemaName>(
  dir: string,
  manifest: DatasetManifest,
  name: string,
  schema: TName,
  onFile?: (file: string, bytes: Uint8Array) => void,
): DatasetReader<SchemaTypes[TName]> {
  const entry = manifest.datasets[name];
  if (!entry) {
    throw new DataError(join(dir, 'manifest.json'), `no dataset "${name}" (datasets: ${Object.keys(manifest.datasets).join(', ')})`);
  }
  let file = 0;
  let batches: RecordBatch[] = [];
  let index = 0;
  let path = '';
  return {
    async next() {
      while (index >= batches.length) {
        if (file >= entry.files.length) return null;
        const relative = entry.files[file++]!;
        path = join(dir, relative);
        batches = readParquetFile(path, onFile && ((bytes) => onFile(relative, bytes))).batches;
        index = 0;
      }
      try {
        return columnBatchOf(batches[index++]!, schema);
      } catch (err) {
        throw new DataError(path, `${err instanceof Error ? err.message : String(err)}`);
      }
    },
    async close() {
      batches = [];
    },
  };
}
