/**
 * `alpha data archive --before D` and `alpha data restore [--from D] [--to D]`: the lake's partitions
 * between the warm tier (Delta tables) and the cold tier (a bucket of the object store on loopback,
 * credentials from ALPHA_S3_ACCESS_KEY / ALPHA_S3_SECRET_KEY). docs/lake.md#the-cold-tier.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { AlphaError } from '../../lib/core/errors.ts';
import { DEFAULT_LAKE, lakeFolder, parseDay } from './lake-options.ts';

/** S3's storage classes; the default keeps archived files readable without a thaw request. */
export const STORAGE_CLASSES = ['STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR'] as const;
const DEFAULT_STORAGE_CLASS = 'GLACIER_IR';

function datasetsOf(lake: string, named: string | undefined): string[] {
  if (!existsSync(lake) || !statSync(lake).isDirectory()) throw new AlphaError(`--lake ${lake}: no such folder`);
  if (named !== undefined) return named.split(',').map((d) => d.trim());
  return readdirSync(lake)
    .filter((d) => !d.startsWith('.') && existsSync(join(lake, d, '_delta_log')))
    .sort();
}

function bucketOf(value: string | undefined): string {
  const bucket = value ?? (process.env['ALPHA_S3_BUCKET'] || 'alpha-cold');
  return bucket;
}

interface Common {
  lake: string;
  dataset?: string;
  bucket?: string;
}

const killAt = (): { killAt?: string } => (process.env['ALPHA_FAULT_KILL_AT'] ? { killAt: process.env['ALPHA_FAULT_KILL_AT'] } : {});

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;

export function registerColdCommands(data: Command): void {
  data
    .command('archive')
    .description(
      "Move the lake's partitions older than a date (UTC date of ts_known) to the object store's bucket; queries and replays still read them.",
    )
    .requiredOption('--before <date>', 'partitions strictly before this date (YYYY-MM-DD) move')
    .option('--dataset <names>', 'only these datasets, comma-separated (default: every table of the lake)')
    .option('--lake <dir>', 'the lake folder', lakeFolder, DEFAULT_LAKE)
    .option('--bucket <name>', 'the bucket (default: $ALPHA_S3_BUCKET, else alpha-cold); it must exist')
    .option('--storage-class <class>', `the S3 storage class of the objects: ${STORAGE_CLASSES.join(', ')}`, DEFAULT_STORAGE_CLASS)
    .action(async (opts: Common & { before: string; storageClass: string }) => {
      const before = parseDay('--before', opts.before);
      if (!(STORAGE_CLASSES as readonly string[]).includes(opts.storageClass))
        throw new AlphaError(
          `--storage-class is "${opts.storageClass}": expected ${STORAGE_CLASSES.join(', ')} (classes that need a thaw before a read are not used: the tier is read in place)`,
        );
      const bucket = bucketOf(opts.bucket);
      const [{ archiveDataset }, { openObjectStore, isBucketName, BUCKET_RULE }] = await Promise.all([
        import('../../lib/io/lake/archive.ts'),
        import('../../lib/io/lake/object-store.ts'),
      ]);
      if (!isBucketName(bucket)) throw new AlphaError(`--bucket is "${bucket}": expected ${BUCKET_RULE}`);
      const datasets = datasetsOf(opts.lake, opts.dataset);
      const store = await openObjectStore();
      try {
        await store.checkBucket(bucket);
        for (const dataset of datasets) {
          const t0 = performance.now();
          const r = await archiveDataset(opts.lake, dataset, { before, bucket, storageClass: opts.storageClass, store, ...killAt() });
          const s = (performance.now() - t0) / 1000;
          process.stderr.write(
            r.files === 0
              ? `"${dataset}": nothing before ${before} in the warm tier${r.finished ? ` (finished ${r.finished} step(s) of an interrupted run)` : ''}\n`
              : `"${dataset}": archived ${r.files} file(s), ${r.rows} rows, ${mb(r.bytes)} to s3://${bucket} (${opts.storageClass}) in ${s.toFixed(1)} s; table version ${r.version}\n`,
          );
        }
      } finally {
        store.close();
      }
    });

  data
    .command('restore')
    .description('Bring archived partitions back from the object store into the lake (all, or those from --from to --to).')
    .option('--from <date>', 'first partition date (YYYY-MM-DD) to restore')
    .option('--to <date>', 'last partition date (YYYY-MM-DD) to restore')
    .option('--dataset <names>', 'only these datasets, comma-separated (default: every table of the lake)')
    .option('--lake <dir>', 'the lake folder', lakeFolder, DEFAULT_LAKE)
    .action(async (opts: Common & { from?: string; to?: string }) => {
      const from = opts.from !== undefined ? parseDay('--from', opts.from) : undefined;
      const to = opts.to !== undefined ? parseDay('--to', opts.to) : undefined;
      if (from !== undefined && to !== undefined && from > to)
        throw new AlphaError(`--from ${from} is after --to ${to}: expected from ≤ to`);
      const [{ restoreDataset }, { openObjectStore }] = await Promise.all([
        import('../../lib/io/lake/archive.ts'),
        import('../../lib/io/lake/object-store.ts'),
      ]);
      const datasets = datasetsOf(opts.lake, opts.dataset);
      const store = await openObjectStore();
      try {
        for (const dataset of datasets) {
          const t0 = performance.now();
          const r = await restoreDataset(opts.lake, dataset, {
            store,
            ...(from !== undefined ? { from } : {}),
            ...(to !== undefined ? { to } : {}),
            ...killAt(),
          });
          const s = (performance.now() - t0) / 1000;
          process.stderr.write(
            r.files === 0
              ? `"${dataset}": nothing to restore${r.finished ? ` (finished ${r.finished} step(s) of an interrupted run)` : ''}\n`
              : `"${dataset}": restored ${r.files} file(s), ${r.rows} rows, ${mb(r.bytes)} in ${s.toFixed(1)} s; table version ${r.version}\n`,
          );
        }
      } finally {
        store.close();
      }
    });
}
