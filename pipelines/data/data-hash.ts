/**
 * summary.json's `data_sha256` of a run over a data folder: what a backtest computes as it replays,
 * and what `alpha report --data DIR` computes again to check that DIR is the folder the run replayed.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readDataBytes, readDataFileBytes } from '../../lib/io/data-file.ts';
import { type DatasetManifest, MAX_MANIFEST_BYTES } from './manifest.ts';

/** What a run's `data_sha256` is the hash of (summary.json's `data_sha256_of`). */
export const DATA_HASH_OF = ['folder', 'folder+lake', 'capture'] as const;
export type DataHashOf = (typeof DATA_HASH_OF)[number];

/**
 * sha256 of the manifest and of every listed file's sha256, in manifest order (files not in `read`
 * are read here), then of each lake read (dataset, table version, as-of, partitions), when there
 * were any. `manifest` is the run's window of the folder's manifest (its --from/--to days).
 */
export function dataHash(
  dir: string,
  manifest: DatasetManifest,
  read: ReadonlyMap<string, string> = new Map(),
  lake: ReadonlyMap<string, string> = new Map(),
): string {
  const hash = createHash('sha256');
  // Read again as readManifest and the replay read them: the same checks if a file changed meanwhile.
  hash.update(readDataBytes(join(dir, 'manifest.json'), { bytes: MAX_MANIFEST_BYTES, of: 'a manifest' }));
  for (const entry of Object.values(manifest.datasets)) {
    for (const f of entry.files) hash.update(read.get(f) ?? createHash('sha256').update(readDataFileBytes(dir, f)).digest('hex'));
  }
  for (const [dataset, what] of [...lake].sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(`lake ${dataset} ${what}`);
  return hash.digest('hex');
}
