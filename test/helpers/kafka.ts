/** Shared pieces of the Kafka tests: settings from the services setup, unique topic names, cleanup. */
import { afterAll, inject } from 'vitest';
import type { ConsumedRecord, RdConsumer } from '../../native/kafka/index.ts';
import { TopicAdmin } from '../../lib/io/kafka/admin.ts';
import { kafkaSettings } from '../../lib/io/kafka/settings.ts';
import type { KafkaSettings } from '../../lib/io/kafka/settings.ts';

export function testSettings(): KafkaSettings {
  return kafkaSettings({
    KAFKA_BROKERS: inject('KAFKA_BROKERS'),
    SCHEMA_REGISTRY_URL: inject('SCHEMA_REGISTRY_URL'),
    KAFKA_CLIENT_ID: 'alpha-test',
  });
}

let n = 0;
/** A topic name no other test run uses (process id + counter + a per-process stamp). */
export function uniqueTopic(prefix: string): string {
  return `test.${prefix}.${process.pid}.${STAMP}.${n++}`;
}
const STAMP = process.hrtime.bigint().toString(36);

/** Runs `f` with a TopicAdmin connected for it, closed afterwards. */
export async function withAdmin<T>(s: KafkaSettings, f: (admin: TopicAdmin) => Promise<T>): Promise<T> {
  const admin = await TopicAdmin.connect(s);
  try {
    return await f(admin);
  } finally {
    await admin.close();
  }
}

/** Deletes the topics (and their .dlq) that a test created. */
export async function dropTopics(s: KafkaSettings, topics: readonly string[]): Promise<void> {
  await withAdmin(s, async (admin) => {
    const all = topics.flatMap((t) => [t, `${t}.dlq`]);
    const existing = [];
    for (const t of all) if ((await admin.partitions(t)) !== undefined) existing.push(t);
    if (existing.length) await admin.deleteTopics(existing);
  });
}

/**
 * The setup of a Kafka test file: its settings, and `topic(prefix)`, a unique topic name that is
 * dropped (with its .dlq) after the file's tests. Call it at the top level of the file.
 */
export function kafkaTestFile(): { s: KafkaSettings; topic: (prefix: string) => string } {
  const s = testSettings();
  const topics: string[] = [];
  afterAll(async () => {
    await dropTopics(s, topics);
  });
  const topic = (prefix: string): string => {
    const t = uniqueTopic(prefix);
    topics.push(t);
    return t;
  };
  return { s, topic };
}

/** Reads until `done(items)` is true; guards against a hang with a count of empty waits, not a clock. */
export async function readUntil<TItem>(
  next: () => Promise<TItem[]>,
  done: (all: TItem[]) => boolean,
  maxBatches = 10_000,
): Promise<TItem[]> {
  const all: TItem[] = [];
  for (let i = 0; i < maxBatches && !done(all); i++) all.push(...(await next()));
  return all;
}

/** Polls a native consumer (up to 100 records, 200 ms a poll, at most 200 polls) until it has read `n` records. */
export function readAtLeast(c: RdConsumer, n: number): Promise<ConsumedRecord[]> {
  return readUntil(
    () => c.next(100, 200),
    (all) => all.length >= n,
    200,
  );
}
