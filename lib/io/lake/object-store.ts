/**
 * The cold tier's object store: an S3-compatible server on loopback (SeaweedFS, started by
 * scripts/services/seaweedfs.sh), reached with explicit settings from the environment and never
 * anything implicit — no credential chain, no cloud metadata probe, no other host:
 *   ALPHA_S3_ENDPOINT    http://127.0.0.1:8333 (a loopback address; anything else is refused)
 *   ALPHA_S3_ACCESS_KEY, ALPHA_S3_SECRET_KEY   the identity (required; the secret is never printed)
 *   ALPHA_S3_REGION      us-east-1 (SigV4 needs one; the local server ignores it)
 * The AWS SDK is loaded by the first request, not with the CLI: it costs start-up time.
 *
 * The server is a peer, not trusted to be sane: every request is bounded in time (a connection in
 * CONNECT_MS, no silence longer than IDLE_MS, a download at MIN_RATE at worst), and a download is
 * bounded in size by what the manifest records (cut off at the first byte more) and checked by MD5.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
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
  /**
   * Downloads to `file` (whole or not at all), checking the size and MD5 given: a body that announces
   * or sends another size is cut off there, one that stalls or crawls is abandoned (see the limits).
   */
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

/**
 * Time limits of every request. The store is on loopback: a connection takes well under a second, and
 * a server silent for 10 s (no header, no byte of a body, no read of an upload) is stuck, not busy.
 * A transfer must also average MIN_RATE after its first IDLE_MS, so a server dripping a byte at a
 * time cannot hold a download for ever. (The SDK's `requestTimeout` runs from the request's start to
 * the response's headers, upload included, so it is not used: it would cut a large upload short.)
 */
export const CONNECT_MS = 5_000;
export const IDLE_MS = 10_000;
/** Bytes per second. */
export const MIN_RATE = 1 << 20;
/** A request without a body to move (HEAD, DELETE): both attempts of its retry within this. */
const SMALL_MS = 2 * IDLE_MS + CONNECT_MS;

const transferMs = (bytes: number): number => IDLE_MS + Math.ceil((bytes / MIN_RATE) * 1000);

/** 102400 → "102,400". */
export const bytes = (n: number): string => n.toLocaleString('en-US');

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
    // socketTimeout: silence on the socket, while waiting for headers and while reading a body.
    requestHandler: { connectionTimeout: CONNECT_MS, socketTimeout: IDLE_MS },
  });
  const fail = (what: string, err: unknown): AlphaError => new AlphaError(redactSecrets(`${what}: ${describe(err, config.endpoint)}`));
  /** A request within `ms` (both attempts of its retry), a late answer as one line saying so. */
  const bounded = async <T>(what: string, ms: number, request: (abortSignal: AbortSignal) => Promise<T>): Promise<T> => {
    const deadline = AbortSignal.timeout(ms);
    try {
      return await request(deadline);
    } catch (err) {
      if (deadline.aborted) throw new AlphaError(`${what}: the object store at ${config.endpoint} did not answer within ${ms / 1000} s`);
      throw err;
    }
  };
  const head = async (bucket: string, key: string): Promise<StoredObject | undefined> => {
    try {
      const r = await bounded(`s3://${bucket}/${key}`, SMALL_MS, (abortSignal) =>
        client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal }),
      );
      return { size: r.ContentLength ?? -1, md5: (r.ETag ?? '').replaceAll('"', ''), storageClass: r.StorageClass ?? 'STANDARD' };
    } catch (err) {
      if (err instanceof AlphaError) throw err;
      if (statusOf(err) === 404 && nameOf(err) !== 'NoSuchBucket') return undefined;
      throw fail(`s3://${bucket}/${key}`, err);
    }
  };
  return {
    endpoint: config.endpoint,
    async checkBucket(bucket) {
      try {
        await bounded(`bucket "${bucket}"`, SMALL_MS, (abortSignal) =>
          client.send(new s3.HeadBucketCommand({ Bucket: bucket }), { abortSignal }),
        );
      } catch (err) {
        if (err instanceof AlphaError) throw err;
        if (statusOf(err) === 404)
          throw new AlphaError(`bucket "${bucket}" does not exist at ${config.endpoint}: create it, or name another with --bucket`);
        throw fail(`bucket "${bucket}"`, err);
      }
    },
    async putFile(bucket, key, file, storageClass) {
      const body = readFileSync(file);
      const md5 = createHash('md5').update(body).digest();
      const what = `uploading ${file} to s3://${bucket}/${key}`;
      try {
        await bounded(what, 2 * transferMs(body.length), (abortSignal) =>
          client.send(
            new s3.PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: body,
              ContentMD5: md5.toString('base64'),
              StorageClass: storageClass as never,
            }),
            { abortSignal },
          ),
        );
      } catch (err) {
        throw err instanceof AlphaError ? err : fail(what, err);
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
      const where = `s3://${bucket}/${key}`;
      // Without a whole size and an MD5 there would be nothing to bound or check the body by.
      if (!Number.isSafeInteger(want.size) || want.size < 0 || typeof want.md5 !== 'string' || !/^[0-9a-f]{32}$/.test(want.md5))
        throw new AlphaError(
          `${where}: the manifest records ${JSON.stringify(want.size)} bytes, MD5 ${JSON.stringify(want.md5)}: expected a whole number of bytes and an MD5 of 32 hex digits`,
        );
      const expected = `the ${bytes(want.size)} bytes the manifest records`;
      const tmp = `${file}.${process.pid}.download`;
      const limitMs = transferMs(want.size);
      const deadline = AbortSignal.timeout(limitMs);
      let received = 0;
      let body: (AsyncIterable<Uint8Array> & { destroy(err?: Error): void }) | undefined;
      const cut = (): void => body?.destroy(new Error('deadline'));
      deadline.addEventListener('abort', cut, { once: true });
      // A local failure (no room, no right to write) is said as such, not blamed on the store.
      const local = (err: unknown): AlphaError =>
        new AlphaError(`${tmp}: cannot write the download of ${where} (${codeOf(err) ?? (err as Error).message})`);
      const out = await open(tmp, 'w').catch((err: unknown) => {
        throw local(err);
      });
      try {
        try {
          const r = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: deadline });
          body = r.Body as unknown as typeof body;
          if (r.ContentLength !== undefined && r.ContentLength !== want.size)
            throw new AlphaError(`${where}: the store announced ${bytes(r.ContentLength)} bytes; expected ${expected}`);
          if (!body) throw new AlphaError(`${where}: the store answered without a body; expected ${expected}`);
          const hash = createHash('md5');
          for await (const chunk of body) {
            received += chunk.length;
            if (received > want.size) throw new AlphaError(`${where}: the store sent more than ${expected}`);
            hash.update(chunk);
            await out.write(chunk).catch((err: unknown) => {
              throw local(err);
            });
          }
          if (received !== want.size) throw new AlphaError(`${where}: the store sent ${bytes(received)} bytes; expected ${expected}`);
          const md5 = hash.digest('hex');
          if (md5 !== want.md5)
            throw new AlphaError(
              `${where}: the store sent ${bytes(received)} bytes with MD5 ${md5}; expected MD5 ${want.md5}, as the manifest records (another or a damaged object)`,
            );
        } catch (err) {
          body?.destroy();
          if (err instanceof AlphaError) throw err;
          if (deadline.aborted)
            throw new AlphaError(
              `${where}: the object store at ${config.endpoint} sent ${bytes(received)} of ${expected} in ${(limitMs / 1000).toFixed(1)} s, ` +
                `the time a download of that size is allowed (${IDLE_MS / 1000} s, and 1 s per ${bytes(MIN_RATE)} bytes)`,
            );
          if (nameOf(err) === 'TimeoutError')
            throw new AlphaError(
              `${where}: the object store at ${config.endpoint} sent nothing for ${IDLE_MS / 1000} s after ${bytes(received)} of ${expected}`,
            );
          if (body !== undefined)
            throw new AlphaError(
              redactSecrets(
                `${where}: the object store at ${config.endpoint} broke off after ${bytes(received)} of ${expected} (${codeOf(err) ?? nameOf(err)})`,
              ),
            );
          throw fail(`downloading ${where}`, err);
        }
        await out.close().catch((err: unknown) => {
          throw local(err);
        });
        try {
          renameSync(tmp, file);
        } catch (err) {
          throw local(err);
        }
      } catch (err) {
        await out.close().catch(() => undefined);
        rmSync(tmp, { force: true });
        throw err;
      } finally {
        deadline.removeEventListener('abort', cut);
      }
    },
    async delete(bucket, key) {
      try {
        await bounded(`deleting s3://${bucket}/${key}`, SMALL_MS, (abortSignal) =>
          client.send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal }),
        );
      } catch (err) {
        throw err instanceof AlphaError ? err : fail(`deleting s3://${bucket}/${key}`, err);
      }
    },
    close: () => client.destroy(),
  };
}

const nameOf = (err: unknown): string => String((err as { name?: unknown; Code?: unknown }).Code ?? (err as { name?: unknown }).name ?? '');
const statusOf = (err: unknown): number | undefined => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

const codeOf = (err: unknown): string | undefined =>
  (err as NodeJS.ErrnoException).code ?? (err as { cause?: NodeJS.ErrnoException }).cause?.code;

/** One line about an SDK or network error, without the SDK's stack or request details. */
function describe(err: unknown, endpoint: string): string {
  const code = codeOf(err);
  if (nameOf(err) === 'TimeoutError')
    return `the object store at ${endpoint} sent nothing for ${IDLE_MS / 1000} s (or took more than ${CONNECT_MS / 1000} s to connect)`;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT')
    return `cannot reach the object store at ${endpoint} (${code}): is it running? (npm run services:up starts it)`;
  const name = nameOf(err);
  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden'].includes(name) || statusOf(err) === 403)
    return `HTTP ${statusOf(err) ?? 403}${name ? ` ${name}` : ''}: the object store at ${endpoint} refused the credentials in ALPHA_S3_ACCESS_KEY / ALPHA_S3_SECRET_KEY`;
  if (name === 'NoSuchBucket') return `the bucket does not exist at ${endpoint}`;
  const text = err instanceof Error ? err.message : String(err);
  return `${name ? `${name}: ` : ''}${text.split('\n')[0]}`;
}
