/** Reads the files of one dataset of a data folder (as listed in its manifest) as Arrow record batches. */
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import type { DatasetBatchReader } from '../../operators/sdk/context.ts';
import type { DatasetManifest } from '../data/manifest.ts';
import { DataError } from '../../lib/core/errors.ts';
import { readParquetFile } from '../../lib/io/parquet.ts';

/** `onFile` is told each file's path (relative to `dir`) and bytes as they are read. */
export function openDataset(
  dir: string, manifest: DatasetManifest, name: string, onFile?: (file: string, bytes: Uint8Array) => void,
): DatasetBatchReader {
  const entry = manifest.datasets[name];
  if (!entry) {
    throw new DataError(join(dir, 'manifest.json'), `no dataset "${name}" (datasets: ${Object.keys(manifest.datasets).join(', ')})`);
  }
  let file = 0;
  let batches: RecordBatch[] = [];
  let index = 0;
  return {
    async next() {
      while (index >= batches.length) {
        if (file >= entry.files.length) return null;
        const relative = entry.files[file++]!;
        batches = readParquetFile(join(dir, relative), onFile && ((bytes) => onFile(relative, bytes))).batches;
        index = 0;
      }
      return batches[index++]!;
    },
    async close() {
      batches = [];
    },
  };
}
