/**
 * How a node's output travels: inline (an RxJS Subject inside the process, the default) or as a Kafka
 * topic (Avro, Confluent wire format). Topic names derive from the topology and node names unless
 * the node's `transport:` overrides them.
 */
export interface KafkaTransport {
  kind: 'kafka';
  topic: string;
  partitions: number;
}

export type Transport = { kind: 'inline' } | KafkaTransport;

export const DEFAULT_PARTITIONS = 4;

/** `<topology name>.<node name>`, with characters Kafka refuses in topic names replaced by `_`. */
export function defaultTopic(topologyName: string, node: string): string {
  return `${topologyName}.${node}`.replace(/[^a-zA-Z0-9._-]/g, '_');
}

/** The topic of a node's output: its kafka transport's topic, else the default name (taps mirror there). */
export function topicOf(topology: { name: string; nodes: readonly { name: string; transport?: Transport }[] }, node: string): string {
  const t = topology.nodes.find((n) => n.name === node)?.transport;
  return t?.kind === 'kafka' ? t.topic : defaultTopic(topology.name, node);
}
