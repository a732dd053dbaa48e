/** The engine's implementation of the context each node receives. */
import { HeldWork } from './held-work.ts';
import { DataError } from '../../lib/core/errors.ts';
import {
  ALERTS_KEPT,
  type Calendar,
  type Counter,
  type Gauge,
  type LiveCommand,
  type InputInfo,
  type Logger,
  type Metrics,
  type SourceContext,
  type UniverseMember,
  type DatasetReader,
  type DatasetStore,
  type Clock,
} from '../../operators/sdk/context.ts';
import type { Rng } from '../../lib/core/rng.ts';
import type { DeadLetter, SchemaName, SchemaTypes } from '../../schemas/types.generated.ts';

export class CounterImpl implements Counter {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class GaugeImpl implements Gauge {
  value = 0;
  set(value: number): void {
    this.value = value;
  }
}

/** A counter whose value is read from elsewhere when it is reported (Metrics.observedCounter). */
export class ObservedCounter {
  constructor(private readonly read: () => number) {}
  get value(): number {
    return this.read();
  }
}

export class NodeMetrics implements Metrics {
  readonly counters = new Map<string, CounterImpl | GaugeImpl | ObservedCounter>();
  counter(name: string): Counter {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = new CounterImpl()));
    if (!(c instanceof CounterImpl)) throw new Error(`metric ${name} is ${kindOf(c)}, not a counter`);
    return c;
  }
  gauge(name: string): Gauge {
    let g = this.counters.get(name);
    if (!g) this.counters.set(name, (g = new GaugeImpl()));
    if (!(g instanceof GaugeImpl)) throw new Error(`metric ${name} is ${kindOf(g)}, not a gauge`);
    return g;
  }
  observedCounter(name: string, read: () => number): void {
    const had = this.counters.get(name);
    if (had) throw new Error(`metric ${name} is already ${kindOf(had)}`);
    this.counters.set(name, new ObservedCounter(read));
  }
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counters].sort(([a], [b]) => a.localeCompare(b)).map(([k, c]) => [k, c.value]));
  }
}

const kindOf = (m: CounterImpl | GaugeImpl | ObservedCounter): string =>
  m instanceof CounterImpl ? 'a counter' : m instanceof GaugeImpl ? 'a gauge' : 'an observed counter';

/**
 * A dead letter as a node refuses it: the refused value itself. Whoever keeps the letter turns the
 * value into its JSON payload, at once ({@link deadLetterOf}: an operator may reuse the object), and
 * only when it keeps it: a flood of refusals past what the run's file keeps is counted, not serialised
 * (1.6M quote payloads took 2 s of a 7 s run).
 */
export interface RefusedInput extends Omit<DeadLetter, 'payload'> {
  readonly input: unknown;
}

/** The letter of a refusal, its payload serialised now. */
export function deadLetterOf(refused: RefusedInput): DeadLetter {
  const { input, ...letter } = refused;
  return { ...letter, payload: toJson(input) };
}

export interface RunServices {
  calendar: Calendar;
  universe: readonly UniverseMember[];
  outDir: string;
  log: Logger;
  /** Takes the refusal synchronously (the input may be reused after the call). */
  onDeadLetter(refused: RefusedInput): void;
  openDataset<TName extends SchemaName>(name: string, schema: TName, from?: DatasetStore): DatasetReader<SchemaTypes[TName]>;
  /** The path of a file of the data folder (a DataError when it is not one: outside, missing, not a regular file). */
  dataFile?(file: string): string;
  /** Node name → what its operator's `prepare` resolved to (see prepare.ts). */
  prepared?: ReadonlyMap<string, unknown>;
  /** Live runs: queues a node's external arrival as a step (see OperatorContext.external). */
  external?(node: string, deliver: () => void, mark?: number): void;
  /** A resumed live run: `active` while the dead run's capture is taken again (OperatorContext.recovering). */
  recovery?: { active: boolean };
}

export class NodeContext implements SourceContext {
  readonly metrics = new NodeMetrics();
  readonly finalizers: (() => Promise<void> | void)[] = [];
  /** Background work started by the finalizers, and how to write each result (see OperatorContext.writing). */
  readonly writes: { work: Promise<unknown>; write: (result: unknown) => void }[] = [];
  /** Set once finishNodes has taken this node's writes: a later `writing` would go unwaited. */
  writesTaken = false;
  readonly stoppers: (() => Promise<void>)[] = [];
  /** What lets go of the node's outside resources, run at every end of the run (see releaseNodes). */
  readonly releasers: (() => Promise<void> | void)[] = [];
  readonly recoverers: ((mark: number | undefined) => Promise<void>)[] = [];
  readonly commands: { command: LiveCommand; fn: (text: string) => void }[] = [];
  /** What `alert` kept for the summary, and how many it was given. */
  private readonly alerts: string[] = [];
  private alerted = 0;

  constructor(
    readonly node: string,
    readonly clock: Clock,
    readonly rng: Rng,
    readonly inputs: Readonly<Record<string, readonly InputInfo[]>>,
    private readonly services: RunServices,
    private readonly held: HeldWork = new HeldWork(),
  ) {}

  get calendar(): Calendar {
    return this.services.calendar;
  }
  get universe(): readonly UniverseMember[] {
    return this.services.universe;
  }
  get outDir(): string {
    return this.services.outDir;
  }
  get prepared(): unknown {
    return this.services.prepared?.get(this.node);
  }

  get log(): Logger {
    const prefix = `[${this.node}]`;
    return { info: (m) => this.services.log.info(`${prefix} ${m}`), warn: (m) => this.services.log.warn(`${prefix} ${m}`) };
  }

  alert(message: string): void {
    this.log.warn(message);
    if (++this.alerted <= ALERTS_KEPT) this.alerts.push(`${this.node}: ${message}`);
  }

  /** The alerts for a live run's summary, and a line for those given beyond what was kept. */
  alertLines(): string[] {
    const beyond = this.alerted - this.alerts.length;
    return beyond > 0 ? [...this.alerts, `${this.node}: ${beyond} more alert(s), in the run's log`] : this.alerts;
  }

  deadLetter(input: unknown, reason: string, at?: { ts_event: number; ts_known: number }): void {
    this.metrics.counter('dead_letters').inc();
    const stamped = at ?? stampOf(input) ?? { ts_event: this.clock.now(), ts_known: this.clock.now() };
    this.services.onDeadLetter({ ts_event: stamped.ts_event, ts_known: stamped.ts_known, node: this.node, reason, input });
  }

  hold(work: Promise<unknown>): void {
    this.held.hold(work, (err) =>
      this.deadLetter({ event: 'held work' }, `operator error: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  atEnd(fn: () => Promise<void> | void): void {
    this.finalizers.push(fn);
  }

  writing<T>(work: Promise<T>, write: (result: T) => void): void {
    if (this.writesTaken) {
      throw new Error(`${this.node}: ctx.writing() after its end-of-run hooks returned; call it from an atEnd hook`);
    }
    // Awaited by finishNodes; until then a failure is not an unhandled rejection.
    work.catch(() => undefined);
    this.writes.push({ work, write: write as (result: unknown) => void });
  }

  external(deliver: () => void, mark?: number): void {
    if (!this.services.external) throw new Error(`${this.node}: external input is only for live runs`);
    this.services.external(this.node, deliver, mark);
  }

  get recovering(): boolean {
    return this.services.recovery?.active ?? false;
  }

  onRecovered(fn: (mark: number | undefined) => Promise<void>): void {
    this.recoverers.push(fn);
  }

  beforeStop(fn: () => Promise<void>): void {
    this.stoppers.push(fn);
  }

  onRelease(fn: () => Promise<void> | void): void {
    this.releasers.push(fn);
  }

  onCommand(command: LiveCommand, fn: (text: string) => void): void {
    this.commands.push({ command, fn });
  }

  dataFile(file: string): string {
    if (!this.services.dataFile) throw new DataError(file, 'this run has no data folder (pass --data)');
    return this.services.dataFile(file);
  }

  openDataset<TName extends SchemaName>(name: string, schema: TName, from?: DatasetStore): DatasetReader<SchemaTypes[TName]> {
    return this.services.openDataset(name, schema, from);
  }
}

function stampOf(input: unknown): { ts_event: number; ts_known: number } | undefined {
  const r = Array.isArray(input) ? input[0] : input;
  if (r && typeof r === 'object' && typeof (r as { ts_known?: unknown }).ts_known === 'number') {
    const s = r as { ts_event?: number; ts_known: number };
    return { ts_event: s.ts_event ?? s.ts_known, ts_known: s.ts_known };
  }
  return undefined;
}

/** JSON that keeps NaN and ±Infinity visible (JSON.stringify would print null). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}
