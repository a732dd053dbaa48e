/**
 * The cold tier against the real object store (SeaweedFS, started by the test setup): archive →
 * query → replay → restore gives the same rows and the same orders and fills as the warm table; a
 * kill -9 at every step of an archive and of a restore leaves every row readable exactly once, before
 * and after the rerun; bad dates, a missing bucket, wrong credentials, a dead port and a foreign host
 * are one-line `alpha:` refusals; no output carries the secret.
 * Expected values come from outside the code under test: the rows and the backtest of the warm table
 * before anything moved, the files' MD5 computed here, and the objects as the S3 client sees them.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../pipelines/data/manifest.ts';
import { sampleToLake } from '../../pipelines/data/sample-to-lake.ts';
import { runBacktest } from '../../pipelines/runtime/backtest.ts';
import { readColdManifest } from '../../lib/io/lake/cold-manifest.ts';
import { tablePath } from '../../lib/io/lake/layout.ts';
import { queryLake } from '../../lib/io/lake/query.ts';
import { ROOT } from '../helpers/cli.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';
import { deltaRs, tempLake } from '../helpers/lake.ts';

process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
const s3 = await import('@aws-sdk/client-s3');

const SECRET = process.env['ALPHA_S3_SECRET_KEY'] ?? '';
const client = new s3.S3Client({
  endpoint: process.env['ALPHA_S3_ENDPOINT']!,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: process.env['ALPHA_S3_ACCESS_KEY'] ?? '', secretAccessKey: SECRET },
});
const BUCKET = `alpha-test-${process.pid}-${Date.now().toString(36)}`;
const lake = tempLake('cold');
let data: string;
/** Everything the product printed or wrote in this file, searched for the secret at the end. */
const outputs: string[] = [];

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function alpha(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/alpha.mjs', ...args],
      { cwd: ROOT, timeout: timeoutMs, maxBuffer: 16 << 20, env: { ...process.env, ...env } },
      (err, stdout, stderr) => {
        outputs.push(stdout, stderr);
        const e = err as (Error & { code?: unknown; signal?: NodeJS.Signals }) | null;
        resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
      },
    );
  });
}

const md5 = (file: string): string => createHash('md5').update(readFileSync(file)).digest('hex');

/** The table's data files on disk, `date=…/name` → MD5. */
function localFiles(dataset: string): Map<string, string> {
  const dir = join(lake.dir, dataset);
  const out = new Map<string, string>();
  for (const d of readdirSync(dir).filter((x) => x.startsWith('date=')))
    for (const f of readdirSync(join(dir, d)).filter((x) => x.endsWith('.parquet'))) out.set(`${d}/${f}`, md5(join(dir, d, f)));
  return out;
}

/** The partial downloads (`*.download`) in a dataset's partition folders. */
function partialDownloads(dataset: string): string[] {
  const dir = join(lake.dir, dataset);
  return readdirSync(dir)
    .filter((x) => x.startsWith('date='))
    .flatMap((d) =>
      readdirSync(join(dir, d))
        .filter((f) => f.endsWith('.download'))
        .map((f) => `${d}/${f}`),
    );
}

/** Every row version of a dataset, sorted, as text: equal multisets are equal strings. */
async function allRows(name: string): Promise<string[]> {
  const a = await queryLake({ lake: lake.dir, dataset: name, allVersions: true });
  return a.rows.map((r) => JSON.stringify(r)).sort();
}

async function objects(prefix = ''): Promise<Map<string, { size: number; etag: string }>> {
  const r = await client.send(new s3.ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return new Map((r.Contents ?? []).map((o) => [o.Key!, { size: o.Size!, etag: (o.ETag ?? '').replaceAll('"', '') }]));
}

function topology(): string {
  const text = readFileSync(join(ROOT, 'topology.yaml'), 'utf8').replace(/^data: .*$/m, '');
  const out = text
    .replace(
      '    type: source.replay\n  - name: trades',
      '    type: source.replay\n    params: { dataset: quotes, store: lake }\n  - name: trades',
    )
    .replace('params: { dataset: trades, schema: Trade }', 'params: { dataset: trades, schema: Trade, store: lake }');
  const file = join(tempDir('cold-topology'), 'topology.yaml');
  writeFileSync(file, out);
  return file;
}

async function backtest(): Promise<{ orders: Buffer; fills: Buffer; summary: string }> {
  const out = join(tempDir('cold-run'), 'out');
  await runBacktest({ topologyFile: topology(), dataDir: data, lakeDir: lake.dir, outDir: out });
  const summary = readFileSync(join(out, 'summary.json'), 'utf8');
  outputs.push(summary);
  return { orders: readFileSync(join(out, 'orders.parquet')), fills: readFileSync(join(out, 'fills.parquet')), summary };
}

const baseline: { quotes: string[]; trades: string[]; files: Map<string, string>; run?: Awaited<ReturnType<typeof backtest>> } = {
  quotes: [],
  trades: [],
  files: new Map(),
};

beforeAll(async () => {
  await client.send(new s3.CreateBucketCommand({ Bucket: BUCKET }));
  data = await dataset({ symbols: 5, days: 4 });
  await sampleToLake(data, readManifest(data), lake.dir);
  baseline.quotes = await allRows('quotes');
  baseline.trades = await allRows('trades');
  baseline.files = localFiles('trades');
}, 120_000);

afterAll(async () => {
  for (const key of (await objects()).keys()) await client.send(new s3.DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
  await client.send(new s3.DeleteBucketCommand({ Bucket: BUCKET }));
  client.destroy();
  lake.remove();
});

describe('the cold round trip: archive → query → replay → restore', () => {
  it('archives the partitions before the date, checked, and reads them back unchanged', async () => {
    baseline.run = await backtest();
    const r = await alpha(['data', 'archive', '--before', '2024-01-04', '--lake', lake.dir, '--bucket', BUCKET]);
    expect(r.stderr).toMatch(/"trades": archived 2 file\(s\)/);
    expect(r.code).toBe(0);
    // The old partitions left the disk; the newer ones stayed.
    const left = localFiles('trades');
    expect([...left.keys()].every((k) => k >= 'date=2024-01-04')).toBe(true);
    expect(left.size).toBe([...baseline.files.keys()].filter((k) => k >= 'date=2024-01-04').length);
    // Each archived file is in the bucket with the bytes it had (ETag = MD5 of a single-part upload).
    const stored = await objects();
    const archived = [...baseline.files].filter(([k]) => k < 'date=2024-01-04');
    expect(archived.length).toBe(2);
    for (const [path, sum] of archived) {
      const key = [...stored.keys()].find((k) => k.endsWith(`/trades/${path}`));
      expect(key, path).toBeDefined();
      expect(stored.get(key!)!.etag).toBe(sum);
      const head = await client.send(new s3.HeadObjectCommand({ Bucket: BUCKET, Key: key! }));
      expect(head.StorageClass).toBe('GLACIER_IR');
    }
    const manifest = JSON.parse(readFileSync(join(lake.dir, '.cold', 'trades.json'), 'utf8'));
    expect(manifest.entries.map((e: { storage_class: string }) => e.storage_class)).toEqual(['GLACIER_IR', 'GLACIER_IR']);
    // Warm and cold together hold every row version once.
    expect(await allRows('trades')).toEqual(baseline.trades);
    expect(await allRows('quotes')).toEqual(baseline.quotes);
    // The Delta table stays valid on its own: delta-rs reads its (warm) rows.
    const warm = deltaRs<{ records: unknown[] }>('read', ['--table', join(lake.dir, 'trades')]).records.length;
    const warmExpected = baseline.trades.filter((row) => (JSON.parse(row) as number[])[1]! >= Date.UTC(2024, 0, 4) * 1000).length;
    expect(warm).toBe(warmExpected);
  });

  it('a query with --as-of and the command line read warm and cold together', async () => {
    const t = Date.UTC(2024, 0, 3, 18) * 1000;
    const asOf = await queryLake({ lake: lake.dir, dataset: 'trades', asOf: t });
    expect(asOf.rows.length).toBeGreaterThan(0);
    expect(asOf.rows.every((r) => (r[1] as number) <= t)).toBe(true);
    const csv = await alpha(['data', 'query', 'trades', '--lake', lake.dir, '--format', 'csv']);
    expect(csv.code).toBe(0);
    expect(csv.stdout.trim().split('\n').length - 1).toBeGreaterThan(baseline.trades.length / 2);
  });

  it('replays the same orders and fills from cold as from warm', async () => {
    const cold = await backtest();
    expect(cold.orders.equals(baseline.run!.orders)).toBe(true);
    expect(cold.fills.equals(baseline.run!.fills)).toBe(true);
  });

  it('a version from before the move is refused, not read short', async () => {
    await expect(queryLake({ lake: lake.dir, dataset: 'trades', version: 1 })).rejects.toThrow(
      /moved partitions between the warm and cold tiers at version 2/,
    );
  });

  it('restores everything: the same files, rows and an empty bucket; a second restore does nothing', async () => {
    const r = await alpha(['data', 'restore', '--lake', lake.dir]);
    expect(r.code).toBe(0);
    expect(localFiles('trades')).toEqual(baseline.files);
    expect(await allRows('trades')).toEqual(baseline.trades);
    expect(await allRows('quotes')).toEqual(baseline.quotes);
    expect((await objects()).size).toBe(0);
    const again = await alpha(['data', 'restore', '--lake', lake.dir]);
    expect(again.stderr).toContain('"trades": nothing to restore');
  });
});

describe('kill -9 at every step', () => {
  const steps = {
    // Each leaves a different state: objects (or files) without a manifest entry; entries pending on
    // an absent commit; a commit with its entries still pending; settled, with some files left to delete.
    archive: ['uploaded-one', 'manifest', 'committed', 'deleted-one'],
    restore: ['downloaded-one', 'manifest', 'committed', 'released-one'],
  } as const;
  // Archive and restore by turns: each starts from the state the other left.
  for (let i = 0; i < steps.archive.length; i++)
    for (const [op, step] of [
      ['archive', steps.archive[i]!],
      ['restore', steps.restore[i]!],
    ] as const)
      it(`${op} killed at "${step}": rows readable once, a rerun finishes${step === 'committed' ? ', a third run does nothing' : ''}`, async () => {
        const args =
          op === 'archive'
            ? ['data', 'archive', '--before', '2024-01-05', '--dataset', 'trades', '--lake', lake.dir, '--bucket', BUCKET]
            : ['data', 'restore', '--dataset', 'trades', '--lake', lake.dir];
        const killed = await alpha(args, { ALPHA_FAULT_KILL_AT: step });
        expect(killed.signal).toBe('SIGKILL');
        expect(await allRows('trades')).toEqual(baseline.trades);
        // A restore killed mid-download leaves FILE.PID.download beside the file: plant one, as the
        // downloads still in flight at the kill may or may not have.
        const cold = readColdManifest(tablePath(lake.dir, 'trades', true))?.entries.find((e) => e.restored_at === undefined);
        if (op === 'restore' && step === 'downloaded-one' && cold)
          writeFileSync(join(lake.dir, 'trades', `${cold.path}.4194305.download`), 'partial');
        const rerun = await alpha(args);
        expect(rerun.code, rerun.stderr).toBe(0);
        expect(await allRows('trades')).toEqual(baseline.trades);
        if (step === 'committed') {
          const third = await alpha(args);
          expect(third.stderr).toMatch(op === 'archive' ? /nothing before 2024-01-05/ : /nothing to restore/);
        }
        expect(partialDownloads('trades')).toEqual([]);
        const local = localFiles('trades');
        if (op === 'archive') {
          expect([...local.keys()].some((k) => k < 'date=2024-01-05')).toBe(false);
          expect((await objects()).size).toBe(3);
        } else {
          expect(local).toEqual(baseline.files);
          expect((await objects()).size).toBe(0);
        }
      });
});

describe('hostile', () => {
  let deadPort = 0;
  beforeAll(async () => {
    // Archived data for the reads below.
    const r = await alpha(['data', 'archive', '--before', '2024-01-03', '--dataset', 'trades', '--lake', lake.dir, '--bucket', BUCKET]);
    expect(r.code, r.stderr).toBe(0);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    deadPort = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
  });

  const oneLine = (r: Run, pattern: RegExp): void => {
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^alpha: /);
    expect(lines[0]).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it('refuses bad dates, classes and buckets before touching anything', async () => {
    const base = ['data', 'archive', '--dataset', 'trades', '--lake', lake.dir];
    const [feb30, word, klass, name, order] = await Promise.all([
      alpha([...base, '--before', '2024-02-30']),
      alpha([...base, '--before', 'yesterday']),
      alpha([...base, '--before', '2024-01-05', '--storage-class', 'GLACIER']),
      alpha([...base, '--before', '2024-01-05', '--bucket', '../etc']),
      alpha(['data', 'restore', '--lake', lake.dir, '--from', '2024-01-05', '--to', '2024-01-01']),
    ]);
    oneLine(feb30, /--before is "2024-02-30": expected a real date/);
    oneLine(word, /--before is "yesterday"/);
    oneLine(klass, /--storage-class is "GLACIER"/);
    oneLine(name, /--bucket is "\.\.\/etc": expected a bucket name/);
    oneLine(order, /--from 2024-01-05 is after --to 2024-01-01/);
  });

  it('a missing bucket, wrong credentials, a dead port, a foreign host, no credentials: one line each, no secret', async () => {
    const wrong = `wrong-${SECRET.slice(0, 4)}-${Date.now()}`;
    const archive = ['data', 'archive', '--before', '2024-01-05', '--dataset', 'trades', '--lake', lake.dir];
    const t0 = performance.now();
    const [missing, badKey, dead, foreign, none, queryBadKey] = await Promise.all([
      alpha([...archive, '--bucket', `alpha-missing-${process.pid}`]),
      alpha([...archive, '--bucket', BUCKET], { ALPHA_S3_SECRET_KEY: wrong }),
      alpha([...archive, '--bucket', BUCKET], { ALPHA_S3_ENDPOINT: `http://127.0.0.1:${deadPort}` }),
      alpha([...archive, '--bucket', BUCKET], { ALPHA_S3_ENDPOINT: 'http://192.0.2.1:8333' }),
      alpha([...archive, '--bucket', BUCKET], { ALPHA_S3_ACCESS_KEY: '' }),
      alpha(['data', 'query', 'trades', '--lake', lake.dir], { ALPHA_S3_SECRET_KEY: wrong }),
    ]);
    expect(performance.now() - t0).toBeLessThan(45_000);
    oneLine(missing, /bucket "alpha-missing-\d+" does not exist at http:\/\/127\.0\.0\.1:\d+/);
    oneLine(badKey, /refused the credentials in ALPHA_S3_ACCESS_KEY \/ ALPHA_S3_SECRET_KEY/);
    oneLine(dead, /cannot reach the object store at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
    oneLine(foreign, /ALPHA_S3_ENDPOINT "http:\/\/192\.0\.2\.1:8333": expected .* on loopback/);
    oneLine(none, /needs ALPHA_S3_ACCESS_KEY and ALPHA_S3_SECRET_KEY/);
    oneLine(queryBadKey, /dataset "trades": the query failed .*HTTP 403.*refused the credentials in ALPHA_S3_ACCESS_KEY/);
    for (const r of [badKey, queryBadKey]) expect(r.stdout + r.stderr).not.toContain(wrong);
    // Nothing moved: the rows are all there, once.
    expect(await allRows('trades')).toEqual(baseline.trades);
  });

  it('no output, summary, manifest or log of this file carries the secret', () => {
    expect(SECRET.length).toBeGreaterThan(8);
    const files = [
      join(lake.dir, '.cold', 'trades.json'),
      ...readdirSync(join(lake.dir, 'trades', '_delta_log')).map((f) => join(lake.dir, 'trades', '_delta_log', f)),
    ];
    const texts = [...outputs, ...files.filter(existsSync).map((f) => readFileSync(f, 'utf8'))];
    expect(texts.length).toBeGreaterThan(40);
    for (const t of texts) expect(t).not.toContain(SECRET);
  });
});
