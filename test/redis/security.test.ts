/**
 * The hot tier's Redis is locked: the default user is off, the ACL user the services script made
 * (ALPHA_REDIS_USER / ALPHA_REDIS_PASSWORD) cannot administer the server, Redis listens on
 * 127.0.0.1 only, and no secret reaches an output: a wrong password gives one `alpha:` line naming
 * the user and the server but not the password, and runs with the right one (a backtest writing
 * through sink.redis, a flush) write it to none of their outputs; nor do the services script and
 * Redis's log.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';
import { tempLake } from '../helpers/lake.ts';
import { redisLogin, testRedis, deleteTagged } from '../helpers/redis.ts';

const url = inject('REDIS_URL');
const port = Number(new URL(url).port || 6379);
const tag = `s${process.pid}${Date.now().toString(36)}`.replace(/[^A-Za-z0-9]/g, '');
const lake = tempLake('security');
let data: string;

beforeAll(async () => {
  data = await dataset({ symbols: 2, days: 1 });
}, 60_000);
afterAll(async () => {
  const redis = await testRedis(url);
  await deleteTagged(redis, tag);
  redis.disconnect();
  lake.remove();
});

interface Run {
  code: number | null;
  out: string;
}

function alpha(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/alpha.mjs', ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, out: stdout + stderr }),
    );
  });
}

/** Every file under `dir`, read as text. */
function filesUnder(dir: string): { file: string; text: string }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((file) => ({ file, text: readFileSync(file, 'latin1') }));
}

const sinkTopology = (ds: string) =>
  `name: secure\nseed: 1\nnodes:\n  - { name: quotes, type: source.replay }\n` +
  `  - { name: hot, type: sink.redis, inputs: quotes, params: { url: '${url}', dataset: ${ds} } }\n`;

describe('Redis security', () => {
  it('refuses the default user and administration, and listens on 127.0.0.1 only', async () => {
    const anonymous = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 1 });
    anonymous.on('error', () => {});
    await expect(anonymous.connect().then(() => anonymous.ping())).rejects.toThrow(/NOAUTH|Connection is closed/);
    anonymous.disconnect();

    const redis = await testRedis(url);
    await expect(redis.call('CONFIG', 'GET', 'bind')).rejects.toThrow(/NOPERM/);
    await expect(redis.call('ACL', 'LIST')).rejects.toThrow(/NOPERM/);
    redis.disconnect();

    // Listening sockets on the port (state 0A in /proc/net/tcp*): IPv4 loopback only.
    const listening = (file: string) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .slice(1)
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f[3] === '0A' && Number.parseInt(f[1]!.split(':')[1]!, 16) === port)
        .map((f) => f[1]!.split(':')[0]);
    expect(listening('/proc/net/tcp')).toEqual(['0100007F']);
    expect(listening('/proc/net/tcp6')).toEqual([]);
  });

  it('a wrong password: one alpha: line naming the user and the server, never the password', async () => {
    const { username } = redisLogin();
    const secret = `Wr0ng-${tag}-s3cret-pw`;
    const dir = tempDir('security');
    const topology = join(dir, 'topology.yaml');
    writeFileSync(topology, sinkTopology(`wrong_${tag}`));
    const runs = [
      await alpha(['data', 'flush', '--date', '2024-01-02', '--lake', lake.dir, '--redis', url], { ALPHA_REDIS_PASSWORD: secret }),
      await alpha(['backtest', topology, '--data', data, '--out', join(dir, 'out')], { ALPHA_REDIS_PASSWORD: secret }),
    ];
    for (const r of runs) {
      expect(r.code).toBe(1);
      expect(r.out).toMatch(new RegExp(`^alpha: .*Redis at 127\\.0\\.0\\.1:${port} refused the login of user "${username}"`, 'm'));
      expect(r.out).not.toContain(secret);
      expect(r.out).not.toMatch(/\n\s+at /); // no stack trace
    }
    for (const { file, text } of filesUnder(dir)) expect(text.includes(secret), file).toBe(false);
  }, 60_000);

  it('runs with the right password write it nowhere: outputs, summaries, ledgers', async () => {
    const { password } = redisLogin();
    const dir = tempDir('security-ok');
    const topology = join(dir, 'topology.yaml');
    const ds = `ok_${tag}`;
    writeFileSync(topology, sinkTopology(ds));
    const out = join(dir, 'out');
    const backtest = await alpha(['backtest', topology, '--data', data, '--out', out], {});
    expect(backtest.code, backtest.out).toBe(0);
    const day = readdirSync(join(data, 'quotes'))[0]!.slice(0, 10);
    const flush = await alpha(['data', 'flush', '--date', day, '--dataset', ds, '--lake', lake.dir, '--redis', url], {});
    expect(flush.code, flush.out).toBe(0);
    expect(flush.out).toMatch(/records \(table created\), \d+ added/);
    for (const text of [backtest.out, flush.out]) expect(text).not.toContain(password);
    const written = [...filesUnder(dir), ...filesUnder(lake.dir)];
    expect(written.some((f) => f.file.endsWith('summary.json'))).toBe(true);
    for (const { file, text } of written) expect(text.includes(password), file).toBe(false);

    // The services script (it reuses the running services) and Redis's own log.
    const up = spawnSync('bash', [join(ROOT, 'scripts/services/up.sh')], { encoding: 'utf8', timeout: 60_000 });
    expect(up.status, up.stderr).toBe(0);
    expect(`${up.stdout}${up.stderr}`).not.toContain(password);
    const services = process.env['SERVICES_DIR'] ?? join(ROOT, '.services');
    for (const log of [join(services, 'redis', 'redis.log'), join(services, 'env')])
      if (existsSync(log)) expect(readFileSync(log, 'latin1').includes(password), log).toBe(false);
  }, 60_000);
});
