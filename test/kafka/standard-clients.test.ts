/** What standard Kafka clients see: the same partitions for a key, and values any Avro reader decodes. */
import { spawnSync } from 'node:child_process';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { EdgeWriter } from '../../lib/io/kafka/edge-writer.ts';
import { TopicAdmin } from '../../lib/io/kafka/admin.ts';
import { murmur2, partitionOf } from '../../lib/io/kafka/murmur2.ts';
import type { Quote } from '../../schemas/types.generated.ts';
import { kafkaTestFile } from '../helpers/kafka.ts';

const { s, topic } = kafkaTestFile();

function kcat(args: string[], input?: Buffer): Buffer {
  const r = spawnSync('kcat', ['-b', s.brokers.join(','), ...args], { input, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`kcat ${args.join(' ')} exited ${r.status}: ${r.stderr?.toString()}`);
  return r.stdout;
}

describe('standard clients', () => {
  it('murmur2 matches the Java client (Kafka UtilsTest vectors)', () => {
    const cases: [string | number[], number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      [[0x61, 0x62, 0x63], 479470107],
    ];
    for (const [input, expected] of cases)
      expect(murmur2(typeof input === 'string' ? Buffer.from(input) : Buffer.from(input))).toBe(expected);
  });

  it('librdkafka (kcat, murmur2_random partitioner) puts every key on the partition we compute', async () => {
    const t = topic('kcat-part');
    const admin = await TopicAdmin.connect(s);
    await admin.ensureTopic(t, 5);
    await admin.close();
    const keys = Array.from({ length: 60 }, (_, i) => `SYM${i}.${'x'.repeat(i % 4)}`);
    kcat(['-P', '-t', t, '-K', ':', '-X', 'topic.partitioner=murmur2_random'], Buffer.from(`${keys.map((k) => `${k}:v`).join('\n')}\n`));
    const out = kcat(['-C', '-t', t, '-e', '-q', '-f', '%k %p\\n']).toString().trim().split('\n');
    expect(out).toHaveLength(keys.length);
    for (const line of out) {
      const [k, p] = line.split(' ');
      expect(Number(p), k).toBe(partitionOf(k!, 5));
    }
  });

  it('values read raw by kcat decode with avsc and the schema fetched by the id in their header', async () => {
    const t = topic('kcat-avro');
    const q: Quote = {
      ts_event: 1_700_000_000_123_456,
      ts_known: 1_700_000_000_123_999,
      symbol: 'ÄBC',
      seq: 3,
      id: 9,
      version: 2,
      bid: 99.5,
      ask: 99.75,
      bid_size: 300,
      ask_size: 400,
    };
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 1 });
    await w.write([{ key: q.symbol, value: q }]);
    await w.close();
    // %R: value length as big-endian int32, then the value bytes
    const raw = kcat(['-C', '-t', t, '-e', '-q', '-f', '%R%s']);
    const len = raw.readInt32BE(0);
    const value = raw.subarray(4, 4 + len);
    expect(value[0]).toBe(0);
    const id = value.readInt32BE(1);
    expect(id).toBe(w.schemaId);
    const res = await fetch(`${s.registryUrl}/schemas/ids/${id}`);
    const schema = JSON.parse(((await res.json()) as { schema: string }).schema) as avro.Schema;
    expect(avro.Type.forSchema(schema).fromBuffer(value.subarray(5))).toEqual(q);
    // and the subject is <topic>-value with BACKWARD compatibility
    const cfg = await fetch(`${s.registryUrl}/config/${encodeURIComponent(`${t}-value`)}`);
    expect(((await cfg.json()) as { compatibilityLevel: string }).compatibilityLevel).toBe('BACKWARD');
  });
});
