/** Reads the files of one dataset of a data folder (as listed in its manifest) as Arrow record batches. */
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import type { DatasetBatchReader } from '../../operators/sdk/context.ts';
import type { DatasetManifest } from '../data/manifest.ts';
import { DataError } from '../errors.ts';
import { readParquetFile } from './parquet.ts';

export function openDataset(dir: string, manifest: DatasetManifest, name: string): DatasetBatchReader {
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
        batches = readParquetFile(join(dir, entry.files[file++]!)).batches;
        index = 0;
      }
      return batches[index++]!;
    },
    async close() {
      batches = [];
    },
  };
}
