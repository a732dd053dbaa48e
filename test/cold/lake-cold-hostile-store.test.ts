/**
 * The cold tier against an object store that answers hostile bytes (test/cold/hostile-s3.ts): an
 * endless body, a body announced at 2^50 bytes, a substituted object, silence, a stall, a drip, a
 * damaged object beside a slow one. A query and a restore each fail within the time limits of
 * lib/io/lake/object-store.ts with one line `alpha: …` naming the object and what was expected, after
 * reading no more than a few MiB past the object's size, and leave nothing behind: no temporary or
 * downloaded file, the lake as it was. The partitions are archived to the real store (SeaweedFS)
 * first, and the hostile peer serves the same objects; the rows expected are the lake's before the
 * archive, and a restore from the real store at the end gives them all back.
 */
import { execFile } from 'node:child_process';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryLake } from '../../lib/io/lake/query.ts';
import { readManifest } from '../../pipelines/data/manifest.ts';
import { sampleToLake } from '../../pipelines/data/sample-to-lake.ts';
import { ROOT } from '../helpers/cli.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';
import { tempLake } from '../helpers/lake.ts';
import { type HostileMode, type HostileS3, hostileS3 } from './hostile-s3.ts';

process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
const s3 = await import('@aws-sdk/client-s3');
const client = new s3.S3Client({
  endpoint: process.env['ALPHA_S3_ENDPOINT']!,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: process.env['ALPHA_S3_ACCESS_KEY'] ?? '', secretAccessKey: process.env['ALPHA_S3_SECRET_KEY'] ?? '' },
});
const BUCKET = `alpha-hostile-${process.pid}-${Date.now().toString(36)}`;
const lake = tempLake('cold-hostile');
/** The objects as the real store holds them, by key: what the hostile peers serve. */
const objects = new Map<string, Buffer>();
let baseline: string[] = [];
/** The cold entries of trades: key → size (the manifest's). */
let sizes = new Map<string, number>();
const servers: HostileS3[] = [];

interface Run {
  code: number | null;
  stderr: string;
  ms: number;
}

/** `alpha ARGS` against the object store at `endpoint`, killed after 25 s. */
function alpha(args: readonly string[], endpoint: string): Promise<Run> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/alpha.mjs', ...args],
      { cwd: ROOT, timeout: 25_000, maxBuffer: 16 << 20, env: { ...process.env, ALPHA_S3_ENDPOINT: endpoint } },
      (err, _stdout, stderr) => {
        const e = err as (Error & { code?: unknown }) | null;
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stderr, ms: performance.now() - t0 });
      },
    );
  });
}

async function peer(mode: HostileMode): Promise<HostileS3> {
  const s = await hostileS3(objects, mode);
  servers.push(s);
  return s;
}

const oneLine = (r: Run, pattern: RegExp): void => {
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.code, r.stderr).toBe(1);
  expect(lines[0]).toMatch(/^alpha: /);
  expect(lines[0]).toMatch(pattern);
};

/** Every file under `dir`, relative to it, sorted. */
function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort();
}

const rows = async (dir: string): Promise<string[]> =>
  (await queryLake({ lake: dir, dataset: 'trades', allVersions: true })).rows.map((r) => JSON.stringify(r)).sort();

beforeAll(async () => {
  await client.send(new s3.CreateBucketCommand({ Bucket: BUCKET }));
  const data = await dataset({ symbols: 3, days: 3 });
  await sampleToLake(data, readManifest(data), lake.dir);
  baseline = await rows(lake.dir);
  const r = await alpha(
    ['data', 'archive', '--before', '2024-01-04', '--dataset', 'trades', '--lake', lake.dir, '--bucket', BUCKET],
    process.env['ALPHA_S3_ENDPOINT']!,
  );
  expect(r.code, r.stderr).toBe(0);
  const manifest = JSON.parse(readFileSync(join(lake.dir, '.cold', 'trades.json'), 'utf8')) as { entries: { key: string; size: number }[] };
  expect(manifest.entries.map((e) => e.key.replace(/^.*\/date=/, '').slice(0, 10))).toEqual(['2024-01-02', '2024-01-03']);
  sizes = new Map(manifest.entries.map((e) => [e.key, e.size]));
  for (const key of sizes.keys()) {
    const o = await client.send(new s3.GetObjectCommand({ Bucket: BUCKET, Key: key }));
    objects.set(key, Buffer.from(await o.Body!.transformToByteArray()));
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  const listed = await client.send(new s3.ListObjectsV2Command({ Bucket: BUCKET }));
  for (const o of listed.Contents ?? []) await client.send(new s3.DeleteObjectCommand({ Bucket: BUCKET, Key: o.Key! }));
  await client.send(new s3.DeleteBucketCommand({ Bucket: BUCKET }));
  client.destroy();
  lake.remove();
});

const key02 = (): string => [...sizes.keys()].find((k) => k.includes('date=2024-01-02/'))!;
const size02 = (): string => sizes.get(key02())!.toLocaleString('en-US');
const at = (key: string): string => `s3://${BUCKET}/${key}`.replaceAll(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('a cold query against a hostile store', () => {
  it('an endless body (announced or not) and a substituted object: cut off at once, one line each, nothing left', async () => {
    const [endless, chunked, swap] = await Promise.all([peer('endless'), peer('endless-chunked'), peer('swap')]);
    const query = ['data', 'query', 'trades', '--lake', lake.dir, '--format', 'csv'];
    const [a, b, c] = await Promise.all([alpha(query, endless.endpoint), alpha(query, chunked.endpoint), alpha(query, swap.endpoint)]);
    // Each object is checked against the manifest's size, the first byte too many ends the read.
    oneLine(
      a,
      /dataset "trades": the query failed reading its cold tier: s3:\/\/.*: the store announced 1,125,899,906,842,624 bytes; expected the [\d,]+ bytes the manifest records$/,
    );
    oneLine(b, /: the store sent more than the [\d,]+ bytes the manifest records$/);
    // The 2024-01-03 object served for the 2024-01-02 key: the size or the MD5 gives it away.
    oneLine(
      c,
      new RegExp(
        `${at(key02())}: the store (announced [\\d,]+ bytes; expected the ${size02()} bytes|sent [\\d,]+ bytes with MD5 [0-9a-f]{32}; expected MD5 [0-9a-f]{32})`,
      ),
    );
    for (const r of [a, b, c]) expect(r.ms).toBeLessThan(30_000); // not hung (they take 2-3 s; generous for a loaded CI)
    // What the peers managed to hand over before the client hung up: socket buffers, not gigabytes.
    expect(endless.maxSent()).toBeLessThan(64 << 20);
    expect(chunked.maxSent()).toBeLessThan(64 << 20);
    expect(tree(join(lake.dir, '.cold'))).toEqual(['lake-id', 'trades.json']);
  }, 60_000);

  it('silence, a stall mid-body, a drip: each abandoned within the time limits, one line each, nothing left', async () => {
    const [silent, stall, drip] = await Promise.all([peer('silent'), peer('stall'), peer('drip')]);
    const query = ['data', 'query', 'trades', '--lake', lake.dir];
    const [a, b, c] = await Promise.all([alpha(query, silent.endpoint), alpha(query, stall.endpoint), alpha(query, drip.endpoint)]);
    oneLine(
      a,
      /the query failed reading its cold tier: s3:\/\/.*: the object store at http:\/\/127\.0\.0\.1:\d+ sent 0 of the [\d,]+ bytes the manifest records in 10\.0 s, the time a download of that size is allowed \(10 s, and 1 s per 1,048,576 bytes\)$/,
    );
    oneLine(
      b,
      /: the object store at http:\/\/127\.0\.0\.1:\d+ sent [\d,]+ of the [\d,]+ bytes the manifest records in 10\.0 s, the time a download of that size is allowed \(10 s, and 1 s per 1,048,576 bytes\)$/,
    );
    oneLine(
      c,
      /: the object store at http:\/\/127\.0\.0\.1:\d+ sent [\d,]+ of the [\d,]+ bytes the manifest records in 10\.0 s, the time a download of that size is allowed \(10 s, and 1 s per 1,048,576 bytes\)$/,
    );
    // A download of a small object is allowed 10 s (IDLE_MS), whatever the server does meanwhile.
    for (const r of [a, b, c]) expect(r.ms).toBeLessThan(40_000); // not hung (about 12 s each, side by side)
    expect(tree(join(lake.dir, '.cold'))).toEqual(['lake-id', 'trades.json']);
  }, 60_000);
});

describe('a restore from a hostile store', () => {
  it('an endless body, a damaged object beside a slow one, silence: one line each, the lake as it was', async () => {
    const [endless, mixed, silent] = await Promise.all([peer('endless'), peer('garbage-and-slow'), peer('silent')]);
    // A copy of the lake for each (a restore holds the dataset's lock).
    const lakes = ['endless', 'mixed', 'silent'].map((name) => {
      const dir = join(tempDir(`cold-hostile-${name}`), 'lake');
      cpSync(lake.dir, dir, { recursive: true });
      return dir;
    });
    const before = tree(lake.dir);
    const restore = (dir: string): string[] => ['data', 'restore', '--dataset', 'trades', '--lake', dir];
    const [a, b, c] = await Promise.all([
      alpha(restore(lakes[0]!), endless.endpoint),
      alpha(restore(lakes[1]!), mixed.endpoint),
      alpha(restore(lakes[2]!), silent.endpoint),
    ]);
    oneLine(a, /^alpha: s3:\/\/.*: the store announced 1,125,899,906,842,624 bytes; expected the [\d,]+ bytes the manifest records$/);
    oneLine(
      b,
      new RegExp(
        `^alpha: ${at(key02())}: the store sent ${size02()} bytes with MD5 [0-9a-f]{32}; expected MD5 [0-9a-f]{32}, as the manifest records`,
      ),
    );
    oneLine(
      c,
      /: the object store at http:\/\/127\.0\.0\.1:\d+ sent 0 of the [\d,]+ bytes the manifest records in 10\.0 s, the time a download of that size is allowed \(10 s, and 1 s per 1,048,576 bytes\)$/,
    );
    expect(a.ms).toBeLessThan(30_000);
    expect(c.ms).toBeLessThan(40_000);
    expect(endless.maxSent()).toBeLessThan(64 << 20);
    // No temporary file, and not the 2024-01-03 file the slow download finished after the other failed.
    for (const dir of lakes) expect(tree(dir)).toEqual(before);
  }, 60_000);

  it('after all that, the real store restores every row', async () => {
    const r = await alpha(['data', 'restore', '--lake', lake.dir], process.env['ALPHA_S3_ENDPOINT']!);
    expect(r.code, r.stderr).toBe(0);
    expect(await rows(lake.dir)).toEqual(baseline);
  }, 60_000);
});
