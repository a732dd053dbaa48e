/**
 * A hostile S3-compatible peer for the cold-tier tests: it answers HEAD and GET of the objects it is
 * given (keyed by the object key, without the bucket), in one of the ways a broken or malicious store
 * answers, on 127.0.0.1 and an ephemeral port. It counts the bytes it managed to hand to the socket,
 * so a test can tell a client that cut a body off from one that swallowed it.
 */
import { createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';

export type HostileMode =
  /** Honest, Range included. */
  | 'ok'
  /** Ignores Range, announces 2^50 bytes and sends 1 MiB chunks for as long as they are read (capped at CAP). */
  | 'endless'
  /** The same without a Content-Length (chunked): the size is only known by counting. */
  | 'endless-chunked'
  /** HEAD and GET of a 2024-01-02 object answer with the 2024-01-03 object of the same folder, consistently. */
  | 'swap'
  /** Reads the request and never answers. */
  | 'silent'
  /** Headers and half the body, then silence. */
  | 'stall'
  /** Headers, then one byte every 200 ms. */
  | 'drip'
  /** 2024-01-02 objects: the right size, wrong bytes; the others: honest but slow (one 8 KiB chunk every 100 ms). */
  | 'garbage-and-slow';

/** What `endless` sends at most, so a client that never stops reading cannot take the machine down. */
export const CAP = 128 << 20;

export interface HostileS3 {
  endpoint: string;
  /** The most bytes handed to the socket for one response. */
  maxSent(): number;
  close(): Promise<void>;
}

export async function hostileS3(objects: ReadonlyMap<string, Buffer>, mode: HostileMode): Promise<HostileS3> {
  let maxSent = 0;
  const timers = new Set<NodeJS.Timeout>();
  const every = (ms: number, fn: () => boolean): void => {
    const t = setInterval(() => {
      if (!fn()) {
        clearInterval(t);
        timers.delete(t);
      }
    }, ms);
    timers.add(t);
  };
  const etag = (b: Buffer): string => `"${createHash('md5').update(b).digest('hex')}"`;
  const find = (key: string): Buffer | undefined => {
    if (mode === 'swap' && key.includes('date=2024-01-02/')) {
      const folder = key.slice(0, key.indexOf('date=2024-01-02/'));
      for (const [k, b] of objects) if (k.startsWith(`${folder}date=2024-01-03/`)) return b;
    }
    return objects.get(key);
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const parts = decodeURIComponent((req.url ?? '/').split('?')[0]!)
        .split('/')
        .filter(Boolean);
      if (parts.length <= 1) return void res.writeHead(200).end(); // the bucket
      const key = parts.slice(1).join('/');
      const body = find(key);
      if (!body) {
        res.writeHead(404, { 'content-type': 'application/xml' });
        return void res.end('<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>no such key</Message></Error>');
      }
      if (mode === 'silent') return;
      if (req.method === 'HEAD') return void res.writeHead(200, { 'content-length': body.length, etag: etag(body) }).end();
      serve(res, key, body);
    });
  });
  const serve = (res: ServerResponse, key: string, body: Buffer): void => {
    let sent = 0;
    const count = (chunk: Buffer): boolean => {
      sent += chunk.length;
      maxSent = Math.max(maxSent, sent);
      return res.write(chunk);
    };
    const range = /^bytes=(\d+)-(\d*)$/.exec(res.req.headers.range ?? '');
    switch (mode) {
      case 'ok':
      case 'swap': {
        if (range) {
          const from = Number(range[1]);
          const to = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
          const part = body.subarray(from, to + 1);
          res.writeHead(206, { 'content-length': part.length, 'content-range': `bytes ${from}-${to}/${body.length}`, etag: etag(body) });
          return void res.end(part);
        }
        res.writeHead(200, { 'content-length': body.length, etag: etag(body) });
        return void res.end(body);
      }
      case 'endless':
      case 'endless-chunked': {
        res.writeHead(200, mode === 'endless' ? { 'content-length': String(2 ** 50) } : {});
        const chunk = Buffer.alloc(1 << 20, 0x41);
        let open = true;
        res.on('close', () => {
          open = false;
        });
        const pump = (): void => {
          while (open && sent < CAP) if (!count(chunk)) return void res.once('drain', pump);
          if (open) res.destroy();
        };
        pump();
        return;
      }
      case 'stall':
        res.writeHead(200, { 'content-length': body.length, etag: etag(body) });
        count(body.subarray(0, body.length >> 1));
        return;
      case 'drip': {
        res.writeHead(200, { 'content-length': body.length, etag: etag(body) });
        res.flushHeaders();
        let i = 0;
        every(200, () => !res.destroyed && i < body.length && count(body.subarray(i, ++i)) !== undefined);
        return;
      }
      case 'garbage-and-slow': {
        res.writeHead(200, { 'content-length': body.length, etag: etag(body) });
        if (key.includes('date=2024-01-02/')) return void res.end(Buffer.alloc(body.length, 0x42));
        let i = 0;
        every(100, () => {
          if (res.destroyed) return false;
          count(body.subarray(i, i + 8192));
          i += 8192;
          if (i < body.length) return true;
          res.end();
          return false;
        });
        return;
      }
      case 'silent':
        return;
    }
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    maxSent: () => maxSent,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearInterval(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
