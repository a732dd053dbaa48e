/**
 * Topics written by a transactional producer (kafkajs, an independent client): the commit or abort
 * marker takes the partition's last offset and is never handed out as a record, so a reader that
 * ends "at the end of the topic" must end at what it can see, not wait for the marker's offset.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dropTopics, kafkaTestFile } from '../helpers/kafka.ts';
import { runInMemory } from '../helpers/memory-graph.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { s, topic } = kafkaTestFile();
const brokers = inject('KAFKA_BROKERS');
const registry = inject('SCHEMA_REGISTRY_URL');
const dir = mkdtempSync(join(tmpdir(), 'txn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quoteSchema = readFileSync(join(ROOT, 'schemas/Quote.avsc'), 'utf8');
const T0 = 1_704_205_800_000_000; // 2024-01-02 14:30 UTC, in µs
const written = [0, 1, 2].map((i) => ({
  ts_event: T0 + i,
  ts_known: T0 + i,
  symbol: 'SYM000',
  seq: i,
  id: i,
  version: 1,
  bid: 100 + i,
  ask: 100.5 + i,
  bid_size: 100,
  ask_size: 200,
}));

/**
 * Writes the 3 quotes in one transaction of kafkajs's producer, committed or aborted; the topic has 1
 * partition. `open`: a quote outside any transaction first (id 9), then the transaction left open
 * until the returned function aborts it.
 */
async function writeInTransaction(t: string, end: 'commit' | 'abort'): Promise<void>;
async function writeInTransaction(t: string, end: 'open'): Promise<() => Promise<void>>;
async function writeInTransaction(t: string, end: 'commit' | 'abort' | 'open'): Promise<void | (() => Promise<void>)> {
  const res = await fetch(`${registry}/subjects/${t}-value/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: quoteSchema }),
  });
  const { id } = (await res.json()) as { id: number };
  const type = avro.Type.forSchema(JSON.parse(quoteSchema) as avro.Schema);
  // The Confluent wire format: magic byte 0, the schema id (4 bytes, big-endian), the Avro body.
  const frame = (q: object) => {
    const head = Buffer.alloc(5);
    head.writeInt32BE(id, 1);
    return Buffer.concat([head, type.toBuffer(q)]);
  };
  const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: t, numPartitions: 1 }] });
  await admin.disconnect();
  const p = kafka.producer({ transactionalId: `txn-test-${t}`, maxInFlightRequests: 1, idempotent: true });
  await p.connect();
  if (end === 'open') {
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: t, messages: [{ key: 'SYM000', value: frame({ ...written[0]!, id: 9 }) }] });
    await plain.disconnect();
    const tx = await p.transaction();
    await tx.send({ topic: t, messages: written.map((q) => ({ key: q.symbol, value: frame(q) })) });
    return async () => {
      await tx.abort();
      await p.disconnect();
    };
  }
  try {
    const tx = await p.transaction();
    await tx.send({ topic: t, messages: written.map((q) => ({ key: q.symbol, value: frame(q) })) });
    await (end === 'commit' ? tx.commit() : tx.abort());
  } finally {
    await p.disconnect();
  }
  // The coordinator writes the marker after the commit returns: wait until it is there, the 4th
  // offset (the end offset is 4 for 3 records; kafkajs reads the last stable offset).
  const a = kafka.admin();
  await a.connect();
  let high: string[] = [];
  for (let i = 0; i < 100 && high[0] !== '4'; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    high = (await a.fetchTopicOffsets(t)).map((o) => o.high);
  }
  await a.disconnect();
  expect(high).toEqual(['4']);
}

const sourceYaml = (t: string, group: string) => `name: in
nodes:
  - { name: kafka, type: source.kafka, params: { topic: ${t}, schema: Quote, group: ${group}, start: earliest, until_offsets: end, brokers: '${brokers}', registry: '${registry}' } }
  - { name: probe, type: test.probe, inputs: kafka }
`;

/** Runs `f`, failing if it has not settled within `ms` (the hang this file is about). */
async function within<T>(ms: number, f: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([f, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('a topic written in a transaction', () => {
  it('source.kafka with until_offsets: end ends with the 3 committed records (the marker is never a record)', async () => {
    const t = topic('txn-commit');
    await writeInTransaction(t, 'commit');
    const run = await within(20_000, runInMemory(sourceYaml(t, 'g-txn-c'), {}));
    const got = (run.probes.get('probe')?.records ?? []) as Record<string, unknown>[];
    expect(got.map((r) => [r['symbol'], r['id'], r['bid'], r['ask']])).toEqual(written.map((q) => [q.symbol, q.id, q.bid, q.ask]));
  }, 40_000);

  it('source.kafka with until_offsets: end ends with nothing on an aborted transaction', async () => {
    const t = topic('txn-abort');
    await writeInTransaction(t, 'abort');
    const run = await within(20_000, runInMemory(sourceYaml(t, 'g-txn-a'), {}));
    expect(run.probes.get('probe')?.records ?? []).toEqual([]);
  }, 40_000);

  it('source.kafka with until_offsets: end ends at the last stable offset of a transaction still open, not waiting for it', async () => {
    // The end offsets come from a read_committed ListOffsets (librdkafka's default isolation level,
    // the admin client's too): the last stable offset, before the open transaction's records.
    const t = topic('txn-open');
    const abort = await writeInTransaction(t, 'open');
    try {
      const run = await within(20_000, runInMemory(sourceYaml(t, 'g-txn-o'), {}));
      const got = (run.probes.get('probe')?.records ?? []) as Record<string, unknown>[];
      expect(got.map((r) => r['id'])).toEqual([9]);
    } finally {
      await abort();
    }
  }, 40_000);

  it('alpha tap without --follow prints the 3 records and exits', async () => {
    const name = `txntap_${process.pid}`;
    const t = `${name}.quotes`;
    await writeInTransaction(t, 'commit');
    try {
      const file = join(dir, 'tap.yaml');
      writeFileSync(file, `name: ${name}\nseed: 1\nnodes:\n  - name: quotes\n    type: source.replay\n`);
      const r = spawnSync(
        process.execPath,
        [join(ROOT, 'bin/alpha.mjs'), 'tap', 'quotes', '--topology', file, '--from-beginning', '--format', 'json'],
        { cwd: ROOT, encoding: 'utf8', timeout: 20_000, env: { ...process.env, KAFKA_BROKERS: brokers, SCHEMA_REGISTRY_URL: registry } },
      );
      expect(r.signal, `tap did not exit: ${r.stderr}`).toBeNull();
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { value: { id: number; bid: number } });
      expect(lines.map((l) => [l.value.id, l.value.bid])).toEqual(written.map((q) => [q.id, q.bid]));
    } finally {
      await dropTopics(s, [t]);
    }
  }, 40_000);
});
