import { describe, expect, it } from 'vitest';
import { RdConsumer, joinedText, type ConsumedColumns } from '../../native/kafka/index.ts';
import { PullConsumer } from '../../lib/io/kafka/consumer.ts';
import { DLQ_ERROR, DLQ_OFFSET, DLQ_PARTITION, DLQ_TOPIC } from '../../lib/io/kafka/dead-letters.ts';
import { EdgeReader } from '../../lib/io/kafka/edge-reader.ts';
import { EdgeWriter } from '../../lib/io/kafka/edge-writer.ts';
import { SerialProducer } from '../../lib/io/kafka/producer.ts';
import { avroType } from '../../lib/io/kafka/schema-codec.ts';
import { frame } from '../../lib/io/kafka/wire.ts';
import type { Quote } from '../../schemas/types.generated.ts';
import { kafkaTestFile, readUntil } from '../helpers/kafka.ts';
import { quote as quoteAt } from '../helpers/records.ts';

const { s, topic } = kafkaTestFile();

const quote = (i: number): Quote => quoteAt('AAA', 1_700_000_000_000_000 + i, 10, 10.5, i, { bid_size: 1, ask_size: 2 });

/** Registers `schema` under `subject` over plain HTTP; returns its id. */
async function register(subject: string, schema: object): Promise<number> {
  const res = await fetch(`${s.registryUrl}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify(schema) }),
  });
  expect(res.ok, await res.clone().text()).toBe(true);
  return ((await res.json()) as { id: number }).id;
}

describe('dead letters (real broker and registry)', () => {
  it('sends undecodable and schema-incompatible records to <topic>.dlq unchanged, with the error, and carries on', async () => {
    const t = topic('dlq');
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 1 });
    // A Quote whose symbol is an int: the writer's schema cannot be resolved to the edge's.
    const incompatible = { type: 'record', name: 'Quote', namespace: 'alpha', fields: [{ name: 'symbol', type: 'int' }] };
    const incompatibleId = await register(`${t}-incompatible-value`, incompatible);
    // A Quote with a field less (no bid, no default): not resolvable either.
    const missing = { type: 'record', name: 'Quote', namespace: 'alpha', fields: [{ name: 'symbol', type: 'string' }] };
    const missingId = await register(`${t}-missing-value`, missing);
    const good = w.codec.encode(quote(0));
    const bad: { value: Buffer; why: RegExp }[] = [
      { value: Buffer.from('not avro at all'), why: /magic byte is 110/ },
      { value: Buffer.from([0, 0, 0]), why: /shorter than the 5-byte/ },
      { value: frame(2_000_000_000, Buffer.from([1, 2, 3])), why: /unknown schema id 2000000000/ },
      { value: good.subarray(0, good.length - 4), why: /truncated/ },
      { value: Buffer.concat([good, Buffer.from([9])]), why: /1 trailing byte/ },
      {
        value: frame(incompatibleId, avroType(incompatible).toBuffer({ symbol: 42 })),
        why: new RegExp(`writer schema id ${incompatibleId} .*cannot be resolved`),
      },
      {
        value: frame(missingId, avroType(missing).toBuffer({ symbol: 'AAA' })),
        why: new RegExp(`writer schema id ${missingId} .*cannot be resolved`),
      },
    ];
    const raw = new SerialProducer(s, 'test-garbage');
    // good, bad, good, bad, …, good: the reader must deliver every good one in order
    await w.write([{ key: 'AAA', value: quote(0) }]);
    for (let i = 0; i < bad.length; i++) {
      await raw.send([{ topic: t, partition: 0, key: Buffer.from(`bad${i}`), value: bad[i]!.value, headers: { origin: `bad${i}` } }]);
      await w.write([{ key: 'AAA', value: quote(i + 1) }]);
    }
    await raw.close();
    await w.close();

    const r = await EdgeReader.open(s, { topic: t, schema: 'Quote', groupId: `${t}.g`, fromBeginning: true });
    const got = await readUntil(
      () => r.next(),
      (all) => all.length >= bad.length + 1,
    );
    expect(got.map((it) => (it.kind === 'record' ? it.value.seq : -1))).toEqual(Array.from({ length: bad.length + 1 }, (_, i) => i));
    expect(r.deadLettered).toBe(bad.length);
    await r.commit(got);
    await r.close();

    // the DLQ, read as raw bytes
    const dlq = await PullConsumer.open(s, { topic: `${t}.dlq`, groupId: `${t}.dlq.g`, fromBeginning: true, partitions: 1 });
    const letters = await readUntil(
      () => dlq.next(),
      (all) => all.length >= bad.length,
    );
    await dlq.close();
    expect(letters).toHaveLength(bad.length);
    letters.forEach((l, i) => {
      expect(l.value?.equals(bad[i]!.value)).toBe(true);
      expect(l.key?.toString()).toBe(`bad${i}`);
      expect(l.headers['origin']?.toString()).toBe(`bad${i}`);
      expect(l.headers[DLQ_TOPIC]?.toString()).toBe(t);
      expect(l.headers[DLQ_PARTITION]?.toString()).toBe('0');
      expect(Number(l.headers[DLQ_OFFSET]?.toString())).toBe(2 * i + 1);
      expect(l.headers[DLQ_ERROR]?.toString()).toMatch(bad[i]!.why);
    });
  });

  it('commits dead letters behind the last good record, so a restart does not dead-letter them twice', async () => {
    const t = topic('dlq-tail');
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 1 });
    await w.write([{ key: 'AAA', value: quote(0) }]);
    const raw = new SerialProducer(s, 'test-garbage');
    await raw.send([{ topic: t, partition: 0, key: Buffer.from('x'), value: Buffer.from('garbage'), headers: {} }]);
    await raw.close();
    const r1 = await EdgeReader.open(s, { topic: t, schema: 'Quote', groupId: `${t}.g`, fromBeginning: true });
    const first = await r1.next();
    await w.write([{ key: 'AAA', value: quote(1) }]);
    let batch = first;
    // the garbage may arrive with the first record or on its own, before quote 1
    while (!batch.some((it) => it.kind === 'record' && it.value.seq === 1)) {
      await r1.commit(batch);
      batch = await r1.next();
    }
    expect(r1.deadLettered).toBe(1);
    await r1.close();
    // restart: only what follows the committed quote 0 (+ dead letter) is read again
    const r2 = await EdgeReader.open(s, { topic: t, schema: 'Quote', groupId: `${t}.g`, fromBeginning: true });
    const again = await r2.next();
    await w.close();
    await r2.close();
    expect(again.map((it) => (it.kind === 'record' ? it.value.seq : -1))).toEqual([1]);
    expect(r2.deadLettered).toBe(0);
  });

  it('the column path (nextBatch) reads what the item path reads: the same rows in order, a resolved writer schema among them, the same dead letters and controls', async () => {
    const t = topic('dlq-columns');
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 2 });
    // A writer schema with one field more: avsc resolves it to the edge's Quote (the field is skipped).
    const wider = {
      type: 'record',
      name: 'Quote',
      namespace: 'alpha',
      fields: [...(avroType('Quote') as unknown as { schema(): { fields: object[] } }).schema().fields, { name: 'venue', type: 'string' }],
    };
    const widerId = await register(`${t}-wider-value`, wider);
    const good = w.codec.encode(quote(0));
    const raw = new SerialProducer(s, 'test-columns');
    let seq = 0;
    for (let round = 0; round < 3; round++) {
      await w.write(Array.from({ length: 50 }, () => ({ key: ++seq % 2 ? 'AAA' : 'BBB', value: quote(seq) })));
      await raw.send([
        {
          topic: t,
          partition: round % 2,
          key: Buffer.from('w'),
          value: frame(widerId, avroType(wider).toBuffer({ ...quote(1000 + round), venue: 'X' })),
          headers: {},
        },
        { topic: t, partition: 0, key: Buffer.from('cut'), value: good.subarray(0, good.length - 3), headers: {} },
        { topic: t, partition: 1, key: Buffer.from('more'), value: Buffer.concat([good, Buffer.from([1])]), headers: {} },
        { topic: t, partition: 1, key: null, value: good, headers: {} },
        // id -1 (ff ff ff ff): the reader's own "no id", never taken for the edge's schema
        { topic: t, partition: 1, key: Buffer.from('minus'), value: frame(-1, good.subarray(5)), headers: {} },
      ]);
      await w.writeControl({ watermark: 1000 + round });
    }
    await raw.close();
    await w.close();
    const expected = 3 * 50 + 3; // the quotes and the wider ones

    const items = await EdgeReader.open(s, { topic: t, schema: 'Quote', groupId: `${t}.items`, fromBeginning: true });
    const got = await readUntil(
      () => items.next(),
      (all) => all.filter((it) => it.kind === 'record').length >= expected && all.filter((it) => it.kind === 'control').length >= 6,
    );
    await items.commit(got);
    await items.close();
    const columns = await EdgeReader.open(s, { topic: t, schema: 'Quote', groupId: `${t}.columns`, fromBeginning: true });
    const batches = await readUntil(
      async () => [await columns.nextBatch()],
      (all) => all.reduce((n, b) => n + b.records.length, 0) >= expected && all.reduce((n, b) => n + b.controls.length, 0) >= 6,
    );
    for (const b of batches) await columns.commitBatch(b);
    await columns.close();

    // Per partition, in offset order: the same records, and the same control offsets.
    const byPartition = (rows: { partition: number; offset: number; value: unknown }[]) =>
      [0, 1].map((p) => rows.filter((r) => r.partition === p).map((r) => [r.offset, r.value]));
    const fromItems = got.flatMap((it) =>
      it.kind === 'record' ? [{ partition: it.partition, offset: Number(it.offset), value: it.value }] : [],
    );
    const fromColumns = batches.flatMap((b) =>
      b.records.toRecords().map((value, r) => ({ partition: b.partitions[r]!, offset: b.offsets[r]!, value })),
    );
    expect(fromColumns).toHaveLength(expected);
    expect(byPartition(fromColumns)).toEqual(byPartition(fromItems));
    expect(
      fromColumns
        .filter((r) => (r.value as Quote).seq >= 1000)
        .map((r) => (r.value as Quote).seq)
        .sort(),
    ).toEqual([1000, 1001, 1002]);
    const controlsOf = (cs: { partition: number; offset: string }[]) => cs.map((c) => `${c.partition}@${c.offset}`).sort();
    expect(controlsOf(batches.flatMap((b) => b.controls))).toEqual(controlsOf(got.filter((it) => it.kind === 'control')));
    expect(columns.deadLettered).toBe(12);
    expect(items.deadLettered).toBe(12);
    // <topic>.dlq: the item reader's letters, then the column reader's, each in fetch order (per partition, by offset)
    const dlq = await PullConsumer.open(s, { topic: `${t}.dlq`, groupId: `${t}.dlq.g`, fromBeginning: true, partitions: 1 });
    const letters = await readUntil(
      () => dlq.next(),
      (all) => all.length >= 24,
    );
    await dlq.close();
    const where = (l: (typeof letters)[number]) => `${l.headers[DLQ_PARTITION]?.toString()}@${l.headers[DLQ_OFFSET]?.toString()}`;
    const perPartition = (ls: typeof letters) =>
      [0, 1].map((p) => ls.filter((l) => l.headers[DLQ_PARTITION]?.toString() === String(p)).map(where));
    expect(perPartition(letters.slice(12))).toEqual(perPartition(letters.slice(0, 12)));
    for (const part of perPartition(letters.slice(12)))
      expect(part).toEqual([...part].sort((a, b) => Number(a.split('@')[1]) - Number(b.split('@')[1])));
    expect(letters.filter((l) => /unknown schema id -1/.test(l.headers[DLQ_ERROR]?.toString() ?? ''))).toHaveLength(6);
  });
  it('a batch of made-up schema ids: each record a dead letter that names its id, the good record after them delivered', async () => {
    const t = topic('dlq-many-ids');
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 1 });
    const body = w.codec.encode(quote(0)).subarray(5);
    const made = 40;
    const raw = new SerialProducer(s, 'test-many-ids');
    // One produce call: one record batch on the broker, read back as one batch.
    await raw.send([
      ...Array.from({ length: made }, (_, i) => ({
        topic: t,
        partition: 0,
        key: Buffer.from('AAA'),
        value: frame(1_900_000_000 + i, body),
        headers: {},
      })),
      { topic: t, partition: 0, key: Buffer.from('AAA'), value: w.codec.encode(quote(7)), headers: {} },
    ]);
    await raw.close();
    await w.close();
    for (const path of ['items', 'columns'] as const) {
      const errors: string[] = [];
      const r = await EdgeReader.open(s, {
        topic: t,
        schema: 'Quote',
        groupId: `${t}.${path}`,
        fromBeginning: true,
        onDeadLetter: (l) => errors.push(l.error),
      });
      const seqs =
        path === 'items'
          ? (
              await readUntil(
                () => r.next(),
                (all) => all.length >= 1,
              )
            ).map((it) => (it.kind === 'record' ? it.value.seq : -1))
          : (
              await readUntil(
                async () => [await r.nextBatch()],
                (all) => all.some((b) => b.records.length > 0),
              )
            ).flatMap((b) => b.records.toRecords().map((q) => q.seq));
      await r.close();
      expect(seqs, path).toEqual([7]);
      expect(errors, path).toHaveLength(made);
      expect([...errors].sort(), path).toEqual(
        Array.from({ length: made }, (_, k) => `unknown schema id ${1_900_000_000 + k} (not in the registry)`).sort(),
      );
    }
  });
});

/** Record i of a consumed batch straight from the binding's columns: key, value, and every header in order. */
function recordAt(b: ConsumedColumns, i: number): { key: Buffer | null; value: Buffer | null; headers: [string, string][] } {
  const starts = (lengths: Int32Array, upTo: number) => {
    let at = 0;
    for (let k = 0; k < upTo; k++) at += Math.max(0, lengths[k]!);
    return at;
  };
  const part = (data: Buffer, lengths: Int32Array, k: number) =>
    lengths[k]! < 0 ? null : data.subarray(starts(lengths, k), starts(lengths, k) + lengths[k]!);
  let first = 0;
  for (let k = 0; k < i; k++) first += b.headerCounts[k]!;
  const headers: [string, string][] = [];
  for (let h = first; h < first + b.headerCounts[i]!; h++)
    headers.push([b.headerNames[b.headerNameIndex[h]!]!, part(b.headerValues, b.headerValueLengths, h)?.toString() ?? '']);
  return { key: part(b.keys, b.keyLengths, i), value: part(b.values, b.valueLengths, i), headers };
}

/** Every record of `topic` from the start, as {@link recordAt} reads it, until there are `n`. */
async function readRaw(topic: string, n: number): Promise<ReturnType<typeof recordAt>[]> {
  const c = new RdConsumer({ brokers: s.brokers, clientId: 'test-raw', groupId: `${topic}.raw`, topic, fromBeginning: true });
  try {
    return await readUntil(
      async () => {
        const b = await c.nextColumns(100, 200);
        return Array.from({ length: b.count }, (_, i) => recordAt(b, i));
      },
      (all) => all.length >= n,
      200,
    );
  } finally {
    await c.close();
  }
}

/** Reads `t` in a new group with the column path until `quotes` good records came; the dead letters' errors. */
async function readPast(t: string, quotes: number): Promise<{ seqs: number[]; errors: string[]; dead: number }> {
  const errors: string[] = [];
  const r = await EdgeReader.open(s, {
    topic: t,
    schema: 'Quote',
    groupId: `${t}.g`,
    fromBeginning: true,
    onDeadLetter: (l) => errors.push(l.error),
  });
  try {
    const batches = await readUntil(
      async () => [await r.nextBatch()],
      (all) => all.reduce((n, b) => n + b.records.length, 0) >= quotes,
      200,
    );
    for (const b of batches) await r.commitBatch(b);
    return { seqs: batches.flatMap((b) => b.records.toRecords().map((q) => q.seq)), errors, dead: r.deadLettered };
  } finally {
    await r.close();
  }
}

describe('dead letters keep the record as it was (real broker)', () => {
  it('the copy keeps the headers as they were: order, a name twice, a header named __proto__', async () => {
    const t = topic('dlq-headers');
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 1 });
    await w.write([{ key: 'AAA', value: quote(1) }]);
    const raw = new SerialProducer(s, 'test-headers');
    // Columns, as the binding takes them: names may repeat, in any order.
    const names = ['x', 'y', 'x', '__proto__', 'constructor'];
    await raw.sendColumns({
      topic: t,
      partitions: Int32Array.of(0),
      keys: { data: Buffer.from('SYM'), lengths: Int32Array.of(3) },
      values: { data: Buffer.from('garbage'), lengths: Int32Array.of(7) },
      headers: { counts: Uint32Array.of(names.length), names, values: joinedText(['1', 'a', '2', 'p', 'c']) },
    });
    // Records as objects take their headers as such a list too.
    await raw.send([
      {
        topic: t,
        partition: 0,
        key: Buffer.from('SYM'),
        value: Buffer.from('more garbage'),
        headers: [
          ['k', '1'],
          ['__proto__', Buffer.from('q')],
          ['k', '2'],
        ],
      },
    ]);
    await w.write([{ key: 'AAA', value: quote(2) }]);
    await raw.close();
    await w.close();
    expect((await readPast(t, 2)).dead).toBe(2);
    const [letter, second] = await readRaw(`${t}.dlq`, 2);
    expect(second!.headers.slice(0, 3)).toEqual([
      ['k', '1'],
      ['__proto__', 'q'],
      ['k', '2'],
    ]);
    expect(letter!.headers.slice(0, names.length)).toEqual([
      ['x', '1'],
      ['y', 'a'],
      ['x', '2'],
      ['__proto__', 'p'],
      ['constructor', 'c'],
    ]);
    // The project's own consumer hands them over the same way: the list in order, the map without a prototype.
    const dlq = await PullConsumer.open(s, { topic: `${t}.dlq`, groupId: `${t}.dlq.g`, fromBeginning: true, partitions: 1 });
    const [read] = await readUntil(
      () => dlq.next(),
      (all) => all.length >= 1,
    );
    await dlq.close();
    expect(read!.headerList.slice(0, 3).map(([n, v]) => [n, v.toString()])).toEqual([
      ['x', '1'],
      ['y', 'a'],
      ['x', '2'],
    ]);
    expect(Object.getPrototypeOf(read!.headers)).toBeNull();
    expect(String(Object.getOwnPropertyDescriptor(read!.headers, '__proto__')?.value)).toBe('p');
    expect(read!.headers['x']?.toString()).toBe('2');
  }, 60_000);
});
