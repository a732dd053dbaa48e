/** The resolved topology: what validation returns and the graph builder consumes. */
import type { AnySpec } from '../../operators/sdk/spec.ts';
import type { Group } from './groups.ts';
import type { Transport } from './transport.ts';

export interface ResolvedNode {
  name: string;
  type: string;
  spec: AnySpec;
  /** Port name → producer node names (one for a plain port, several for a variadic one). */
  inputs: Record<string, string[]>;
  /** Params after defaults were applied. */
  params: unknown;
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
