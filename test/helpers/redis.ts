/**
 * Helpers of the Redis tests: the ACL login the services script set up (ALPHA_REDIS_USER and
 * ALPHA_REDIS_PASSWORD, put in the environment by test/helpers/services-setup.ts), a raw ioredis
 * client with it, and a private redis-server with the same ACL user (its config on stdin, so the
 * password is on no command line).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export function redisLogin(): { username: string; password: string } {
  const username = process.env['ALPHA_REDIS_USER'];
  const password = process.env['ALPHA_REDIS_PASSWORD'];
  if (!username || !password) throw new Error('ALPHA_REDIS_USER / ALPHA_REDIS_PASSWORD are not set: the services setup sets them');
  return { username, password };
}

/** A connected client of the Redis at `url` (redis://HOST:PORT), logged in as the ACL user. */
export async function testRedis(url: string, options: { retry?: boolean } = {}): Promise<Redis> {
  const u = new URL(url);
  const r = new Redis({
    host: u.hostname,
    port: Number(u.port || 6379),
    ...redisLogin(),
    lazyConnect: true,
    ...(options.retry === false ? { retryStrategy: () => null, maxRetriesPerRequest: 1 } : {}),
  });
  r.on('error', () => {});
  await r.connect();
  return r;
}

/** A port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** A private redis-server on 127.0.0.1:port, nothing kept on disk, with the services' ACL user and the default user off. */
export function startRedis(port: number): ChildProcess {
  const { username, password } = redisLogin();
  const server = spawn('redis-server', ['-'], { stdio: ['pipe', 'ignore', 'ignore'] });
  server.stdin!.end(
    `port ${port}\nbind 127.0.0.1\nsave ""\nappendonly no\nuser default off\nuser ${username} on >${password} ~* &* +@all -@admin\n`,
  );
  return server;
}

export async function waitForRedis(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      (await testRedis(`redis://127.0.0.1:${port}`, { retry: false })).disconnect();
      return;
    } catch {
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  throw new Error(`redis-server on ${port} did not answer`);
}

/** Deletes the keys a test wrote (`alpha:*TAG*`), so the shared Redis keeps no test's data. */
export async function deleteTagged(redis: Redis, tag: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `alpha:*${tag}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
