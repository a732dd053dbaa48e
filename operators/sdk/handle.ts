/**
 * The one plumbing helper every operator is built with: `on(port, handler)` binds a handler to an
 * input port, carrying the port's record type into the handler, and `handle` (one output) or
 * `handlePorts` (several) runs them with the same metrics (`in`, `out`, `errors`), dead-lettering of
 * a batch whose handler throws, and completion rules (feedback inputs do not hold an operator open).
 *
 * @example
 * import { z } from 'zod';
 * import type { FeatureVector } from '../../schemas/types.generated.ts';
 * import { defineOperator } from './spec.ts';
 * // A whole operator: `batch` is Bar[] because the port's schema is 'Bar'.
 * export const range = defineOperator({
 *   type: 'feature.range',
 *   summary: 'High minus low of each bar.',
 *   inputs: { bars: { schema: 'Bar', description: 'Bars of each symbol.' } },
 *   output: 'FeatureVector',
 *   params: z.strictObject({}),
 *   features: () => ['range'],
 *   create: (_params, ctx) => ({ bars }) => handle<FeatureVector>(ctx, [on(bars, (batch, emit) =>
 *     emit(batch.map((b) => ({ ts_event: b.ts_event, ts_known: b.ts_known, symbol: b.symbol, values: [b.high - b.low] }))))]),
 * });
 */
import { Observable, Subject } from 'rxjs';
import { type ColumnBatch, columnsOf, type EdgeBatch, rowsOf } from '../../lib/core/column-batch.ts';
import type { OperatorContext } from './context.ts';
import type { Batch } from './spec.ts';

/** Emits a batch on an output: records, or columns (a source, or an operator on a tick-rate path). */
export type Emit<TOut> = (batch: EdgeBatch<TOut>) => void;

/** One emit function per output port. */
export type Emitters<TOuts> = { readonly [K in keyof TOuts]: Emit<TOuts[K]> };

/** What a bound input hands the runner: its batches, its failures, its end. */
interface InputSink<TEmit> {
  readonly emit: TEmit;
  received(count: number): void;
  failed(batch: unknown, err: unknown): void;
  error(err: unknown): void;
  complete(): void;
}

/** An input port bound to its handler; the record type stays inside (see {@link on}). */
export interface InputHandler<TEmit> {
  /** Feedback inputs do not hold the operator open: it completes when its other inputs have. */
  readonly feedback: boolean;
  /** False when the port is unbound (an optional port left out of the topology). */
  readonly bound: boolean;
  connect(sink: InputSink<TEmit>): { unsubscribe(): void } | undefined;
}

export interface Hooks<TEmit> {
  /**
   * When the operator is subscribed, while the graph is built and before any input arrives: arm
   * timers here. What it emits reaches only the readers already subscribed, i.e. feedback ports of
   * nodes built earlier (accounting's opening state reaches sizing this way); a record every reader
   * must see is emitted from a timer.
   */
  start?: (emit: TEmit) => void;
  /**
   * When every non-feedback input has completed. It may return a promise: the outputs then stay open,
   * and `emit` keeps working, until it settles (a rejection is a dead letter), and the run waits for
   * it (through `ctx.atEnd`) before the end-of-run hooks of the nodes after this one. For operators
   * whose answers arrive asynchronously after their last input (a venue connection draining).
   */
  end?: (emit: TEmit) => void | Promise<void>;
}

/**
 * Binds `handler` to the stream of an input port; it sees each batch as records. The batch's type is
 * the port's: a handler that declares another record type does not compile.
 */
export function on<TIn, TEmit = never>(
  stream: Observable<EdgeBatch<TIn>> | undefined,
  handler: (batch: Batch<NoInfer<TIn>>, emit: TEmit) => void,
  options: { feedback?: boolean } = {},
): InputHandler<TEmit> {
  return bind(stream, rowsOf, handler, options.feedback ?? false);
}

/**
 * Binds `handler` to the stream of an input port; it sees each batch as columns (rows `start … end − 1`
 * of `batch.columns`), with no record per row: for tick-rate inputs. Records that arrive as records
 * (from a Kafka edge, a test) are turned into columns first.
 */
export function onColumns<TIn, TEmit = never>(
  stream: Observable<EdgeBatch<TIn>> | undefined,
  handler: (batch: ColumnBatch<NoInfer<TIn>>, emit: TEmit) => void,
  options: { feedback?: boolean } = {},
): InputHandler<TEmit> {
  return bind(stream, columnsOf, handler, options.feedback ?? false);
}

function bind<TIn, TView, TEmit>(
  stream: Observable<EdgeBatch<TIn>> | undefined,
  view: (batch: EdgeBatch<TIn>) => TView,
  handler: (batch: TView, emit: TEmit) => void,
  feedback: boolean,
): InputHandler<TEmit> {
  return {
    feedback,
    bound: stream !== undefined,
    connect: (sink) => {
      if (!stream) return undefined;
      const listener: Listener<EdgeBatch<TIn>> = {
        next: (batch) => {
          sink.received(batch.length);
          // Inline rather than through a helper: this runs once per batch of every edge.
          try {
            handler(view(batch), sink.emit);
          } catch (err) {
            sink.failed(rowsOf(batch), err);
          }
        },
        error: (err) => sink.error(err),
        complete: () => sink.complete(),
      };
      return isListenable(stream) ? stream.listen(listener) : stream.subscribe(listener);
    },
  };
}

/** A reader of an edge, called directly by the edge (see pipelines/runtime/edge.ts). */
export interface Listener<T> {
  next(value: T): void;
  error(err: unknown): void;
  complete(): void;
}

/** A stream that can call its readers directly, without a subscription's wrapping. */
export interface Listenable<T> {
  listen(listener: Listener<T>): { unsubscribe(): void };
}

function isListenable<T>(stream: Observable<T>): stream is Observable<T> & Listenable<T> {
  return typeof (stream as Partial<Listenable<T>>).listen === 'function';
}

/** Runs the handlers of an operator with one output. */
export function handle<TOut>(
  ctx: OperatorContext,
  inputs: readonly InputHandler<Emit<TOut>>[],
  hooks: Hooks<Emit<TOut>> = {},
): Observable<EdgeBatch<TOut>> {
  return new Observable<EdgeBatch<TOut>>((subscriber) => {
    const emitted = ctx.metrics.counter('out');
    const emit: Emit<TOut> = (batch) => {
      if (batch.length === 0) return;
      emitted.inc(batch.length);
      subscriber.next(batch);
    };
    return run(ctx, inputs, hooks, emit, { error: (e) => subscriber.error(e), complete: () => subscriber.complete() });
  });
}

/**
 * Runs the handlers of an operator with several output ports; `emit.PORT(batch)` emits on one. The
 * inputs are connected once every port has been subscribed (the graph builder subscribes them all).
 * A port's records are counted as `out` for `out`, `out_PORT` for the others.
 */
export function handlePorts<TOuts extends Record<string, unknown>>(
  ctx: OperatorContext,
  ports: readonly (keyof TOuts & string)[],
  inputs: readonly InputHandler<Emitters<TOuts>>[],
  hooks: Hooks<Emitters<TOuts>> = {},
): { [K in keyof TOuts]: Observable<EdgeBatch<TOuts[K]>> } {
  const subjects = new Map(ports.map((p) => [p, new Subject<EdgeBatch<unknown>>()]));
  const emit = Object.fromEntries(
    ports.map((p) => {
      const counter = ctx.metrics.counter(p === 'out' ? 'out' : `out_${p}`);
      const subject = subjects.get(p)!;
      return [
        p,
        (batch: EdgeBatch<unknown>) => {
          if (batch.length === 0) return;
          counter.inc(batch.length);
          subject.next(batch);
        },
      ];
    }),
  ) as unknown as Emitters<TOuts>;
  let waiting = ports.length;
  const connect = (): void => {
    run(ctx, inputs, hooks, emit, {
      error: (e) => subjects.forEach((s) => s.error(e)),
      complete: () => subjects.forEach((s) => s.complete()),
    });
  };
  return Object.fromEntries(
    ports.map((p) => {
      let subscribed = false;
      return [
        p,
        new Observable<EdgeBatch<unknown>>((subscriber) => {
          const subscription = subjects.get(p)!.subscribe(subscriber);
          if (!subscribed) {
            subscribed = true;
            if (--waiting === 0) connect();
          }
          return subscription;
        }),
      ];
    }),
  ) as { [K in keyof TOuts]: Observable<EdgeBatch<TOuts[K]>> };
}

function run<TEmit>(
  ctx: OperatorContext,
  inputs: readonly InputHandler<TEmit>[],
  hooks: Hooks<TEmit>,
  emit: TEmit,
  out: { error(err: unknown): void; complete(): void },
): () => void {
  const received = ctx.metrics.counter('in');
  const errors = ctx.metrics.counter('errors');
  const fail = (what: unknown, err: unknown): void => {
    errors.inc();
    ctx.deadLetter(what, `operator error: ${err instanceof Error ? err.message : String(err)}`);
  };
  const guarded = (fn: () => void, what: unknown): void => {
    try {
      fn();
    } catch (err) {
      fail(what, err);
    }
  };
  let open = inputs.filter((i) => i.bound && !i.feedback).length;
  const finish = (): void => {
    let pending: Promise<void> | undefined;
    if (hooks.end) guarded(() => (pending = hooks.end!(emit) ?? undefined), { event: 'end' });
    if (!(pending instanceof Promise)) {
      out.complete();
      return;
    }
    const settled = pending.then(
      () => out.complete(),
      (err: unknown) => {
        fail({ event: 'end' }, err);
        out.complete();
      },
    );
    ctx.atEnd(() => settled);
  };
  const subscriptions = inputs.map((input) =>
    input.connect({
      emit,
      received: (n) => received.inc(n),
      failed: fail,
      error: (err) => out.error(err),
      complete: () => {
        if (!input.feedback && --open === 0) finish();
      },
    }),
  );
  if (hooks.start) guarded(() => hooks.start!(emit), { event: 'start' });
  if (open === 0 && inputs.length > 0) finish();
  return () => subscriptions.forEach((s) => s?.unsubscribe());
}
