/**
 * Where the Kafka broker and the schema registry are. Read from the environment, then from the
 * `.services/env` that scripts/services/up.sh writes (so port overrides given to up.sh carry over),
 * then the defaults of scripts/services/lib.sh.
 */
import { AlphaError } from '../../core/errors.ts';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KafkaEdgeError } from './errors.ts';

/** Where a topic reader starts: its group's committed offsets, the topic's start, or its end. */
export const KAFKA_STARTS = ['committed', 'earliest', 'latest'] as const;
export type KafkaStart = (typeof KAFKA_STARTS)[number];

export interface KafkaSettings {
  /** `host:port` of each bootstrap broker. */
  brokers: string[];
  /** Base URL of the Confluent-compatible schema registry API. */
  registryUrl: string;
  /** Client id sent to the broker (shows in its logs and quotas). */
  clientId: string;
}

const SERVICES_ENV = fileURLToPath(new URL('../../../.services/env', import.meta.url));

/** KEY=VALUE lines of `.services/env` (missing file: nothing). */
export function servicesEnv(file = SERVICES_ENV): Record<string, string> {
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/**
 * `KAFKA_BROKERS` (comma list; `KAFKA_BOOTSTRAP_SERVERS` is accepted too) and `SCHEMA_REGISTRY_URL`;
 * else `KAFKA_PORT` / `SCHEMA_REGISTRY_PORT` as lib.sh reads them; else `.services/env`;
 * else 127.0.0.1:9092 and http://127.0.0.1:8081/apis/ccompat/v7.
 *
 * @example kafkaSettings({ KAFKA_BROKERS: '10.0.0.5:9092' }).brokers // ['10.0.0.5:9092']
 */
export function kafkaSettings(env: NodeJS.ProcessEnv = process.env, file = SERVICES_ENV): KafkaSettings {
  const services = servicesEnv(file);
  const brokersText =
    env['KAFKA_BROKERS'] ??
    env['KAFKA_BOOTSTRAP_SERVERS'] ??
    (env['KAFKA_PORT'] ? `127.0.0.1:${env['KAFKA_PORT']}` : undefined) ??
    services['KAFKA_BOOTSTRAP_SERVERS'] ??
    '127.0.0.1:9092';
  const brokers = brokersText
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  for (const b of brokers)
    if (!isBroker(b)) throw new KafkaEdgeError(`KAFKA_BROKERS: "${b}" is not host:port with a port from 1 to 65535 (in "${brokersText}")`);
  if (brokers.length === 0) throw new KafkaEdgeError(`KAFKA_BROKERS is "${brokersText}": expected host:port[,host:port…]`);
  const registryUrl = (
    env['SCHEMA_REGISTRY_URL'] ??
    (env['SCHEMA_REGISTRY_PORT'] ? `http://127.0.0.1:${env['SCHEMA_REGISTRY_PORT']}/apis/ccompat/v7` : undefined) ??
    services['SCHEMA_REGISTRY_URL'] ??
    'http://127.0.0.1:8081/apis/ccompat/v7'
  ).replace(/\/+$/, '');
  if (!/^https?:\/\/\S+$/.test(registryUrl)) throw new KafkaEdgeError(`SCHEMA_REGISTRY_URL is "${registryUrl}": expected an http(s) URL`);
  return { brokers, registryUrl, clientId: env['KAFKA_CLIENT_ID'] ?? 'alpha' };
}

/**
 * How long a live run's stop waits for the broker (its last commit, the acknowledgement of what it
 * wrote) before giving up on it: a broker that is up answers in milliseconds; one killed mid-run would
 * be retried for minutes (librdkafka's message.timeout.ms), and the stop must end. What was not done
 * is then the run's error (docs/live.md).
 */
export const KAFKA_STOP_WITHIN_MS = 5_000;

/** `host:port` with a port from 1 to 65535: librdkafka would take 99999 modulo 65536 (port 34463). */
function isBroker(b: string): boolean {
  const port = /^[^\s:/]+:(\d{1,5})$/.exec(b)?.[1];
  return port !== undefined && Number(port) >= 1 && Number(port) <= 65535;
}

/** Why `brokers` is not a broker list (undefined when it is). */
export function brokersProblem(brokers: string): string | undefined {
  // As KAFKA_BROKERS is read: empty entries (a trailing comma) are passed over.
  const list = brokers
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (list.length === 0) return `"${brokers}" names no broker`;
  const bad = list.find((b) => !isBroker(b));
  return bad === undefined ? undefined : `"${bad}" is not host:port with a port from 1 to 65535`;
}

/**
 * The settings of an operator that names its broker or registry (each optional: {@link kafkaSettings}
 * gives the rest, by default the local services' loopback ports).
 */
export function settingsFor(o: { brokers?: string | undefined; registry?: string | undefined }): KafkaSettings {
  return kafkaSettings({
    ...process.env,
    ...(o.brokers !== undefined ? { KAFKA_BROKERS: o.brokers } : {}),
    ...(o.registry !== undefined ? { SCHEMA_REGISTRY_URL: o.registry } : {}),
  });
}

/**
 * How long a split run's edge retries a send while no broker answers before its process fails
 * (librdkafka's default, message.timeout.ms, is 5 minutes). Its launcher then waits as long again
 * for the broker to come back and restarts the process, or ends the run: a broker killed for good
 * ends a split run in about two minutes, not seven. `ALPHA_KAFKA_GIVE_UP_SECONDS` (5 … 600) sets
 * it, for a test that cannot wait that long.
 */
export function kafkaGiveUpMs(env: NodeJS.ProcessEnv = process.env): number {
  const given = env['ALPHA_KAFKA_GIVE_UP_SECONDS'];
  if (given === undefined) return 60_000;
  const seconds = Number(given);
  if (given.trim() === '' || !Number.isInteger(seconds) || seconds < 5 || seconds > 600)
    throw new AlphaError(`ALPHA_KAFKA_GIVE_UP_SECONDS=${JSON.stringify(given)}: expected whole seconds from 5 to 600`);
  return seconds * 1000;
}
