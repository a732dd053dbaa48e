/**
 * `npm run bench:tiers-cold`: the cold tier (issue 17, item 3) against references measured in the
 * same run, on the services' object store (SeaweedFS; `npm run services:up`, ALPHA_S3_* in the
 * environment — `set -a; . .services/cache/seaweedfs-s3.env; set +a`).
 *
 * On a generated sample (default 40 symbols × 20 days, seed 1) appended to a temporary lake:
 * - archive MB/s: `archiveDataset` of every partition of quotes and trades (upload with Content-MD5,
 *   HEAD check, manifest, Delta commit, local delete); references on the same files: a plain
 *   PutObject loop with the same SDK client settings (no check, no commit), and `cp` to a local folder;
 * - restore MB/s: `restoreDataset` of all of it (download with MD5 check, commit, object delete);
 *   reference: a plain GetObject loop into files;
 * - replay events/s of both datasets (lib/io/lake/replay.ts, column batches), warm before the archive
 *   and cold after it, best of --runs.
 * Flags: --symbols 40 --days 20 --runs 3. Prints a table and one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { archiveDataset, restoreDataset } from '../lib/io/lake/archive.ts';
import { objectStoreConfig, openObjectStore } from '../lib/io/lake/object-store.ts';
import { openLakeReplay } from '../lib/io/lake/replay.ts';
import { generateDataset } from '../pipelines/data/generate.ts';
import { sampleToLake } from '../pipelines/data/sample-to-lake.ts';
import { benchFlags } from './flags.ts';
import { coldOptions, coldValues } from './tiers-flags.ts';

const { symbols, days, runs } = coldValues(benchFlags('tiers-cold', coldOptions));

let config: ReturnType<typeof objectStoreConfig>;
try {
  config = objectStoreConfig();
} catch (err) {
  process.stderr.write(`alpha bench:tiers-cold: ${(err as Error).message}\n`);
  process.exit(2);
}
// The same settings the product's client gets before the SDK loads (lib/io/lake/object-store.ts).
process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
const s3 = await import('@aws-sdk/client-s3');
const client = new s3.S3Client({
  endpoint: config.endpoint,
  region: config.region,
  forcePathStyle: true,
  credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
});
const bucket = `alpha-bench-${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'alpha-bench-cold-'));
const lake = join(work, 'lake');
const DATASETS = [
  ['quotes', 'Quote'],
  ['trades', 'Trade'],
] as const;

const files = (): { path: string; size: number }[] =>
  DATASETS.flatMap(([d]) =>
    readdirSync(join(lake, d))
      .filter((x) => x.startsWith('date='))
      .flatMap((p) => readdirSync(join(lake, d, p)).map((f) => ({ path: join(lake, d, p, f), size: statSync(join(lake, d, p, f)).size }))),
  );

async function replayRate(dates: readonly string[]): Promise<number> {
  let best = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    let rows = 0;
    for (const [dataset, schema] of DATASETS) {
      const reader = openLakeReplay({ lake, dataset, schema, from: dates[0]!, to: dates.at(-1)! });
      for (let b = await reader.next(); b; b = await reader.next()) rows += b.length;
      await reader.close();
    }
    best = Math.max(best, rows / ((performance.now() - t0) / 1000));
  }
  return best;
}

const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);
const time = async (fn: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

try {
  await client.send(new s3.CreateBucketCommand({ Bucket: bucket }));
  const manifest = await generateDataset({ out: join(work, 'sample'), symbols, days, seed: 1 });
  await sampleToLake(join(work, 'sample'), manifest, lake);
  const dates = manifest.dates;
  const before = new Date(Date.parse(`${dates.at(-1)}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const local = files();
  const bytes = local.reduce((n, f) => n + f.size, 0);

  // References on the same bytes: cp to a folder, a plain PutObject loop, a plain GetObject loop.
  const copyDir = join(work, 'copy');
  mkdirSync(copyDir);
  const cpMs = await time(async () => execFileSync('cp', [...local.map((f) => f.path), copyDir]));
  const putMs = await time(async () => {
    for (const [i, f] of local.entries())
      await client.send(new s3.PutObjectCommand({ Bucket: bucket, Key: `ref/${i}.parquet`, Body: readFileSync(f.path) }));
  });
  const getMs = await time(async () => {
    for (const i of local.keys()) {
      const r = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: `ref/${i}.parquet` }));
      writeFileSync(join(copyDir, `get-${i}.parquet`), await r.Body!.transformToByteArray());
    }
  });

  const warm = await replayRate(dates);
  const store = await openObjectStore(config);
  const archiveMs = await time(async () => {
    for (const [d] of DATASETS) await archiveDataset(lake, d, { before, bucket, storageClass: 'GLACIER_IR', store });
  });
  const cold = await replayRate(dates);
  const restoreMs = await time(async () => {
    for (const [d] of DATASETS) await restoreDataset(lake, d, { store });
  });
  store.close();

  const row = (what: string, value: string, ref: string): string => `${what.padEnd(34)}${value.padStart(16)}   ${ref}`;
  const f1 = (x: number): string => x.toFixed(1);
  console.log(
    `cold tier on ${symbols} symbols × ${days} days: ${local.length} files, ${(bytes / 1e6).toFixed(1)} MB (SeaweedFS at ${config.endpoint}; load average ${loadavg()[0]!.toFixed(1)})`,
  );
  console.log(
    row(
      'archive (upload+check+commit)',
      `${f1(mbps(bytes, archiveMs))} MB/s`,
      `plain PutObject loop ${f1(mbps(bytes, putMs))} MB/s, cp ${f1(mbps(bytes, cpMs))} MB/s`,
    ),
  );
  console.log(
    row('restore (download+check+commit)', `${f1(mbps(bytes, restoreMs))} MB/s`, `plain GetObject loop ${f1(mbps(bytes, getMs))} MB/s`),
  );
  console.log(
    row(
      'replay from cold',
      `${Math.round(cold).toLocaleString('en-US')} ev/s`,
      `warm ${Math.round(warm).toLocaleString('en-US')} ev/s (cold/warm ${(cold / warm).toFixed(2)})`,
    ),
  );
  console.log(
    JSON.stringify({
      bench: 'tiers-cold',
      symbols,
      days,
      files: local.length,
      mb: bytes / 1e6,
      archive_mbps: mbps(bytes, archiveMs),
      put_loop_mbps: mbps(bytes, putMs),
      cp_mbps: mbps(bytes, cpMs),
      restore_mbps: mbps(bytes, restoreMs),
      get_loop_mbps: mbps(bytes, getMs),
      replay_cold_eps: cold,
      replay_warm_eps: warm,
      load: loadavg()[0],
    }),
  );
} finally {
  const listed = await client.send(new s3.ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
  for (const o of listed?.Contents ?? []) await client.send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }));
  await client.send(new s3.DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  client.destroy();
  rmSync(work, { recursive: true, force: true });
}
