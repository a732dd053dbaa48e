/**
 * A Kafka broker of a test's own, for tests that kill it: started by scripts/services/up.sh in a
 * temporary SERVICES_DIR on free ports, sharing the downloads of the main services and reusing their
 * schema registry and Redis (up.sh finds those ports taken and leaves them be). Killing the shared
 * broker instead would break the other test files running at the same time.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './datasets.ts';

const root = join(import.meta.dirname, '../..');
const scripts = join(root, 'scripts/services');

export interface PrivateBroker {
  /** `host:port` to put in KAFKA_BROKERS. */
  brokers: string;
  /** The environment a process needs to use this broker. */
  env: NodeJS.ProcessEnv;
  kill(): void;
  /** Starts it again (same storage) and waits until it answers. */
  start(): void;
  /** Stops it and deletes its storage. */
  stop(): void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const portOf = (url: string | undefined, fallback: string): string => (url ? new URL(url).port || fallback : fallback);

export async function privateBroker(): Promise<PrivateBroker> {
  const dir = tempDir('broker');
  const [port, controller] = [await freePort(), await freePort()];
  const shared = process.env['SERVICES_DIR'] ?? join(root, '.services');
  const scriptEnv = {
    ...process.env,
    SERVICES_DIR: dir,
    SERVICES_CACHE_DIR: process.env['SERVICES_CACHE_DIR'] ?? join(shared, 'cache'),
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controller),
    SCHEMA_REGISTRY_PORT: portOf(process.env['SCHEMA_REGISTRY_URL'], '8081'),
    REDIS_PORT: portOf(process.env['REDIS_URL'], '6379'),
  };
  const script = (name: string, ...args: string[]): void => {
    const r = spawnSync('bash', [join(scripts, name), ...args], { env: scriptEnv, encoding: 'utf8' });
    if (r.status !== 0)
      throw new Error(
        `${name} ${args.join(' ')} for the test's broker (${dir}) exited with ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`,
      );
  };
  const brokers = `127.0.0.1:${port}`;
  script('up.sh');
  return {
    brokers,
    env: { ...process.env, KAFKA_BROKERS: brokers, KAFKA_BOOTSTRAP_SERVERS: brokers },
    kill: () => process.kill(Number(readFileSync(join(dir, 'kafka/kafka.pid'), 'utf8').trim()), 'SIGKILL'),
    start: () => script('up.sh'),
    stop: () => {
      script('down.sh', '--only=kafka');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
