/**
 * The one plumbing helper every operator is built with, so each gets the same metrics
 * (`in`, `out`, `errors`), dead-lettering of a batch whose handler throws, and completion rules.
 *
 * @example
 * create: (params, ctx) => ({ bars }) =>
 *   operate<FeatureVector>(ctx, [{ stream: bars, onBatch: (batch, emit) => emit(compute(batch)) }])
 */
import { Observable } from 'rxjs';
import type { Batch } from './spec.ts';
import type { OperatorContext } from './context.ts';

export type Emit<TOut> = (batch: Batch<TOut>) => void;

export interface InputBinding<TIn, TOut> {
  stream: Observable<Batch<TIn>> | undefined;
  onBatch: (batch: Batch<TIn>, emit: Emit<TOut>) => void;
  /** Feedback inputs do not hold the operator open: it completes when its other inputs have. */
  feedback?: boolean;
}

export function operate<TOut>(
  ctx: OperatorContext,
  inputs: readonly InputBinding<any, TOut>[],
  hooks: { start?: (emit: Emit<TOut>) => void; end?: (emit: Emit<TOut>) => void } = {},
): Observable<Batch<TOut>> {
  return new Observable<Batch<TOut>>((subscriber) => {
    const received = ctx.metrics.counter('in');
    const emitted = ctx.metrics.counter('out');
    const errors = ctx.metrics.counter('errors');
    const emit: Emit<TOut> = (batch) => {
      if (batch.length === 0) return;
      emitted.inc(batch.length);
      subscriber.next(batch);
    };
    const guarded = <T>(fn: () => T, what: unknown): void => {
      try {
        fn();
      } catch (err) {
        errors.inc();
        ctx.deadLetter(what, `operator error: ${err instanceof Error ? err.message : String(err)}`);
      }
    };
    let open = inputs.filter((i) => i.stream && !i.feedback).length;
    const finish = (): void => {
      if (hooks.end) guarded(() => hooks.end!(emit), { event: 'end' });
      subscriber.complete();
    };
    const subscriptions = inputs.map((input) =>
      input.stream?.subscribe({
        next: (batch) => {
          received.inc(batch.length);
          // What `guarded` does, inline: this runs once per batch of every edge.
          try {
            input.onBatch(batch, emit);
          } catch (err) {
            errors.inc();
            ctx.deadLetter(batch, `operator error: ${err instanceof Error ? err.message : String(err)}`);
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          if (!input.feedback && --open === 0) finish();
        },
      }),
    );
    if (hooks.start) guarded(() => hooks.start!(emit), { event: 'start' });
    if (open === 0 && inputs.length > 0) finish();
    return () => subscriptions.forEach((s) => s?.unsubscribe());
  });
}
