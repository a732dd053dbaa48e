import { describe, expect, it } from 'vitest';
import { EdgeReader } from '../../lib/io/kafka/edge-reader.ts';
import type { ConsumedItem } from '../../lib/io/kafka/edge-reader.ts';
import { EdgeWriter } from '../../lib/io/kafka/edge-writer.ts';
import { partitionOf } from '../../lib/io/kafka/murmur2.ts';
import { SerialProducer } from '../../lib/io/kafka/producer.ts';
import { SchemaCodec } from '../../lib/io/kafka/schema-codec.ts';
import { avroSchema } from '../../schemas/avro.ts';
import type { AvroType } from '../../schemas/avro.ts';
import { SCHEMA_NAMES } from '../../schemas/types.generated.ts';
import type { Quote, SchemaName } from '../../schemas/types.generated.ts';
import { kafkaTestFile, readUntil } from '../helpers/kafka.ts';
import { quote as quoteAt } from '../helpers/records.ts';

const { s, topic } = kafkaTestFile();

/** A deterministic value of an Avro type; `i` varies the numbers and strings. */
function sample(t: AvroType, i: number): unknown {
  if (typeof t === 'string') {
    switch (t) {
      case 'null':
        return null;
      case 'boolean':
        return i % 2 === 0;
      case 'int':
        return 7 * i - 3;
      case 'long':
        return 1_700_000_000_000_000 + i;
      case 'float':
        return 0.5 * i;
      case 'double':
        return i / 3;
      case 'string':
        return `s${i}`;
      case 'bytes':
        return Buffer.from([i & 0xff]);
      default:
        return sample(namedTypes.get(t)!, i);
    }
  }
  if (Array.isArray(t)) return sample(t[i % t.length]!, i);
  switch (t.type) {
    case 'record': {
      namedTypes.set(t.name, t);
      if (t.namespace) namedTypes.set(`${t.namespace}.${t.name}`, t);
      return Object.fromEntries(t.fields.map((f, j) => [f.name, sample(f.type, i + j)]));
    }
    case 'enum':
      namedTypes.set(t.name, t);
      return t.symbols[i % t.symbols.length];
    case 'array':
      return [sample(t.items, i), sample(t.items, i + 1)];
    case 'long':
      return 1_700_000_000_000_000 + i;
    default:
      throw new Error(`sample: unhandled ${JSON.stringify(t)}`);
  }
}
const namedTypes = new Map<string, AvroType>();

const quote = (i: number, symbol = `SYM${i % 7}`): Quote =>
  quoteAt(symbol, 1_700_000_000_000_000 + i, 100 + i / 100, 100.02 + i / 100, i, {
    ts_known: 1_700_000_000_000_100 + i,
    bid_size: 100 * (1 + (i % 3)),
    ask_size: 200,
  });

describe('Kafka edge (real broker and registry)', () => {
  it.each(SCHEMA_NAMES.map((n) => [n]))('round-trips %s', async (name: SchemaName) => {
    const t = topic(`rt-${name}`);
    const values = [0, 1, 2, 3].map((i) => sample(avroSchema(name) as AvroType, i));
    const w = await EdgeWriter.open(s, { topic: t, schema: name, partitions: 2 });
    await w.write(values.map((value, i) => ({ key: `K${i}`, value: value as never, headers: { n: String(i) } })));
    // write() encodes the batch into one buffer: the same bytes as the values one by one
    const all = w.codec.encodeAll(values as never[]);
    expect(all.data.equals(Buffer.concat(values.map((v) => w.codec.encode(v as never))))).toBe(true);
    expect([...all.lengths]).toEqual(values.map((v) => w.codec.encode(v as never).length));
    await w.close();
    const r = await EdgeReader.open(s, { topic: t, schema: name, groupId: `${t}.g`, fromBeginning: true });
    const got = await readUntil(
      () => r.next(),
      (all) => all.length >= values.length,
    );
    await r.close();
    const byN = new Map(got.map((it) => [it.headers['n'], it]));
    values.forEach((v, i) => {
      const it = byN.get(String(i));
      expect(it?.kind).toBe('record');
      if (it?.kind === 'record') {
        expect(it.value).toEqual(v);
        expect(it.key).toBe(`K${i}`);
      }
    });
    expect(r.deadLettered).toBe(0);
  });

  it('puts each key on its murmur2 partition and keeps per-partition order', async () => {
    const t = topic('part');
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 4 });
    const qs = Array.from({ length: 200 }, (_, i) => quote(i, `S${i % 23}`));
    await w.write(qs.map((q) => ({ key: q.symbol, value: q })));
    await w.close();
    const r = await EdgeReader.open(s, { topic: t, schema: 'Quote', groupId: `${t}.g`, fromBeginning: true });
    const got = await readUntil(
      () => r.next(),
      (all) => all.length >= qs.length,
    );
    await r.close();
    const perPartition = new Map<number, number[]>();
    for (const it of got) {
      if (it.kind !== 'record') throw new Error('unexpected control');
      expect(it.partition).toBe(partitionOf(it.key, 4));
      perPartition.set(it.partition, [...(perPartition.get(it.partition) ?? []), it.value.seq]);
    }
    for (const seqs of perPartition.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(perPartition.size).toBe(4);
  });

  it('sends control records to every partition', async () => {
    const t = topic('ctl');
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 3 });
    await w.write([{ key: 'SYM1', value: quote(1) }]);
    await w.writeControl({ watermark: 1_700_000_000_000_500 }, { 'alpha.source': 'a' });
    await w.writeControl({ end: true });
    await w.close();
    const r = await EdgeReader.open(s, { topic: t, schema: 'Quote', groupId: `${t}.g`, fromBeginning: true });
    const got = await readUntil(
      () => r.next(),
      (all) => all.length >= 7,
    );
    await r.close();
    const controls = got.filter((it): it is Extract<ConsumedItem<Quote>, { kind: 'control' }> => it.kind === 'control');
    expect(
      controls
        .filter((c) => c.watermark === 1_700_000_000_000_500)
        .map((c) => c.partition)
        .sort(),
    ).toEqual([0, 1, 2]);
    expect(
      controls
        .filter((c) => c.end === true)
        .map((c) => c.partition)
        .sort(),
    ).toEqual([0, 1, 2]);
    expect(controls.find((c) => c.watermark !== undefined)?.headers['alpha.source']).toBe('a');
    // per partition, the end marker comes after the watermark
    for (const p of [0, 1, 2]) {
      const mine = controls.filter((c) => c.partition === p);
      expect(mine.map((c) => (c.end ? 'end' : 'wm'))).toEqual(['wm', 'end']);
    }
  });

  it("hands over a record's and a control's headers as Kafka holds them: in order with repeats, and by name without a prototype", async () => {
    const t = topic('headers');
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 1 });
    const raw = new SerialProducer(s, 'test-headers');
    const recordHeaders: [string, string][] = [
      ['n', '1'],
      ['__proto__', 'p'],
      ['n', '2'],
      ['constructor', 'c'],
    ];
    const controlHeaders: [string, string][] = [
      ['alpha.watermark', '5'],
      ['__proto__', 'q'],
      ['alpha.watermark', '7'],
    ];
    await raw.send([
      { topic: t, partition: 0, key: Buffer.from('AAA'), value: w.codec.encode(quote(0)), headers: recordHeaders },
      { topic: t, partition: 0, key: null, value: null, headers: controlHeaders },
    ]);
    await raw.close();
    await w.close();
    const byName = (h: Record<string, string>) => ({
      prototype: Object.getPrototypeOf(h),
      proto: Object.getOwnPropertyDescriptor(h, '__proto__')?.value,
      own: Object.keys(h),
    });
    const r = await EdgeReader.open(s, { topic: t, schema: 'Quote', groupId: `${t}.g`, fromBeginning: true });
    const [record, control] = await readUntil(
      () => r.next(),
      (all) => all.length >= 2,
    );
    await r.close();
    expect(record?.kind).toBe('record');
    expect(record!.headerList).toEqual(recordHeaders);
    // by name, the last value of each (as the dead-letter path's map)
    expect(byName(record!.headers)).toEqual({ prototype: null, proto: 'p', own: ['n', '__proto__', 'constructor'] });
    expect(record!.headers['n']).toBe('2');
    expect(control).toMatchObject({ kind: 'control', watermark: 7 });
    expect(control!.headerList).toEqual(controlHeaders);
    expect(byName(control!.headers)).toEqual({ prototype: null, proto: 'q', own: ['alpha.watermark', '__proto__'] });
    // The column path keeps no record headers, but hands its controls over the same way.
    const columns = await EdgeReader.open(s, { topic: t, schema: 'Quote', groupId: `${t}.columns`, fromBeginning: true });
    const controls = await readUntil(
      async () => (await columns.nextBatch()).controls,
      (all) => all.length >= 1,
    );
    await columns.close();
    expect(controls[0]!.headerList).toEqual(controlHeaders);
    expect(byName(controls[0]!.headers)).toEqual({ prototype: null, proto: 'q', own: ['alpha.watermark', '__proto__'] });
  });

  it('a writer whose registry is down fails naming it, and one whose broker is down too names the broker', async () => {
    // The subject is registered while the topic is made: the registry's error must still surface, and
    // a broker failure (reported first before) must not be hidden behind it.
    const noRegistry = { ...s, registryUrl: 'http://127.0.0.1:1' };
    await expect(EdgeWriter.open(noRegistry, { topic: topic('no-registry'), schema: 'Quote', partitions: 1 })).rejects.toThrow(
      /schema registry http:\/\/127\.0\.0\.1:1: registering Quote as subject ".*no-registry.*-value" failed/,
    );
    const neither = { ...noRegistry, brokers: ['127.0.0.1:1'] };
    await expect(EdgeWriter.open(neither, { topic: topic('neither'), schema: 'Quote', partitions: 1 })).rejects.toThrow(
      /Kafka brokers 127\.0\.0\.1:1: cannot connect/,
    );
  }, 60_000);

  it('writers of one new subject registering at once (the replicas of a live group) all open, with one schema id', async () => {
    // The registry's compatibility rule is made by the first register of a subject; those racing it
    // were told the rule already exists (4 of 60 in a run before the retry).
    for (let round = 0; round < 8; round++) {
      const t = topic(`register-race-${round}`);
      const codecs = await Promise.all([1, 2, 3, 4].map(() => SchemaCodec.open(s.registryUrl, t, 'Bar')));
      expect(new Set(codecs.map((c) => c.schemaId)).size).toBe(1);
    }
  });
});
