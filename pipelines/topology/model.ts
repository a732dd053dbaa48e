/** The resolved topology: what validation returns and the graph builder consumes. */
import { MAIN_PORT, type AnySpec } from '../../operators/sdk/spec.ts';
import type { SchemaName } from '../../schemas/types.generated.ts';
import type { Group } from './groups.ts';
import type { Transport } from './transport.ts';

export interface ResolvedNode {
  name: string;
  type: string;
  spec: AnySpec;
  /**
   * Port name → the edges feeding it (one for a plain port, several for a variadic one): a producer
   * node's name for its main output, `node.port` for another of its output ports.
   */
  inputs: Record<string, string[]>;
  /** Params after defaults were applied. */
  params: unknown;
  /** Schema of the main output for these params (null for a sink). */
  output: SchemaName | null;
  /** Every output port with its schema: `out` (the main one, unless a sink) and any others. */
  ports: Record<string, SchemaName>;
  /** How the output travels: in memory, or as a Kafka topic (`alpha backtest --split`, `alpha run --group`). */
  transport: Transport;
}

export interface Topology {
  file: string;
  name: string;
  seed: number;
  /** Default dataset folder for replay sources, relative to the working directory. */
  data: string | undefined;
  /** Edges (producer node names) whose records are written to the run's taps/ folder. */
  taps: string[];
  /** Process groups (none: the whole graph is one process). */
  groups: Group[];
  /** In topological order (feedback edges excluded). */
  nodes: ResolvedNode[];
}

/** The edge of a node's output port: the node's name for its main port, `node.port` for the others. */
export function edgeId(node: string, port: string): string {
  return port === MAIN_PORT ? node : `${node}.${port}`;
}

/** The node and port of an edge (see {@link edgeId}); node names never contain a dot. */
export function edgeEnds(edge: string): { node: string; port: string } {
  const dot = edge.indexOf('.');
  return dot < 0 ? { node: edge, port: MAIN_PORT } : { node: edge.slice(0, dot), port: edge.slice(dot + 1) };
}
