import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { EdgeReader } from '../../lib/io/kafka/edge-reader.ts';
import { EdgeWriter } from '../../lib/io/kafka/edge-writer.ts';
import { kafkaEdges } from '../../pipelines/runtime/group/kafka-edges.ts';
import type { Quote } from '../../schemas/types.generated.ts';
import { kafkaTestFile, readUntil, withAdmin } from '../helpers/kafka.ts';
import { quote as quoteAt } from '../helpers/records.ts';

const { s, topic } = kafkaTestFile();

const quote = (i: number): Quote => quoteAt(`S${i % 5}`, 1_700_000_000_000_000 + i, 10, 10.5, i, { bid_size: 1, ask_size: 2 });
const seqs = (items: { kind: string; value?: Quote }[]): number[] => items.map((it) => (it.kind === 'record' ? it.value!.seq : -1));

/**
 * The producer id stamped on each record batch of a topic, read with kafkajs (another client): an
 * idempotent producer's batches carry the id the broker gave it, a plain producer's carry -1.
 */
async function producerIds(topic: string, expected: number): Promise<Set<string>> {
  const consumer = new Kafka({ clientId: 'idempotence-check', brokers: s.brokers, logLevel: logLevel.NOTHING }).consumer({
    groupId: `${topic}.ids`,
  });
  const ids = new Set<string>();
  let seen = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        ids.add(String((message as unknown as { batchContext: { producerId: string } }).batchContext.producerId));
        if (++seen >= expected) resolve();
      },
    });
  });
  await consumer.disconnect();
  return ids;
}

describe('commits and restarts (real broker)', () => {
  it('a reader restarted in the same group resumes after the committed offsets: no loss, no duplicates', async () => {
    const t = topic('restart');
    const N = 600;
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 3 });
    await w.write(Array.from({ length: N }, (_, i) => ({ key: quote(i).symbol, value: quote(i) })));
    const group = `${t}.g`;
    const r1 = await EdgeReader.open(s, { topic: t, schema: 'Quote', groupId: group, fromBeginning: true });
    const first = await readUntil(
      () => r1.next(),
      (all) => all.length >= N / 3,
    );
    // commit only the first half of what was read; the rest was "not processed"
    const processed = first.slice(0, Math.floor(first.length / 2));
    await r1.commit(processed);
    await r1.close();

    const r2 = await EdgeReader.open(s, { topic: t, schema: 'Quote', groupId: group, fromBeginning: true });
    // more records arrive while the second reader runs
    await w.write(Array.from({ length: 100 }, (_, i) => ({ key: quote(N + i).symbol, value: quote(N + i) })));
    await w.close();
    const rest = await readUntil(
      () => r2.next(),
      (all) => processed.length + all.length >= N + 100,
    );
    await r2.close();

    const all = [...seqs(processed), ...seqs(rest)].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: N + 100 }, (_, i) => i));
    // each partition resumes exactly at the offset after its last committed item
    const partitions = new Set(rest.map((it) => it.partition));
    expect(partitions.size).toBeGreaterThan(1);
    for (const p of partitions) {
      const lastCommitted = processed.filter((it) => it.partition === p).map((it) => Number(it.offset));
      const firstAgain = rest.filter((it) => it.partition === p).map((it) => Number(it.offset));
      expect(Math.min(...firstAgain)).toBe(lastCommitted.length ? Math.max(...lastCommitted) + 1 : 0);
    }
  });

  it('overlapping write() calls lose nothing, and the producer is idempotent', async () => {
    const t = topic('idem');
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 2 });
    const K = 20,
      B = 250;
    await Promise.all(
      Array.from({ length: K }, (_, k) =>
        w.write(
          Array.from({ length: B }, (_, j) => {
            const q = quote(k * B + j);
            return { key: q.symbol, value: q };
          }),
        ),
      ),
    );
    expect(w.idempotent).toBe(true);
    await w.writeControl({ end: true });
    await w.close();
    const r = await EdgeReader.open(s, { topic: t, schema: 'Quote', groupId: `${t}.g`, fromBeginning: true });
    const got = await readUntil(
      () => r.next(),
      (all) => all.filter((it) => it.kind === 'control' && it.end).length === 2,
    );
    await r.close();
    expect(seqs(got.filter((it) => it.kind === 'record')).sort((a, b) => a - b)).toEqual(Array.from({ length: K * B }, (_, i) => i));
    // The broker handed the producer an id, stamped on every batch: only idempotent (or
    // transactional) producers get one; a plain producer's batches carry -1.
    const ids = await producerIds(t, K * B + 2);
    expect(ids.size).toBe(1);
    expect(Number([...ids][0])).toBeGreaterThanOrEqual(0);
  });

  it("a group's edge read again in the same consumer group (same run id and --attempt) is refused at once, not waited on for ever", async () => {
    const t = topic('again');
    const w = await EdgeWriter.open(s, { topic: t, schema: 'Quote', partitions: 2 });
    await w.write(Array.from({ length: 40 }, (_, i) => ({ key: quote(i).symbol, value: quote(i) })));
    await w.writeControl({ end: true });
    await w.close();
    const edges = kafkaEdges(s);
    const open = (groupId: string) => edges.inbound({ topic: t, schema: 'Quote', partitions: 2, groupId });
    const first = await open(`${t}.g.0`);
    const items = await readUntil(
      async () => [...(await first.next())],
      (all) => all.filter((it) => it.kind === 'control' && it.end).length === 2,
    );
    await first.commit(items);
    await first.close();
    await expect(open(`${t}.g.0`)).rejects.toThrow(
      new RegExp(`consumer group "${t}.g.0" already read "${t}" \\(offsets committed on 2 partitions\\): .*pass the next --attempt`),
    );
    // The next attempt's consumer group reads the edge from the start.
    const next = await open(`${t}.g.1`);
    const again = await readUntil(
      async () => [...(await next.next())],
      (all) => all.filter((it) => it.kind === 'record').length === 40,
    );
    await next.close();
    expect(again.filter((it) => it.kind === 'record')).toHaveLength(40);
  });

  it("a group's edge written again in the same consumer group (same run id and --attempt) is refused before a record is sent", async () => {
    const t = topic('again-written');
    const edges = kafkaEdges(s);
    const open = (groupId: string) => edges.outbound({ topic: t, schema: 'Quote', partitions: 2, groupId });
    const ends = () => withAdmin(s, async (admin) => (await admin.offsets(t)).map((p) => p.high));
    const first = await open(`${t}.g.0`);
    await first.write(Array.from({ length: 40 }, (_, i) => ({ key: quote(i).symbol, value: quote(i), headers: {} })));
    await first.writeControl({ end: true }, {});
    await first.close();
    const written = await ends();
    await expect(open(`${t}.g.0`)).rejects.toThrow(
      new RegExp(
        `consumer group "${t}.g.0" already marks "${t}" as written \\(offsets committed on 2 partitions\\): .*pass the next --attempt`,
      ),
    );
    expect(await ends()).toEqual(written);
    // The next attempt may write the edge again.
    const next = await open(`${t}.g.1`);
    await next.close();
  });
});
