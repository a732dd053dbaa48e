/**
 * The cold tier's object store: an S3-compatible server on loopback (SeaweedFS, started by
 * scripts/services/seaweedfs.sh), reached with explicit settings from the environment and never
 * anything implicit — no credential chain, no cloud metadata probe, no other host:
 *   ALPHA_S3_ENDPOINT    http://127.0.0.1:8333 (a loopback address; anything else is refused)
 *   ALPHA_S3_ACCESS_KEY, ALPHA_S3_SECRET_KEY   the identity (required; the secret is never printed)
 *   ALPHA_S3_REGION      us-east-1 (SigV4 needs one; the local server ignores it)
 * The AWS SDK is loaded by the first request, not with the CLI: it costs start-up time.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, readFileSync, renameSync, rmSync } from 'node:fs';
import { AlphaError } from '../../core/errors.ts';
import { redactSecrets, rememberSecret } from '../../core/secrets.ts';

export const DEFAULT_S3_ENDPOINT = 'http://127.0.0.1:8333';
export const DEFAULT_BUCKET = 'alpha-cold';

export interface ObjectStoreConfig {
  /** http://HOST:PORT, HOST on loopback. */
  endpoint: string;
  /** HOST:PORT, as DuckDB's S3 secret takes it. */
  hostPort: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])$/;

/** The settings from the environment, or an AlphaError saying which one is missing or wrong. */
export function objectStoreConfig(env: NodeJS.ProcessEnv = process.env): ObjectStoreConfig {
  const endpoint = env['ALPHA_S3_ENDPOINT'] || DEFAULT_S3_ENDPOINT;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new AlphaError(`ALPHA_S3_ENDPOINT "${endpoint}" is not a URL: expected http://127.0.0.1:PORT`);
  }
  if (url.protocol !== 'http:' || !LOOPBACK.test(url.hostname) || url.pathname !== '/' || url.search || url.username)
    throw new AlphaError(
      `ALPHA_S3_ENDPOINT "${endpoint}": expected http://HOST:PORT with HOST on loopback (127.0.0.1, localhost, [::1]); the cold tier talks to no other host`,
    );
  const accessKeyId = env['ALPHA_S3_ACCESS_KEY'] ?? '';
  const secretAccessKey = env['ALPHA_S3_SECRET_KEY'] ?? '';
  if (!accessKeyId || !secretAccessKey)
    throw new AlphaError(
      'the object store needs ALPHA_S3_ACCESS_KEY and ALPHA_S3_SECRET_KEY in the environment (the local server started by npm run services:up keeps its pair in .services/cache/seaweedfs-s3.env)',
    );
  rememberSecret(secretAccessKey);
  const port = url.port || '80';
  return {
    endpoint: `http://${url.hostname}:${port}`,
    hostPort: `${url.hostname}:${port}`,
    region: env['ALPHA_S3_REGION'] || 'us-east-1',
    accessKeyId,
    secretAccessKey,
  };
}

export const BUCKET_RULE = 'a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit';
export const isBucketName = (b: string): boolean => /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b) && !b.includes('..');

export interface StoredObject {
  size: number;
  /** MD5 of the content, hex (the ETag of a single-part upload). */
  md5: string;
  storageClass: string;
}

/** What the archive needs from an object store (the S3 client below; a benchmark may compare another). */
export interface ObjectStore {
  readonly endpoint: string;
  /** Refuses a bucket that is not there, or credentials the server does not take. */
  checkBucket(bucket: string): Promise<void>;
  /** Uploads a file, and checks what the server holds against its size and MD5. */
  putFile(bucket: string, key: string, file: string, storageClass: string): Promise<StoredObject>;
  head(bucket: string, key: string): Promise<StoredObject | undefined>;
  /** Downloads to `file` (whole or not at all), checking the size and MD5 given. */
  getFile(bucket: string, key: string, file: string, want: { size: number; md5: string }): Promise<void>;
  delete(bucket: string, key: string): Promise<void>;
  close(): void;
}

type S3Module = typeof import('@aws-sdk/client-s3');

let s3Module: Promise<S3Module> | undefined;

function loadS3(): Promise<S3Module> {
  // Set before the SDK loads: no probe of a cloud metadata address, no warning about Node 20.
  process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';
  s3Module ??= import('@aws-sdk/client-s3');
  return s3Module;
}

export async function openObjectStore(config: ObjectStoreConfig = objectStoreConfig()): Promise<ObjectStore> {
  const s3 = await loadS3();
  const client = new s3.S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: true,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    maxAttempts: 2,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const fail = (what: string, err: unknown): AlphaError => new AlphaError(redactSecrets(`${what}: ${describe(err, config.endpoint)}`));
  const head = async (bucket: string, key: string): Promise<StoredObject | undefined> => {
    try {
      const r = await client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key: key }));
      return { size: r.ContentLength ?? -1, md5: (r.ETag ?? '').replaceAll('"', ''), storageClass: r.StorageClass ?? 'STANDARD' };
    } catch (err) {
      if (statusOf(err) === 404 && nameOf(err) !== 'NoSuchBucket') return undefined;
      throw fail(`s3://${bucket}/${key}`, err);
    }
  };
  return {
    endpoint: config.endpoint,
    async checkBucket(bucket) {
      try {
        await client.send(new s3.HeadBucketCommand({ Bucket: bucket }));
      } catch (err) {
        if (statusOf(err) === 404)
          throw new AlphaError(`bucket "${bucket}" does not exist at ${config.endpoint}: create it, or name another with --bucket`);
        throw fail(`bucket "${bucket}"`, err);
      }
    },
    async putFile(bucket, key, file, storageClass) {
      const body = readFileSync(file);
      const md5 = createHash('md5').update(body).digest();
      try {
        await client.send(
          new s3.PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentMD5: md5.toString('base64'),
            StorageClass: storageClass as never,
          }),
        );
      } catch (err) {
        throw fail(`uploading ${file} to s3://${bucket}/${key}`, err);
      }
      const stored = await head(bucket, key);
      if (!stored || stored.size !== body.length || stored.md5 !== md5.toString('hex'))
        throw new AlphaError(
          `s3://${bucket}/${key}: the server holds ${stored ? `${stored.size} bytes, MD5 ${stored.md5}` : 'nothing'} after the upload of ${file} (${body.length} bytes, MD5 ${md5.toString('hex')})`,
        );
      return stored;
    },
    head,
    async getFile(bucket, key, file, want) {
      const tmp = `${file}.${process.pid}.download`;
      try {
        const r = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: key }));
        const hash = createHash('md5');
        let size = 0;
        const out = createWriteStream(tmp);
        for await (const chunk of r.Body as AsyncIterable<Uint8Array>) {
          hash.update(chunk);
          size += chunk.length;
          if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        }
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        const md5 = hash.digest('hex');
        if (size !== want.size || md5 !== want.md5)
          throw new AlphaError(
            `s3://${bucket}/${key}: downloaded ${size} bytes, MD5 ${md5}; the manifest says ${want.size} bytes, MD5 ${want.md5}`,
          );
        renameSync(tmp, file);
      } catch (err) {
        rmSync(tmp, { force: true });
        throw err instanceof AlphaError ? err : fail(`downloading s3://${bucket}/${key}`, err);
      }
    },
    async delete(bucket, key) {
      try {
        await client.send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (err) {
        throw fail(`deleting s3://${bucket}/${key}`, err);
      }
    },
    close: () => client.destroy(),
  };
}

const nameOf = (err: unknown): string => String((err as { name?: unknown; Code?: unknown }).Code ?? (err as { name?: unknown }).name ?? '');
const statusOf = (err: unknown): number | undefined => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** One line about an SDK or network error, without the SDK's stack or request details. */
function describe(err: unknown, endpoint: string): string {
  const code = (err as NodeJS.ErrnoException).code ?? (err as { cause?: NodeJS.ErrnoException }).cause?.code;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || nameOf(err) === 'TimeoutError')
    return `cannot reach the object store at ${endpoint} (${code ?? 'timed out'}): is it running? (npm run services:up starts it)`;
  const name = nameOf(err);
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden'].includes(name) || statusOf(err) === 403)
    return `the object store at ${endpoint} refused the credentials in ALPHA_S3_ACCESS_KEY / ALPHA_S3_SECRET_KEY (${name || 'HTTP 403'})`;
  if (name === 'NoSuchBucket') return `the bucket does not exist at ${endpoint}`;
  const text = err instanceof Error ? err.message : String(err);
  return `${name ? `${name}: ` : ''}${text.split('\n')[0]}`;
}
