/**
 * Topic housekeeping for the edges: create a topic with its partitions (and topic configs), or check
 * the one that exists; read its configs and offsets; delete topics and consumer groups. On librdkafka's admin client (native/kafka).
 */
import { RdAdmin } from '../../../native/kafka/index.ts';
import type { KafkaSettings } from './settings.ts';
import { KafkaEdgeError } from './errors.ts';

/** How long `connect` waits for a broker to answer (an unreachable one fails sooner: see RdAdmin). */
const CONNECT_TIMEOUT_MS = 10_000;

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class TopicAdmin {
  private constructor(
    private readonly admin: RdAdmin,
    private readonly settings: KafkaSettings,
  ) {}

  /** An admin client whose brokers have answered. */
  static async connect(s: KafkaSettings): Promise<TopicAdmin> {
    const admin = new RdAdmin({ brokers: s.brokers, clientId: `${s.clientId}-admin` });
    try {
      await admin.topics(CONNECT_TIMEOUT_MS);
    } catch (err) {
      await admin.close();
      throw new KafkaEdgeError(
        `Kafka brokers ${s.brokers.join(',')}: cannot connect (${message(err)}); \`npm run services:up\` starts a local broker`,
      );
    }
    return new TopicAdmin(admin, s);
  }

  /** The partition count of `topic`, or undefined when it does not exist. */
  async partitions(topic: string): Promise<number | undefined> {
    try {
      return await this.admin.partitions(topic);
    } catch (err) {
      throw new KafkaEdgeError(`topic "${topic}" on ${this.brokers}: cannot read its partitions (${message(err)})`);
    }
  }

  /** The configs the broker applies to `topic` (its own, else the broker's defaults), by name. */
  async configs(topic: string): Promise<Record<string, string>> {
    try {
      return await this.admin.topicConfigs(topic);
    } catch (err) {
      throw new KafkaEdgeError(`topic "${topic}" on ${this.brokers}: cannot read its configs (${message(err)})`);
    }
  }

  /**
   * Creates `topic` with `partitions` partitions (and `configs`, topic configs) if it is missing;
   * refuses one that exists with a different count (keys would map to other partitions than the edge
   * expects). An existing topic keeps its configs.
   */
  async ensureTopic(topic: string, partitions: number, configs?: Readonly<Record<string, string>>): Promise<void> {
    if (!Number.isInteger(partitions) || partitions < 1)
      throw new KafkaEdgeError(`topic "${topic}": partitions is ${partitions}, expected an integer ≥ 1`);
    let existing = await this.partitions(topic);
    if (existing === undefined) {
      try {
        // Another writer may create it at the same moment: then the broker says it exists, and
        // createTopic reports the partitions it has.
        const r = await this.admin.createTopic(topic, partitions, configs);
        existing = r.partitions;
      } catch (err) {
        existing = await this.partitions(topic);
        if (existing === undefined) throw new KafkaEdgeError(`cannot create topic "${topic}" on ${this.brokers}: ${message(err)}`);
      }
    }
    if (existing !== partitions) {
      throw new KafkaEdgeError(
        `topic "${topic}" has ${existing} partition(s), the edge declares ${partitions}: ` +
          `declare ${existing} (sink.kafka's partitions param, or a Kafka edge's transport partitions), or delete the topic`,
      );
    }
  }

  /** Per partition: the earliest offset still held and the offset the next record will get. */
  async offsets(topic: string): Promise<{ partition: number; low: number; high: number }[]> {
    try {
      return await this.admin.watermarks(topic);
    } catch (err) {
      throw new KafkaEdgeError(`topic "${topic}" on ${this.brokers}: cannot read its offsets (${message(err)})`);
    }
  }

  async deleteGroups(groups: string[]): Promise<void> {
    try {
      await this.admin.deleteGroups(groups);
    } catch (err) {
      throw new KafkaEdgeError(`Kafka brokers ${this.brokers}: ${message(err)}`);
    }
  }

  async deleteTopics(topics: string[]): Promise<void> {
    try {
      await this.admin.deleteTopics(topics);
    } catch (err) {
      throw new KafkaEdgeError(`Kafka brokers ${this.brokers}: ${message(err)}`);
    }
  }

  close(): Promise<void> {
    return this.admin.close();
  }

  private get brokers(): string {
    return this.settings.brokers.join(',');
  }
}
