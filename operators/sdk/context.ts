/**
 * What every operator is given. Backtest and live differ only in the implementations injected here:
 * operators never read the wall clock or draw unseeded random numbers.
 */
import type { Rng } from '../../lib/core/rng.ts';

import type { ColumnBatch } from '../../lib/core/column-batch.ts';
import type { Micros } from '../../lib/core/time.ts';
import type { SchemaName, SchemaTypes } from '../../schemas/types.generated.ts';

export type { Micros };

export interface Clock {
  /** Current time: the ts_known of the event being processed, or the time of the timer firing. */
  now(): Micros;
  /**
   * Runs `fn` when time reaches `at`, before any event with ts_known >= at is delivered.
   * Timers at the same time fire in the order they were scheduled.
   */
  schedule(at: Micros, fn: (at: Micros) => void): void;
}

/**
 * What a running live graph is told: `halt` by a person (`alpha kill`); `go-live` by the runner when a
 * warm-up on history ends and the live feed takes over (from then on decisions reach the venue);
 * `stop` by the driver when the run stops (after the sources stopped, before the `beforeStop` hooks).
 */
export type LiveCommand = 'halt' | 'go-live' | 'stop';

export interface Session {
  open: Micros;
  close: Micros;
}

/** Trading sessions, so timers fire only while the market is open. */
export interface Calendar {
  readonly sessions: readonly Session[];
  /** A live run: the session it trades (its last; the ones before it are its warm-up). Absent in a backtest. */
  readonly live?: Session;
}

export interface Counter {
  inc(by?: number): void;
  readonly value: number;
}
/** A value that is set, not added to (a mode, a level). */
export interface Gauge {
  set(value: number): void;
  readonly value: number;
}
export interface Metrics {
  counter(name: string): Counter;
  gauge(name: string): Gauge;
  /**
   * A count kept elsewhere (a native feed handler's gaps, say), read by `read` only when the run
   * reports it (a status line, a metrics scrape, summary.json): nothing is counted on the hot path.
   * `read` must not decrease, and must go on answering once the operator is closed.
   */
  observedCounter(name: string, read: () => number): void;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

export interface UniverseMember {
  symbol: string;
  sector: string;
}

/** What feeds one input port: the producer node, its schema, and the feature names it declares. */
export interface InputInfo {
  node: string;
  schema: string;
  features: readonly string[];
}

/** The alerts a node keeps for the run's summary (the rest are logged and counted). */
export const ALERTS_KEPT = 20;

export interface OperatorContext<TPrepared = unknown> {
  /** Name of the node in the topology. */
  readonly node: string;
  readonly clock: Clock;
  readonly calendar: Calendar;
  readonly rng: Rng;
  readonly metrics: Metrics;
  readonly log: Logger;
  /**
   * A condition the run's summary must show, not only its log: the venue refused the login or ended
   * the session, a feed went silent. Logged as a warning at once; a live run lists it in
   * summary.json's `warnings` (at most {@link ALERTS_KEPT} a node). Not a record: replays ignore it.
   */
  alert(message: string): void;
  /** Refuses an input: it goes to the dead-letter output with the reason, is counted, and the run goes on. */
  deadLetter(input: unknown, reason: string, at?: { ts_event: Micros; ts_known: Micros }): void;
  /**
   * Holds the clock until `work` settles: the runner delivers no further event and fires no timer
   * before it, so what the work emits keeps its place in event time. For operators that must await
   * (inference through an async runtime); a rejection becomes a dead letter.
   */
  hold(work: Promise<unknown>): void;
  /** Runs when every input has completed and before the run reports; sinks flush here. */
  atEnd(fn: () => Promise<void> | void): void;
  /**
   * From an `atEnd` hook: `work` runs off the graph thread (a sink's encoding on libuv's thread pool)
   * and `write` puts its result in place (the file) once it is done. The hooks of the nodes after this
   * one run meanwhile; the results are written in node order, the run reports only once all are
   * written, and the first failure in node order (a hook's or a write's) fails it.
   */
  writing<T>(work: Promise<T>, write: (result: T) => void): void;
  /**
   * Live runs: what reached this node from outside the graph (a venue's answer) becomes a step of its
   * own. `deliver` runs when the driver takes that step, with the clock at the arrival's time, and
   * what it emits is captured, so the replay of the capture emits it at the same point. A node emits
   * outside its input handlers and timers only this way. Outside a live run it throws. `mark` is
   * kept with the arrival in the capture for a resume (see onRecovered).
   */
  external(deliver: () => void, mark?: number): void;
  /**
   * A live run resumed after its process died (`alpha live --resume`): true while the capture of the
   * run that died is taken again to rebuild every node's state. What the graph decides meanwhile was
   * decided before: an order entry node records it and sends nothing.
   */
  readonly recovering: boolean;
  /**
   * A resumed live run: `fn` runs once the capture was taken again and before any live arrival, with
   * the last `mark` this node gave `external` in that capture (an order entry node logs in and
   * reconciles with the venue here).
   */
  onRecovered(fn: (mark: number | undefined) => Promise<void>): void;
  /** Live runs: runs after the sources stopped and before the streams complete (an order entry node awaits its last answers). */
  beforeStop(fn: () => Promise<void>): void;
  /**
   * Runs once when the run ends, however it ends: after the end-of-run hooks, or after a failure
   * that skipped them. Lets go of what the node holds outside the process (a connection, a
   * producer), so a failed run in a process that goes on (a sweep's worker, a test) leaves nothing
   * open. `fn` must be safe to call after the node closed it already; its failure is logged, and it
   * gets RELEASE_WITHIN_MS.
   */
  onRelease(fn: () => Promise<void> | void): void;
  /**
   * Live runs: `fn` runs when the command is given (`alpha kill`: `halt`, with its reason; the
   * runner's `go-live` after a warm-up; the run stopping: `stop`, with what stopped it), as a step of
   * its own, captured, so the replay of the capture gives it at the same point.
   */
  onCommand(command: LiveCommand, fn: (text: string) => void): void;
  /** Folder where sinks write (a backtest's --out). */
  readonly outDir: string;
  /** The instruments the run trades, with their sectors. */
  readonly universe: readonly UniverseMember[];
  /** What the operator's `prepare` resolved to before the run (undefined without one). */
  readonly prepared: TPrepared | undefined;
  /** Producers of each input port, in binding order. */
  readonly inputs: Readonly<Record<string, readonly InputInfo[]>>;
}

/** Column batches of one dataset, in the dataset's (ts_known, seq) order. */
export interface DatasetReader<T> {
  next(): Promise<ColumnBatch<T> | null>;
  close(): Promise<void>;
}

/**
 * Where a dataset is read from: the run's data folder (the default), or the run's lake (a Delta table
 * of the dataset's name, docs/lake.md), as known at `asOf` (only rows with ts_known ≤ it) and in table
 * version `version` (default the latest).
 */
export type DatasetStore = { store: 'files' } | { store: 'lake'; asOf?: Micros | undefined; version?: number | undefined };

export interface SourceContext extends OperatorContext {
  /**
   * Opens a dataset (e.g. "quotes") of the run's data folder, or of its lake (`from`), as records of
   * `schema`, over the run's trading days; a missing or corrupt file or table, or a column of another
   * type than the schema's, is a clear error naming it.
   */
  openDataset<TName extends SchemaName>(name: string, schema: TName, from?: DatasetStore): DatasetReader<SchemaTypes[TName]>;
  /**
   * The path of `file`, relative to the run's data folder: a DataError naming it when it is not a
   * regular file inside that folder (after symlinks).
   */
  dataFile(file: string): string;
}
