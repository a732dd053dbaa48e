/**
 * vitest globalSetup: when a selected test file needs the real services (a file under test/kafka/ or
 * test/redis/, or named `*.kafka.test.ts`), runs scripts/services/up.sh (idempotent: reuses services that answer)
 * and hands their addresses to the tests as KAFKA_BROKERS, SCHEMA_REGISTRY_URL and REDIS_URL (in the
 * environment of the test workers, and through `inject()`), and Redis's ACL login as
 * ALPHA_REDIS_USER and ALPHA_REDIS_PASSWORD (environment only; from .services/redis/credentials).
 *
 * A file under test/cold/ needs the object store only: scripts/services/seaweedfs.sh up starts SeaweedFS
 * (not Kafka), and its S3 endpoint and identity reach the tests as ALPHA_S3_ENDPOINT,
 * ALPHA_S3_ACCESS_KEY and ALPHA_S3_SECRET_KEY (from the environment when set, else the pair the script
 * keeps in the services cache).
 *
 * A file under test/prometheus/ (or named `*.prometheus.test.ts`) needs Prometheus only:
 * scripts/services/prometheus.sh up installs Debian's package when missing and starts it on loopback;
 * its address reaches the tests as PROMETHEUS_URL, and the folder whose JSON files name its scrape
 * targets as PROMETHEUS_TARGETS_DIR.
 *
 * Afterwards the services are left running, so the next run starts in seconds and other processes
 * using them are not cut off; with CI=true (or SERVICES_STOP_AFTER_TESTS=1) the services that this
 * run started, and only those, are stopped again.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPTS = join(ROOT, 'scripts/services');

export const needsServices = (file: string): boolean =>
  /(^|[/\\])test[/\\](kafka|redis)[/\\]/.test(file) || /\.kafka\.test\.[cm]?[jt]s$/.test(file);

export const needsObjectStore = (file: string): boolean => /(^|[/\\])test[/\\]cold[/\\]/.test(file);

export const needsPrometheus = (file: string): boolean =>
  /(^|[/\\])test[/\\]prometheus[/\\]/.test(file) || /\.prometheus\.test\.[cm]?[jt]s$/.test(file);

declare module 'vitest' {
  export interface ProvidedContext {
    KAFKA_BROKERS: string;
    SCHEMA_REGISTRY_URL: string;
    REDIS_URL: string;
  }
}

function servicesDir(): string {
  return process.env['SERVICES_DIR'] ?? join(ROOT, '.services');
}

function readEnv(file = join(servicesDir(), 'env')): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** Which services answer now (status.sh lines: NAME up|DOWN …). */
function upNow(): Set<string> {
  const r = spawnSync('bash', [join(SCRIPTS, 'status.sh')], { encoding: 'utf8' });
  return new Set(
    r.stdout
      .split('\n')
      .filter((l) => /^\S+\s+up\s/.test(l))
      .map((l) => l.split(/\s+/)[0]!),
  );
}

/**
 * `scripts/services/NAME.sh up` (it reuses the service when it is up); a failure says that `needs` it.
 * Returns its stop, under CI, when this run started it.
 */
function startService(name: string, needs: string): (() => void) | undefined {
  const script = join(SCRIPTS, `${name}.sh`);
  const wasUp = spawnSync('bash', [script, 'status'], { encoding: 'utf8' }).status === 0;
  const r = spawnSync('bash', [script, 'up'], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 5 * 60_000 });
  if (r.status !== 0)
    throw new Error(
      `scripts/services/${name}.sh up exited with ${r.status ?? r.signal} (its reason is the [services] line above): ${needs}`,
    );
  const stopAfter = process.env['CI'] === 'true' || process.env['SERVICES_STOP_AFTER_TESTS'] === '1';
  return stopAfter && !wasUp ? () => void spawnSync('bash', [script, 'down'], { stdio: 'inherit' }) : undefined;
}

/** Starts SeaweedFS when it is not up, and puts its endpoint and identity in the environment; returns its stop, under CI. */
function startObjectStore(): (() => void) | undefined {
  const stop = startService('seaweedfs', 'the cold-tier tests need the real object store');
  const cache = process.env['SERVICES_CACHE_DIR'] ?? join(servicesDir(), 'cache');
  const pairFile = join(cache, 'seaweedfs-s3.env');
  // Set in the environment, the pair is taken from there (and the script writes no file when it reused a store).
  const pair = existsSync(pairFile) ? readFileSync(pairFile, 'utf8') : '';
  for (const line of pair.split('\n')) {
    const m = /^(ALPHA_S3_ACCESS_KEY|ALPHA_S3_SECRET_KEY)=(.+)$/.exec(line.trim());
    if (m) process.env[m[1]!] ??= m[2]!;
  }
  process.env['ALPHA_S3_ENDPOINT'] ??= `http://127.0.0.1:${process.env['ALPHA_S3_PORT'] ?? '8333'}`;
  return stop;
}

/** Starts Prometheus when it is not up, and puts its address and targets folder in the environment; returns its stop, under CI. */
function startPrometheus(): (() => void) | undefined {
  const stop = startService('prometheus', 'the Prometheus tests need the real server');
  process.env['PROMETHEUS_URL'] ??= `http://127.0.0.1:${process.env['PROMETHEUS_PORT'] ?? '9490'}`;
  process.env['PROMETHEUS_TARGETS_DIR'] ??= join(servicesDir(), 'prometheus', 'targets');
  return stop;
}

export default async function setup(project: TestProject): Promise<(() => void) | undefined> {
  // The CLI's file filters (internal field of vitest 4; without it, assume the services are needed).
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  const files = (await project.globTestFiles(filters)).testFiles;
  // The services a test needs alone (no Kafka), and their stops under CI.
  const stops = [
    files.some(needsPrometheus) ? startPrometheus() : undefined,
    files.some(needsObjectStore) ? startObjectStore() : undefined,
  ].filter((stop) => stop !== undefined);
  const stopAlone =
    stops.length > 0
      ? () => {
          for (const stop of stops) stop();
        }
      : undefined;
  if (!files.some(needsServices)) return stopAlone;

  const before = upNow();
  const t0 = performance.now();
  process.stdout.write('[services] a selected test needs Kafka: bash scripts/services/up.sh\n');
  const r = spawnSync('bash', [join(SCRIPTS, 'up.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) {
    throw new Error(
      `scripts/services/up.sh exited with ${r.status ?? r.signal}: the Kafka tests need the real broker, ` +
        `schema registry and Redis (see the lines above and ${servicesDir()}/*/ logs)`,
    );
  }
  process.stdout.write(`[services] ready in ${((performance.now() - t0) / 1000).toFixed(1)}s\n`);
  const env = readEnv();
  const addresses = {
    KAFKA_BROKERS: env['KAFKA_BOOTSTRAP_SERVERS'] ?? '127.0.0.1:9092',
    SCHEMA_REGISTRY_URL: env['SCHEMA_REGISTRY_URL'] ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
    REDIS_URL: env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
  };
  for (const [k, v] of Object.entries(addresses)) {
    process.env[k] ??= v;
    project.provide(k as keyof typeof addresses, process.env[k]!);
  }
  // Redis's ACL login, for the tests and the processes they start (environment only, never provided).
  const credentials = join(servicesDir(), 'redis', 'credentials');
  if (existsSync(credentials) && process.env['ALPHA_REDIS_PASSWORD'] === undefined)
    for (const [k, v] of Object.entries(readEnv(credentials))) if (k.startsWith('ALPHA_REDIS_')) process.env[k] = v;

  const stopAfter = process.env['CI'] === 'true' || process.env['SERVICES_STOP_AFTER_TESTS'] === '1';
  if (!stopAfter) return stopAlone;
  return () => {
    stopAlone?.();
    const started = ['kafka', 'schema-registry', 'redis'].filter((s) => !before.has(s));
    if (started.length === 0) return;
    // down.sh stops only what up.sh started (by pid file); services that were up before this run stay.
    if (started.length < 3) {
      process.stdout.write(`[services] leaving ${[...before].join(', ')} running (they were up before the tests)\n`);
    }
    spawnSync('bash', [join(SCRIPTS, 'down.sh'), ...started.map((s) => `--only=${s}`)], { stdio: 'inherit' });
  };
}
