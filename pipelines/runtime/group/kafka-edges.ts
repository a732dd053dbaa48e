/**
 * Process-group edges on Kafka, through the project's adapter (lib/io/kafka): one topic per edge
 * and run, Avro values in the Confluent wire format, the group's consumer group committing what the
 * event loop has delivered. A process refuses an edge that an earlier one of the same run id and
 * attempt already read or wrote.
 */
import { TopicAdmin } from '../../../lib/io/kafka/admin.ts';
import { PullConsumer } from '../../../lib/io/kafka/consumer.ts';
import { EdgeReader } from '../../../lib/io/kafka/edge-reader.ts';
import { EdgeWriter } from '../../../lib/io/kafka/edge-writer.ts';
import { KafkaEdgeError } from '../../../lib/io/kafka/errors.ts';
import { kafkaGiveUpMs, type KafkaSettings } from '../../../lib/io/kafka/settings.ts';
import type { EdgeFactory, InboundItem } from './edges.ts';

export function kafkaEdges(settings: KafkaSettings): EdgeFactory {
  return {
    async outbound({ topic, schema, partitions, groupId }) {
      const writer = await EdgeWriter.open(settings, {
        topic,
        schema,
        partitions,
        producer: { 'message.timeout.ms': String(kafkaGiveUpMs()) },
      });
      await claimWrite(settings, topic, partitions, groupId).catch(async (err: unknown) => {
        await writer.close();
        throw err;
      });
      return {
        write: (records) => writer.write(records as never),
        writeControl: (control, headers) => writer.writeControl(control, headers),
        close: () => writer.close(),
      };
    },
    async inbound({ topic, schema, partitions, groupId }) {
      const reader = await EdgeReader.open(settings, { topic, schema, groupId, fromBeginning: true, partitions });
      await refuseReadBefore(reader, topic, groupId);
      // Commits come from event-loop steps while next() may be waiting: one at a time, in order.
      let commits: Promise<void> = Promise.resolve();
      return {
        next: () => reader.next() as Promise<InboundItem[]>,
        deadLettered: () => reader.deadLettered,
        commit: (items) => (commits = commits.then(() => reader.commit(items as never))),
        close: async () => {
          await commits.catch(() => undefined);
          await reader.close();
        },
      };
    },
  };
}

/**
 * Each attempt of a group reads its edges once, from the start, in a consumer group of its own. One
 * that already committed offsets was read by an earlier process with the same run id and attempt:
 * it would resume past the end control and wait for ever.
 */
async function refuseReadBefore(reader: EdgeReader<unknown>, topic: string, groupId: string): Promise<void> {
  const refusal = earlierAttempt(await reader.committedOffsets(), groupId, `already read "${topic}"`, '');
  if (!refusal) return;
  await reader.close();
  throw refusal;
}

/**
 * The refusal of a process whose consumer group `groupId` has offsets committed already (`did`: what
 * that says the earlier process did; `then`: what this one would do), or undefined when it has none.
 */
function earlierAttempt(committed: ReadonlyMap<number, number>, groupId: string, did: string, then: string): KafkaEdgeError | undefined {
  const partitions = [...committed.values()].filter((offset) => offset >= 0).length;
  if (partitions === 0) return undefined;
  return new KafkaEdgeError(
    `consumer group "${groupId}" ${did} (offsets committed on ${partitions} partition${partitions === 1 ? '' : 's'}): a process of this group ran before in this run with the same --attempt${then}; pass the next --attempt to run the group again from the start, or a new --run-id (with every group) for a new run`,
  );
}

/**
 * Each attempt of a group writes its edges once, and marks that it has begun in a consumer group of
 * its own that only commits: the topic's end offsets when it began (where its records start). One that
 * has committed offsets already belongs to an earlier process with the same run id and attempt: this
 * one would send the edge's records again (a restart's replay is told apart by its next --attempt).
 */
async function claimWrite(settings: KafkaSettings, topic: string, partitions: number, groupId: string): Promise<void> {
  const marker = await PullConsumer.open(settings, { topic, groupId, fromBeginning: false, partitions });
  try {
    const refusal = earlierAttempt(
      await marker.committed(),
      groupId,
      `already marks "${topic}" as written`,
      ', and would publish the edge again',
    );
    if (refusal) throw refusal;
    const admin = await TopicAdmin.connect(settings);
    const ends = await admin.offsets(topic).finally(() => admin.close());
    await marker.commit(new Map(ends.map((p) => [p.partition, p.high])));
  } finally {
    await marker.close();
  }
}
