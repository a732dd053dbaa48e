/**
 * A topic deleted while source.kafka reads it (librdkafka takes it for a topic not yet known and
 * polls on): the run fails, naming the topic, within a bounded time, instead of waiting for ever.
 * The topic is deleted with kafkajs, another client.
 */
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { EdgeWriter } from '../../lib/io/kafka/edge-writer.ts';
import { kafkaTestFile } from '../helpers/kafka.ts';
import { runInMemory } from '../helpers/memory-graph.ts';
import { quote, T0 } from '../helpers/records.ts';

const { s, topic } = kafkaTestFile();
const brokers = inject('KAFKA_BROKERS');
const registry = inject('SCHEMA_REGISTRY_URL');

describe('source.kafka when its topic is deleted', () => {
  it('fails the run with one line naming the topic, within 20 s of the deletion', async () => {
    const t = topic('deleted');
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 1 });
    await w.write([1, 2, 3].map((i) => ({ key: 'AAA', value: quote('AAA', T0 + i, 10, 10.1, i) })));
    await w.close();
    // No limit and no until_offsets: it reads on until the run is stopped.
    const run = runInMemory(
      `name: in
nodes:
  - { name: kafka, type: source.kafka, params: { topic: ${t}, schema: Quote, group: g-deleted, start: earliest, brokers: '${brokers}', registry: '${registry}' } }
  - { name: probe, type: test.probe, inputs: kafka }
`,
      { universe: [{ symbol: 'AAA', sector: 'X' }] },
    );
    const outcome = run.then(
      () => 'ended',
      (err: unknown) => err,
    );
    await new Promise((r) => setTimeout(r, 2000)); // it has joined its group and read the 3 quotes
    const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [t] });
    await admin.disconnect();
    const deleted = Date.now();
    const late = new Promise((r) => setTimeout(() => r('still running 20 s after the deletion'), 20_000).unref());
    const got = await Promise.race([outcome, late]);
    expect(got).toBeInstanceOf(Error);
    expect((got as Error).message).toBe(
      `source.kafka kafka: reading topic "${t}" on broker ${brokers} failed: topic "${t}" was deleted while it was being read (the broker no longer has it): recreate it and run again`,
    );
    expect((got as Error).message).not.toContain('\n');
    expect(Date.now() - deleted).toBeLessThan(20_000);
  }, 40_000);
});
