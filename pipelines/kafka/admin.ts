/** Topic housekeeping for the edges: create a topic with its partitions, or check the one that exists. */
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import type { KafkaSettings } from './settings.ts';
import { KafkaEdgeError } from './errors.ts';

export class TopicAdmin {
  private constructor(private readonly admin: Admin, private readonly settings: KafkaSettings) {}

  static async connect(s: KafkaSettings): Promise<TopicAdmin> {
    const admin = new Kafka({ clientId: `${s.clientId}-admin`, brokers: s.brokers, logLevel: logLevel.NOTHING, retry: { retries: 3 } }).admin();
    try {
      await admin.connect();
    } catch (err) {
      throw new KafkaEdgeError(`Kafka brokers ${s.brokers.join(',')}: cannot connect (${err instanceof Error ? err.message : String(err)}); \`npm run services:up\` starts a local broker`);
    }
    return new TopicAdmin(admin, s);
  }

  /** The partition count of `topic`, or undefined when it does not exist. */
  async partitions(topic: string): Promise<number | undefined> {
    const topics = await this.admin.listTopics();
    if (!topics.includes(topic)) return undefined;
    const meta = await this.admin.fetchTopicMetadata({ topics: [topic] });
    return meta.topics[0]?.partitions.length;
  }

  /**
   * Creates `topic` with `partitions` partitions if it is missing; refuses one that exists with a
   * different count (keys would map to other partitions than the edge expects).
   */
  async ensureTopic(topic: string, partitions: number): Promise<void> {
    if (!Number.isInteger(partitions) || partitions < 1) throw new KafkaEdgeError(`topic "${topic}": partitions is ${partitions}, expected an integer ≥ 1`);
    let existing = await this.partitions(topic);
    if (existing === undefined) {
      try {
        await this.admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: -1 }], waitForLeaders: true });
      } catch (err) {
        // another writer may have created it at the same moment
        existing = await this.partitions(topic);
        if (existing === undefined) throw new KafkaEdgeError(`cannot create topic "${topic}" on ${this.settings.brokers.join(',')}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (existing !== undefined && existing !== partitions) {
      throw new KafkaEdgeError(`topic "${topic}" has ${existing} partition(s), the edge declares ${partitions}: ` +
        'set the node\'s transport partitions to match, or delete the topic');
    }
  }

  /** Per partition: the earliest offset still held and the offset the next record will get. */
  async offsets(topic: string): Promise<{ partition: number; low: number; high: number }[]> {
    const o = await this.admin.fetchTopicOffsets(topic);
    return o.map((x) => ({ partition: x.partition, low: Number(x.low), high: Number(x.high) })).sort((a, b) => a.partition - b.partition);
  }

  async deleteGroups(groups: string[]): Promise<void> {
    await this.admin.deleteGroups(groups);
  }

  async deleteTopics(topics: string[]): Promise<void> {
    await this.admin.deleteTopics({ topics });
  }

  close(): Promise<void> {
    return this.admin.disconnect();
  }
}
