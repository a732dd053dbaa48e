/**
 * What a process group needs of a transport: publish records and controls on an edge, and read an
 * edge back in partition order. The Kafka adapter (lib/io/kafka) provides it; tests of the
 * protocol use an in-memory one.
 */
import type { SchemaName } from '../../../schemas/types.generated.ts';

export type Headers = Record<string, string>;

/**
 * Writes take effect in call order, and once one has failed, every later one fails without effect: a
 * publisher issues them without waiting for the earlier ones, and a watermark written after lost
 * records must never arrive.
 */
export interface OutboundEdge {
  write(records: readonly { key: string; value: unknown; headers: Headers }[]): Promise<void>;
  writeControl(control: { watermark: number } | { end: true }, headers: Headers): Promise<void>;
  close(): Promise<void>;
}

/** `offset`: its place in the partition (decimal), where the transport has one (Kafka's does). */
export type InboundItem =
  | { kind: 'record'; partition: number; offset?: string; value: unknown; headers: Headers }
  | { kind: 'control'; partition: number; offset?: string; watermark?: number; end?: boolean; headers: Headers };

export interface InboundEdge {
  /** Waits for the next items, in offset order within each partition. */
  next(): Promise<readonly InboundItem[]>;
  /** Marks items as processed (a restarted reader resumes after the last of each partition). */
  commit(items: readonly InboundItem[]): Promise<void>;
  /** Records that did not decode into the edge's schema, sent to the dead-letter topic. */
  deadLettered(): number;
  close(): Promise<void>;
}

/**
 * `groupId` names the process's attempt at the edge (`TOPOLOGY.GROUP.REPLICA.NODE.RUN.ATTEMPT`): a
 * reader's consumer group, and on the writing side a consumer group that marks the attempt as begun.
 * Either is refused when an earlier process already used it.
 */
export interface EdgeFactory {
  outbound(o: { topic: string; schema: SchemaName; partitions: number; groupId: string }): Promise<OutboundEdge>;
  inbound(o: { topic: string; schema: SchemaName; partitions: number; groupId: string }): Promise<InboundEdge>;
}

/** The run summary's reason for the records a group's input edges refused (each in its topic's `.dlq` topic, not in dead_letters.jsonl). */
export const EDGE_DEAD_LETTERS = "group edges: records refused on the way in (in the topic's .dlq)";
