/**
 * The shape of an operator: what the registry, the validator, the docs and the graph builder know
 * about each operator type. One file per operator exports one spec built with `defineOperator` or
 * `defineSource`.
 */
import type { Observable } from 'rxjs';
import type { z } from 'zod';
import type { SchemaName, SchemaTypes } from '../../schemas/types.generated.ts';
import type { EdgeBatch } from '../../lib/core/column-batch.ts';
import type { OperatorContext, Session, SourceContext } from './context.ts';

export type { EdgeBatch } from '../../lib/core/column-batch.ts';

/**
 * Edges carry batches in ts_known order; a batch amortises the per-event cost of the graph. A record
 * handler sees a batch as records; on tick-rate edges the batch travels as columns (`EdgeBatch`), which
 * column handlers read without a record per row (see `on` and `onColumns` in handle.ts).
 */
export type Batch<T> = readonly T[];

export const STAGES = ['source', 'feature', 'model', 'signal', 'portfolio', 'risk', 'execution', 'sink'] as const;
export type Stage = (typeof STAGES)[number];

/** `'*'` accepts any schema (sinks). */
export type PortSchema = SchemaName | '*';

export interface PortSpec {
  schema: PortSchema;
  description: string;
  /** Optional ports may be left unbound in the topology. */
  optional?: boolean;
  /** Variadic ports take a list of producers of the same schema. */
  variadic?: boolean;
  /**
   * Feedback ports read state that a downstream node produces (fills → accounting → sizing).
   * They do not count for cycle detection: the value read is the latest one already emitted.
   */
  feedback?: boolean;
}

type PortRecord<TSchema extends PortSchema> = TSchema extends SchemaName ? SchemaTypes[TSchema] : unknown;

export type PortsSpec = Record<string, PortSpec>;

/**
 * An output whose schema depends on the params (a replay of any dataset, a Kafka source of any
 * schema): one of `oneOf`, chosen by `of(params)` at validation, where it is checked against the
 * consumers' ports like any other edge.
 */
export interface ParamOutput<TParams, TOut extends SchemaName> {
  readonly oneOf: readonly TOut[];
  readonly of: (params: TParams) => NoInfer<TOut>;
}

/** A main output: a schema, a schema chosen by the params, or null (sinks). */
export type OutputDecl<TParams, TOut extends SchemaName | null> = TOut | ([TOut] extends [SchemaName] ? ParamOutput<TParams, TOut> : never);

/** Extra output ports beside the main one, by name (`broker.states` in a topology reads port `states`). */
export type ExtraOutputs = Record<string, SchemaName>;

/** The name of an operator's main output port; `node` in a topology means `node.out`. */
export const MAIN_PORT = 'out';

type Out<TOut> = TOut extends SchemaName ? SchemaTypes[TOut] : never;

/**
 * What a factory returns: the stream of its main output, or, when the spec declares extra
 * `outputs`, one stream per port (`out` for the main one).
 */
export type OperatorOutputs<TOut extends SchemaName | null, TExtra extends ExtraOutputs> = [keyof TExtra] extends [never]
  ? Observable<EdgeBatch<Out<TOut>>>
  : { readonly out: Observable<EdgeBatch<Out<TOut>>> } & { readonly [K in keyof TExtra]: Observable<EdgeBatch<SchemaTypes[TExtra[K]]>> };

/** The observables an operator receives, one per port (a variadic port gets an array). */
export type PortStreams<TPorts extends PortsSpec> = {
  [K in keyof TPorts]: TPorts[K]['variadic'] extends true
    ? Observable<EdgeBatch<PortRecord<TPorts[K]['schema']>>>[]
    : TPorts[K]['optional'] extends true
      ? Observable<EdgeBatch<PortRecord<TPorts[K]['schema']>>> | undefined
      : Observable<EdgeBatch<PortRecord<TPorts[K]['schema']>>>;
};

export interface OperatorSpec<
  TParams = unknown,
  TPorts extends PortsSpec = PortsSpec,
  TOut extends SchemaName | null = SchemaName | null,
  TExtra extends ExtraOutputs = ExtraOutputs,
  TPrepared = unknown,
> {
  kind: 'operator';
  type: string;
  summary: string;
  inputs: TPorts;
  /** The main output port's schema (null for sinks), or a schema chosen by the params. */
  output: OutputDecl<TParams, TOut>;
  /** Output ports beside the main one (their schemas are static). */
  outputs?: TExtra;
  /**
   * Each symbol's output depends only on that symbol's inputs (bars, per-symbol features), so a group
   * of such stages can run as several replicas, each on a share of the symbols.
   */
  partitionable?: boolean;
  /**
   * The node receives from outside the graph (a venue's answers) through `ctx.external`: a live run
   * captures what it emits, and the replay of the capture emits that in its place.
   */
  external?: boolean;
  params: z.ZodType<TParams>;
  /**
   * Feature operators name the columns they emit, in order; `upstream` holds the names their inputs
   * declare (in port and binding order), for operators that pass columns through.
   */
  features?: (params: TParams, upstream: readonly string[]) => string[];
  /**
   * Checked at validation with the feature names the operator will receive (in port and binding
   * order): a model whose card lists other features is refused before the run starts. Each problem
   * names the param it concerns, as a path inside `params`.
   */
  checkFeatures?: (params: TParams, upstream: readonly string[]) => FeatureProblem[];
  /**
   * The files a sink writes in the run's output folder, by name: validation refuses two nodes that
   * would write the same file, or a name the run itself writes (summary.json, …).
   */
  writes?: (params: TParams) => readonly string[];
  /**
   * The files and folders the node reads besides the data folder (a model's folder, a latency file):
   * a run's --out may not be one, hold one or lie inside one, since an --overwrite would delete it.
   */
  reads?: (params: TParams) => readonly NodeRead[];
  /**
   * Asynchronous set-up before the run starts (loading a model, say); a throw refuses the run with its
   * message. What it resolves to is the node's `ctx.prepared`.
   */
  prepare?: (params: TParams, run: PrepareInfo) => Promise<TPrepared>;
  create(
    params: TParams,
    ctx: OperatorContext<NoInfer<TPrepared>>,
  ): (inputs: PortStreams<TPorts>) => OperatorOutputs<TOut, NoInfer<TExtra>>;
}

/** A file or folder a node reads (`reads`), named as its param is (`model`, `order_latency_file`). */
export interface NodeRead {
  param: string;
  path: string;
  folder?: boolean;
}

/** What an operator's `prepare` knows of the run. */
export interface PrepareInfo {
  /** The node's name in the topology. */
  node: string;
  /** The sessions the run will replay, in order. */
  sessions: readonly Session[];
}

export interface FeatureProblem {
  param: (string | number)[];
  message: string;
  hint?: string;
}

/** A record read by a source, with the tie-breaking keys the replay merges on. */
export interface SourceRecord {
  ts_known: number;
  seq: number;
}

/** Pull-based reader: the runner merges every source by (ts_known, source order, seq) and drives the clock. */
export interface SourceReader<TRecord extends SourceRecord> {
  /** Next batch (records or columns) in (ts_known, seq) order, or null at the end. Batches may be any size. */
  next(): Promise<EdgeBatch<TRecord> | null>;
  close(): Promise<void>;
  /**
   * Told before the first `next` by a run whose outputs are written at its end (a backtest, `alpha
   * run`): what the reader acknowledges to where it reads from (a Kafka source's offsets) waits for
   * `outputsWritten`, which that run calls once every node's end-of-run writes are done, and a run
   * that fails never calls (its `close` then acknowledges nothing). A live run does not call either.
   */
  holdAcknowledgements?(): void;
  outputsWritten?(): Promise<void>;
  /**
   * A live reader may also offer the batch it holds without a promise (the live driver then takes a
   * tick in the callback that brought it): what has arrived, null at the end, undefined when nothing
   * has. What arrives later comes between turns of the event loop, so polling again at once finds
   * nothing. Offered together with `onReady`.
   */
  poll?(): EdgeBatch<TRecord> | null | undefined;
  /**
   * Calls `callback` on the event loop, between steps, each time `poll` may have something new (a
   * batch, or the end). Once per reader; the live driver then takes no promise per batch.
   */
  onReady?(callback: () => void): void;
}

export interface SourceSpec<TParams = unknown, TOut extends SchemaName = SchemaName> {
  kind: 'source';
  type: string;
  summary: string;
  inputs: Record<string, never>;
  output: OutputDecl<TParams, TOut>;
  params: z.ZodType<TParams>;
  /** A source of CrossSections names its columns, like a feature operator. */
  features?: (params: TParams) => string[];
  /** The files and folders it reads besides the data folder (as an operator's `reads`). */
  reads?: (params: TParams) => readonly NodeRead[];
  open(params: TParams, ctx: SourceContext): SourceReader<SchemaTypes[TOut] & SourceRecord>;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry erases each spec's own types
export type AnySpec = OperatorSpec<any, any, any, any, any> | SourceSpec<any, any>;

export function defineOperator<
  TParams,
  const TPorts extends PortsSpec,
  const TOut extends SchemaName | null,
  const TExtra extends ExtraOutputs = Record<never, never>,
  TPrepared = unknown,
>(spec: Omit<OperatorSpec<TParams, TPorts, TOut, TExtra, TPrepared>, 'kind'>): OperatorSpec<TParams, TPorts, TOut, TExtra, TPrepared> {
  return { kind: 'operator', ...spec };
}

/**
 * An operator's input ports, declared beside its params and keeping their literal types (the spec's
 * `inputs`).
 */
export function definePorts<const TPorts extends PortsSpec>(ports: TPorts): TPorts {
  return ports;
}

/** The main output's schema for these params (null for a sink). */
export function outputSchema(spec: AnySpec, params: unknown): SchemaName | null {
  const decl = spec.output as SchemaName | ParamOutput<unknown, SchemaName> | null;
  return decl !== null && typeof decl === 'object' ? decl.of(params) : decl;
}

/** Every schema the main output may have (one, none for a sink, several when the params choose). */
export function outputSchemas(spec: AnySpec): readonly SchemaName[] {
  const decl = spec.output as SchemaName | ParamOutput<unknown, SchemaName> | null;
  if (decl === null) return [];
  return typeof decl === 'object' ? decl.oneOf : [decl];
}

/** The output ports of a node: `out` (unless a sink) and the extra ones, with their schemas. */
export function outputPorts(spec: AnySpec, params: unknown): Record<string, SchemaName> {
  const main = outputSchema(spec, params);
  const extra = spec.kind === 'operator' ? ((spec.outputs ?? {}) as ExtraOutputs) : {};
  return { ...(main === null ? {} : { [MAIN_PORT]: main }), ...extra };
}

export function defineSource<TParams, const TOut extends SchemaName>(
  spec: Omit<SourceSpec<TParams, TOut>, 'kind' | 'inputs'>,
): SourceSpec<TParams, TOut> {
  return { kind: 'source', inputs: {}, ...spec };
}
