/**
 * Topic administration on librdkafka (native/kafka's RdAdmin, and TopicAdmin over it) against the real
 * broker: creating with a partition count, refusing a mismatch, offsets after producing, deleting
 * topics and groups, and the errors a caller sees when the broker cannot be reached or an argument
 * is wrong.
 */
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { RdAdmin, RdConsumer, RdProducer } from '../../native/kafka/index.ts';
import { TopicAdmin } from '../../lib/io/kafka/admin.ts';
import { KafkaEdgeError } from '../../lib/io/kafka/errors.ts';
import { kafkaTestFile, readAtLeast, uniqueTopic, withAdmin } from '../helpers/kafka.ts';

const { s, topic } = kafkaTestFile();

/** A TCP port on 127.0.0.1 that nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('topic administration (real broker)', () => {
  it('ensureTopic creates a topic with its partitions, accepts it again, refuses another count', async () => {
    const t = topic('admin-ensure');
    await withAdmin(s, async (admin) => {
      expect(await admin.partitions(t)).toBeUndefined();
      await admin.ensureTopic(t, 3);
      expect(await admin.partitions(t)).toBe(3);
      await admin.ensureTopic(t, 3);
      await expect(admin.ensureTopic(t, 4)).rejects.toThrow(KafkaEdgeError);
      // The fix names both ways to declare it (sink.kafka has a partitions param, not a transport).
      await expect(admin.ensureTopic(t, 4)).rejects.toThrow(
        `topic "${t}" has 3 partition(s), the edge declares 4: declare 3 (sink.kafka's partitions param, or a Kafka edge's transport partitions), or delete the topic`,
      );
      await expect(admin.ensureTopic(t, 0)).rejects.toThrow('partitions is 0, expected an integer ≥ 1');
    });
  });

  it('asking about a missing topic does not create it (the broker auto-creates topics on request)', async () => {
    const t = topic('admin-missing');
    const admin = new RdAdmin({ brokers: s.brokers, clientId: 'admin-test' });
    try {
      expect(await admin.partitions(t)).toBeUndefined();
      expect(await admin.partitions(t)).toBeUndefined();
      expect(await admin.topics()).not.toContain(t);
      await expect(admin.watermarks(t)).rejects.toThrow(`topic "${t}" does not exist`);
    } finally {
      await admin.close();
    }
  });

  it('two writers creating one topic at the same moment: one creates it, both see its partitions', async () => {
    const t = topic('admin-race');
    const [a, b] = [new RdAdmin({ brokers: s.brokers, clientId: 'admin-a' }), new RdAdmin({ brokers: s.brokers, clientId: 'admin-b' })];
    try {
      const results = await Promise.all([a.createTopic(t, 4), b.createTopic(t, 4)]);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(results.map((r) => r.partitions)).toEqual([4, 4]);
      // Through TopicAdmin: concurrent ensureTopic calls on a new topic both resolve.
      const u = topic('admin-race-ensure');
      await Promise.all([withAdmin(s, (x) => x.ensureTopic(u, 2)), withAdmin(s, (x) => x.ensureTopic(u, 2))]);
      expect(await a.partitions(u)).toBe(2);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('offsets: per partition, the low watermark and the offset the next record gets', async () => {
    const t = topic('admin-offsets');
    await withAdmin(s, (admin) => admin.ensureTopic(t, 3));
    const p = new RdProducer({ brokers: s.brokers, clientId: 'admin-test' });
    // 3 records to partition 0, 1 to partition 2, none to partition 1
    const sent = [0, 0, 2, 0].map((partition, i) => ({ topic: t, partition, key: null, value: Buffer.from([i]), headers: {} }));
    await p.send(sent);
    await p.close();
    expect(await withAdmin(s, (admin) => admin.offsets(t))).toEqual([
      { partition: 0, low: 0, high: 3 },
      { partition: 1, low: 0, high: 0 },
      { partition: 2, low: 0, high: 1 },
    ]);
  });

  it('deleteTopics: gone from the metadata when it resolves; a missing topic is named in the error', async () => {
    const t = uniqueTopic('admin-delete');
    await withAdmin(s, async (admin) => {
      await admin.ensureTopic(t, 1);
      await admin.deleteTopics([t]);
      expect(await admin.partitions(t)).toBeUndefined();
      await expect(admin.deleteTopics([t])).rejects.toThrow(new RegExp(`"${t.replaceAll('.', '\\.')}": UnknownTopicOrPartition`));
      await admin.deleteTopics([]);
    });
  });

  it("deleteGroups: the group's commits are gone (a new member starts from the beginning); an unknown group is named", async () => {
    const t = topic('admin-group');
    const group = `${t}.g`;
    await withAdmin(s, (admin) => admin.ensureTopic(t, 1));
    const p = new RdProducer({ brokers: s.brokers, clientId: 'admin-test' });
    await p.send(Array.from({ length: 5 }, (_, i) => ({ topic: t, partition: 0, key: null, value: Buffer.from([i]), headers: {} })));
    await p.close();
    const c = new RdConsumer({ brokers: s.brokers, clientId: 'admin-test', groupId: group, topic: t, fromBeginning: true });
    await readAtLeast(c, 5);
    await c.commit(new Map([[0, 5]]));
    await c.close();
    await withAdmin(s, async (admin) => {
      await admin.deleteGroups([group]);
      await expect(admin.deleteGroups([group])).rejects.toThrow(new RegExp(`"${group.replaceAll('.', '\\.')}": GroupIdNotFound`));
    });
    const again = new RdConsumer({ brokers: s.brokers, clientId: 'admin-test', groupId: group, topic: t, fromBeginning: true });
    const read = await readAtLeast(again, 5);
    await again.close();
    expect(read.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('topic administration: errors', () => {
  // The bound is the test's own timeout: a refused connection fails at the first report of every
  // broker down (~250 ms), long before RdAdmin's 30 s or TopicAdmin.connect's 10 s.
  it('a broker that refuses connections: TopicAdmin.connect fails fast, naming the brokers and the reason', async () => {
    const brokers = [`127.0.0.1:${await closedPort()}`];
    const err = await TopicAdmin.connect({ ...s, brokers }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaEdgeError);
    expect((err as Error).message).toMatch(
      new RegExp(`^Kafka brokers ${brokers[0]}: cannot connect \\(no broker answers at ${brokers[0]} \\(last error: .*Connection refused`),
    );
    expect((err as Error).message).toContain('`npm run services:up` starts a local broker');
  }, 5_000);

  it('a broker that accepts connections but never answers: the call fails at its timeout', async () => {
    const silent: Server = createServer(() => {
      /* accept and say nothing */
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const broker = `127.0.0.1:${(silent.address() as { port: number }).port}`;
    const admin = new RdAdmin({ brokers: [broker], clientId: 'admin-test', timeoutMs: 1_000 });
    try {
      await expect(admin.topics()).rejects.toThrow(`no answer from ${broker} within 1000 ms`);
      await expect(admin.partitions('t')).rejects.toThrow(`no answer from ${broker} within 1000 ms`);
    } finally {
      await admin.close();
      silent.close();
    }
  }, 10_000);

  it('argument errors are TypeErrors naming the argument; a closed client says so', async () => {
    /** The promise rejects with a TypeError with exactly this message. */
    const typeError = async (p: Promise<unknown>, message: string): Promise<void> => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TypeError);
      expect((err as Error).message).toBe(message);
    };
    await typeError(
      (async () => new RdAdmin({ brokers: s.brokers, clientId: 'admin-test', timeoutMs: 0 }))(),
      'RdAdmin: timeoutMs is 0, expected an integer number of ms ≥ 1',
    );
    const admin = new RdAdmin({ brokers: s.brokers, clientId: 'admin-test' });
    await typeError(admin.createTopic('t', 0), 'createTopic: partitions is 0, expected an integer ≥ 1');
    await typeError(admin.createTopic('t', 1.5), 'createTopic: partitions is 1.5, expected an integer ≥ 1');
    await typeError(admin.createTopic('t', '3' as unknown as number), 'createTopic: partitions is string, expected an integer ≥ 1');
    await typeError(admin.createTopic('', 1), 'createTopic: topic is "", expected a non-empty name without NUL characters');
    await typeError(admin.partitions(7 as unknown as string), 'partitions: topic is number, expected a string');
    await typeError(admin.deleteTopics(['a', '']), 'deleteTopics: topics contains "", expected non-empty names without NUL characters');
    await typeError(admin.deleteGroups('g' as unknown as string[]), 'deleteGroups: groups is string, expected an array of strings');
    await typeError(admin.topics(-1), 'topics: timeoutMs is -1, expected an integer number of ms ≥ 1');
    await admin.close();
    await expect(admin.topics()).rejects.toThrow('admin client is closed');
    await expect(admin.deleteTopics(['x'])).rejects.toThrow('admin client is closed');
  });
});
