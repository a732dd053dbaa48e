import { describe, expect, it } from 'vitest';
import { RdConsumer, joinedText, type ConsumedColumns } from '../../native/kafka/index.ts';
import { PullConsumer } from '../../lib/io/kafka/consumer.ts';
import {
  boundedText,
  letterBytes,
  DLQ_ERROR,
  DLQ_OFFSET,
  DLQ_OMITTED,
  DLQ_PARTITION,
  DLQ_TOPIC,
  DLQ_VALUE_BYTES,
} from '../../lib/io/kafka/dead-letters.ts';
import { EdgeReader } from '../../lib/io/kafka/edge-reader.ts';
import { EdgeWriter } from '../../lib/io/kafka/edge-writer.ts';
import { SerialProducer } from '../../lib/io/kafka/producer.ts';
import { avroType } from '../../lib/io/kafka/schema-codec.ts';
import { frame } from '../../lib/io/kafka/wire.ts';
import type { Quote } from '../../schemas/types.generated.ts';
import { kafkaTestFile, readUntil, withAdmin } from '../helpers/kafka.ts';
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

describe('dead letters that a default .dlq or producer could not take (real broker)', () => {
  it("a garbage value of 1,040,000 bytes (under the broker's 1,048,588) is copied whole to <topic>.dlq and the reader carries on", async () => {
    const t = topic('dlq-big');
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 1 });
    // librdkafka's own default (1,000,000) is under the broker's: this producer is told otherwise.
    const raw = new SerialProducer(s, 'test-big', { 'message.max.bytes': '1048588' });
    const big = Buffer.alloc(1_040_000, 'A');
    await w.write([{ key: 'AAA', value: quote(1) }]);
    await raw.send([{ topic: t, partition: 0, key: Buffer.from('SYM000'), value: big, headers: { origin: 'peer' } }]);
    await w.write([{ key: 'AAA', value: quote(2) }]);
    await raw.close();
    await w.close();
    const got = await readPast(t, 2);
    expect(got.seqs).toEqual([1, 2]);
    expect(got.dead).toBe(1);
    expect(got.errors).toEqual([expect.stringMatching(/^magic byte is 65/)]);
    const [letter] = await readRaw(`${t}.dlq`, 1);
    expect(letter!.value?.equals(big)).toBe(true);
    expect(letter!.key?.toString()).toBe('SYM000');
    expect(letter!.headers.map(([name]) => name)).toEqual(['origin', DLQ_ERROR, DLQ_TOPIC, DLQ_PARTITION, DLQ_OFFSET]);
  }, 60_000);

  it('an existing <topic>.dlq that is compacted is refused with one line saying what to do', async () => {
    const t = topic('dlq-compact');
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 1 });
    await w.write([{ key: 'AAA', value: quote(1) }]);
    await w.close();
    await withAdmin(s, (admin) => admin.ensureTopic(`${t}.dlq`, 1, { 'cleanup.policy': 'compact' }));
    const raw = new SerialProducer(s, 'test-keyless');
    await raw.send([{ topic: t, partition: 0, key: null, value: Buffer.from('garbage'), headers: {} }]);
    await raw.close();
    const failure = await readPast(t, 2).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(Error);
    const message = (failure as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain(
      `topic "${t}.dlq" has cleanup.policy=compact: a compacted topic refuses dead letters without a key and keeps only the last per key; ` +
        `set cleanup.policy=delete on it (kafka-configs.sh --bootstrap-server ${s.brokers.join(',')} --alter --entity-type topics --entity-name ${t}.dlq --add-config cleanup.policy=delete), or delete it and the run creates it`,
    );
    // What it says works: once the topic is gone, the next reader of the group creates it and carries on.
    await withAdmin(s, (admin) => admin.deleteTopics([`${t}.dlq`]));
    const w2 = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 1 });
    await w2.write([{ key: 'AAA', value: quote(2) }]);
    await w2.close();
    const got = await readPast(t, 2);
    expect(got.seqs).toEqual([1, 2]);
    expect(got.dead).toBe(1);
    const created = await withAdmin(s, (admin) => admin.configs(`${t}.dlq`));
    expect(created['cleanup.policy']).toBe('delete');
    // Room for the source's largest record and the headers added to it.
    expect(Number(created['max.message.bytes'])).toBeGreaterThan(1_048_588);
  }, 60_000);

  it('a compacted <topic>.dlq is refused when the reader opens, before any record is read or dead-lettered', async () => {
    const t = topic('dlq-compact-open');
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 1 });
    await w.write([{ key: 'AAA', value: quote(1) }]);
    await w.close();
    await withAdmin(s, (admin) => admin.ensureTopic(`${t}.dlq`, 1, { 'cleanup.policy': 'compact,delete' }));
    // Only good records: the first dead letter would never come to refuse it.
    const failure = await EdgeReader.open(s, { topic: t, schema: 'Quote', groupId: `${t}.g`, fromBeginning: true }).catch(
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).not.toContain('\n');
    expect((failure as Error).message).toMatch(
      new RegExp(
        `^topic "${t.replaceAll('.', '\\.')}\\.dlq" has cleanup\\.policy=compact,delete: a compacted topic refuses dead letters .* or delete it and the run creates it$`,
      ),
    );
    // Once it is gone the reader opens (a missing .dlq is made at the first letter) and reads.
    await withAdmin(s, (admin) => admin.deleteTopics([`${t}.dlq`]));
    expect((await readPast(t, 1)).seqs).toEqual([1]);
  }, 60_000);

  it('a record over the max.message.bytes of an existing <topic>.dlq is copied without its value, saying its size and why; the reader carries on', async () => {
    const t = topic('dlq-small');
    await withAdmin(s, (admin) => admin.ensureTopic(`${t}.dlq`, 1, { 'max.message.bytes': '10000' }));
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 1 });
    const raw = new SerialProducer(s, 'test-over-dlq');
    await w.write([{ key: 'AAA', value: quote(1) }]);
    await raw.send([{ topic: t, partition: 0, key: Buffer.from('K'), value: Buffer.alloc(20_000, 'B'), headers: { origin: 'peer' } }]);
    await raw.send([{ topic: t, partition: 0, key: Buffer.from('small'), value: Buffer.from('tiny'), headers: {} }]);
    await w.write([{ key: 'AAA', value: quote(2) }]);
    await raw.close();
    await w.close();
    const got = await readPast(t, 2);
    expect(got.seqs).toEqual([1, 2]);
    expect(got.dead).toBe(2);
    expect(got.errors[0]).toMatch(
      new RegExp(
        `^magic byte is 66.* \\(its value \\(20000 bytes\\) is not in ${t.replaceAll('.', '\\.')}\\.dlq: the copy would take \\d+ bytes, over the topic's max\\.message\\.bytes \\(10000\\)\\)$`,
      ),
    );
    expect(got.errors[1]).not.toMatch(/is not in/);
    const [withoutValue, whole] = await readRaw(`${t}.dlq`, 2);
    expect(withoutValue!.value).toBeNull();
    expect(withoutValue!.key?.toString()).toBe('K');
    const h = new Map(withoutValue!.headers);
    expect(h.get('origin')).toBe('peer');
    expect(h.get(DLQ_OFFSET)).toBe('1');
    expect(h.get(DLQ_VALUE_BYTES)).toBe('20000');
    expect(h.get(DLQ_OMITTED)).toMatch(
      new RegExp(
        `^value \\(20000 bytes\\): the copy would take \\d+ bytes, over the max\\.message\\.bytes of topic "${t.replaceAll('.', '\\.')}\\.dlq" \\(10000\\); the record itself is at topic "${t.replaceAll('.', '\\.')}" partition 0 offset 1`,
      ),
    );
    expect(whole!.value?.toString()).toBe('tiny');
    expect(whole!.headers.map(([name]) => name)).toEqual([DLQ_ERROR, DLQ_TOPIC, DLQ_PARTITION, DLQ_OFFSET]);
  }, 60_000);

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

  it('an error header is at most 2,000 bytes of UTF-8, cut on a character, saying so', () => {
    expect(boundedText('short', 2_000)).toBe('short');
    const long = 'é'.repeat(3_000); // 6,000 bytes
    const cut = boundedText(long, 2_000);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(2_000);
    expect(cut).toMatch(/^é+ … \(cut: 6000 bytes in all\)$/);
  });

  it('a letter’s size is bounded from above by at most the widest time and offset deltas, not by 10 bytes a header', () => {
    // A one-record batch, Kafka's v2 format by hand: the 61-byte batch header, then the record's
    // length varint (1) and body: attributes 1, timestamp delta 1, offset delta 1, key 1 + 1,
    // value 1 + 3, header count 1, header "h"="v" 1 + 1 + 1 + 1: 14 bytes.
    const exact = 61 + 1 + 14;
    const estimate = letterBytes(Buffer.from('k'), Buffer.from('abc'), [['h', 'v']]);
    expect(estimate).toBeGreaterThanOrEqual(exact);
    expect(estimate - exact).toBeLessThanOrEqual(9 + 4 + 1); // the deltas at their widest, and a wider length varint
    // 5,000 empty headers take 2 bytes each, so such a record near the broker's limit still fits the
    // .dlq the run creates (1,048,588 + 8,192): it was estimated at 10 bytes each and lost its value.
    const many = Array.from({ length: 5_000 }, () => ['', Buffer.alloc(0)] as const);
    expect(letterBytes(Buffer.from('SYM000'), Buffer.alloc(1_030_000), many)).toBeLessThan(1_030_000 + 10_000 + 200);
  });
});
