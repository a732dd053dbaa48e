/**
 * The librdkafka binding (native/kafka) on its own, against the real broker: what the adapter relies on
 * and the errors a caller sees (never a crash).
 */
import { describe, expect, it } from 'vitest';
import { RdConsumer, RdProducer } from '../../native/kafka/index.ts';
import { kafkaTestFile, readAtLeast, withAdmin } from '../helpers/kafka.ts';

const { s, topic: name } = kafkaTestFile();

/** A new topic with `partitions`, dropped after the file's tests. */
async function topic(prefix: string, partitions: number): Promise<string> {
  const t = name(prefix);
  await withAdmin(s, (admin) => admin.ensureTopic(t, partitions));
  return t;
}

describe('native/kafka (real broker)', () => {
  it('carries null keys and values, empty values and headers, in order within a partition', async () => {
    const t = await topic('native-rt', 2);
    const p = new RdProducer({ brokers: s.brokers, clientId: 'native-test' });
    expect(p.idempotent).toBe(true);
    expect(await p.prepare(t)).toBe(2);
    const sent = [
      {
        topic: t,
        partition: 0,
        key: Buffer.from('A'),
        value: Buffer.from('first'),
        headers: { h: 'x', 'alpha.step': Buffer.from([1, 2]) },
      },
      { topic: t, partition: 0, key: null, value: null, headers: { end: '1' } },
      { topic: t, partition: 1, key: Buffer.from('B'), value: Buffer.alloc(0), headers: {} },
      { topic: t, partition: 0, key: Buffer.from('C'), value: Buffer.from('last'), headers: {} },
    ];
    await p.send(sent);
    await p.close();
    const c = new RdConsumer({ brokers: s.brokers, clientId: 'native-test', groupId: `${t}.g`, topic: t, fromBeginning: true });
    const got = await readAtLeast(c, sent.length);
    await c.close();
    const p0 = got.filter((r) => r.partition === 0);
    expect(p0.map((r) => r.offset)).toEqual([0, 1, 2]);
    expect(p0[0]).toMatchObject({ key: Buffer.from('A'), value: Buffer.from('first') });
    expect(p0[0]!.headers).toEqual({ h: Buffer.from('x'), 'alpha.step': Buffer.from([1, 2]) });
    expect(p0[1]).toMatchObject({ key: null, value: null, headers: { end: Buffer.from('1') } });
    expect(p0[2]).toMatchObject({ key: Buffer.from('C'), value: Buffer.from('last'), headers: {} });
    const p1 = got.find((r) => r.partition === 1)!;
    expect(p1.key).toEqual(Buffer.from('B'));
    expect(p1.value?.length).toBe(0); // empty, not null
  });

  it('a commit is where a new consumer of the group starts', async () => {
    const t = await topic('native-commit', 1);
    const p = new RdProducer({ brokers: s.brokers, clientId: 'native-test' });
    await p.send(Array.from({ length: 10 }, (_, i) => ({ topic: t, partition: 0, key: null, value: Buffer.from([i]), headers: {} })));
    await p.close();
    const first = new RdConsumer({ brokers: s.brokers, clientId: 'native-test', groupId: `${t}.g`, topic: t, fromBeginning: true });
    await readAtLeast(first, 10);
    expect(await first.committed()).toEqual([{ partition: 0, offset: -1 }]); // nothing committed yet
    await first.commit(new Map([[0, 6]]));
    expect(await first.committed()).toEqual([{ partition: 0, offset: 6 }]);
    await first.close();
    const second = new RdConsumer({ brokers: s.brokers, clientId: 'native-test', groupId: `${t}.g`, topic: t, fromBeginning: true });
    const rest = await readAtLeast(second, 4);
    await second.close();
    expect(rest.map((r) => r.value![0])).toEqual([6, 7, 8, 9]);
  });

  it('refuses what it cannot do with an error, and keeps the process alive', async () => {
    const t = await topic('native-errors', 1);
    const p = new RdProducer({ brokers: s.brokers, clientId: 'native-test' });
    await expect(p.send([{ topic: t, partition: 7, key: null, value: Buffer.from('x'), headers: {} }])).rejects.toThrow(
      /unknown ?partition/i,
    );
    // A failure breaks the producer: a later send, valid as it is, fails with the same error and writes nothing.
    await expect(p.send([{ topic: t, partition: 0, key: null, value: Buffer.from('y'), headers: {} }])).rejects.toThrow(
      /unknown ?partition/i,
    );
    expect(await withAdmin(s, (admin) => admin.offsets(t))).toEqual([expect.objectContaining({ partition: 0, high: 0 })]);
    await expect(
      p.send([
        { topic: t, partition: 0, key: null, value: null, headers: {} },
        { topic: `${t}.other`, partition: 0, key: null, value: null, headers: {} },
      ]),
    ).rejects.toThrow(/one topic per call/);
    await p.close();
    await expect(p.send([{ topic: t, partition: 0, key: null, value: null, headers: {} }])).rejects.toThrow(/producer is closed/);
    const c = new RdConsumer({ brokers: s.brokers, clientId: 'native-test', groupId: `${t}.g`, topic: t, fromBeginning: true });
    await c.close();
    await expect(c.next(10, 10)).rejects.toThrow(/consumer is closed/);
    expect(() => new RdProducer({ brokers: s.brokers, clientId: 'native-test', extra: { 'no.such.property': '1' } })).toThrow(
      /No such configuration property/,
    );
  });
});
