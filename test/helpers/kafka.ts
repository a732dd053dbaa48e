/** Shared pieces of the Kafka tests: settings from the services setup, unique topic names, cleanup. */
import { inject } from 'vitest';
import { TopicAdmin } from '../../pipelines/kafka/admin.ts';
import { kafkaSettings } from '../../pipelines/kafka/settings.ts';
import type { KafkaSettings } from '../../pipelines/kafka/settings.ts';

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

/** Deletes the topics (and their .dlq) that a test created. */
export async function dropTopics(s: KafkaSettings, topics: readonly string[]): Promise<void> {
  const admin = await TopicAdmin.connect(s);
  try {
    const all = topics.flatMap((t) => [t, `${t}.dlq`]);
    const existing = [];
    for (const t of all) if ((await admin.partitions(t)) !== undefined) existing.push(t);
    if (existing.length) await admin.deleteTopics(existing);
  } finally {
    await admin.close();
  }
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
