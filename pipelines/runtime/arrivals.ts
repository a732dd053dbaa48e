/**
 * How a live run takes its steps, and how the replay of its capture takes the same ones: the rules of
 * the backtest's event loop applied to arrivals (a source's batch, a node's external input, a wall
 * clock wake) instead of merged stored data.
 *
 * - A source's records are stamped no earlier than the run's time (the driver raises a ts_known that
 *   is behind it, and keeps them non-decreasing), so the capture is in ts_known order.
 * - Timers fire before any record stamped at or after them, one step each, as in the backtest; a
 *   batch that spans a timer is cut there.
 * - A wake advances the time to the wall time it fired at, firing what is due.
 */
import { ColumnBatch, type EdgeBatch } from '../../lib/core/column-batch.ts';
import type { Micros } from '../../lib/core/time.ts';
import type { LiveCommand } from '../../operators/sdk/context.ts';
import type { SourceRecord } from '../../operators/sdk/spec.ts';
import type { NodeContext } from './node-context.ts';
import type { EventClock } from './event-clock.ts';
import type { DecisionGate } from './graph.ts';
import type { HeldWork } from './held-work.ts';
import { runEnd } from './merge.ts';

export class ArrivalSteps {
  constructor(
    private readonly clock: EventClock,
    private readonly held: HeldWork,
    /** A live source's receive stamps (system clock) as the run's wall time (a speed factor); none on replay. */
    private readonly fromSystem?: (system: Micros) => Micros,
    /** A run that warmed up: `go-live` opens it, after the timers due by then (still warm-up work) fired. */
    private readonly gate?: DecisionGate,
  ) {}

  /**
   * Fires every timer due by `t`, each a step of its own, then sets the time to `t` (never back).
   * Like every step here it returns a promise only when it must wait (held work to settle): a live
   * tick is then taken in the callback that brought it, with no promise per step.
   */
  advance(t: Micros): Promise<void> | undefined {
    while (this.clock.fireNext(t)) if (this.held.size > 0) return this.settleThenAdvance(t);
    this.clock.advanceTo(t);
    return undefined;
  }

  private async settleThenAdvance(t: Micros): Promise<void> {
    await this.held.settle();
    await this.advance(t);
  }

  /**
   * Stamps a live batch for delivery (in place): receive stamps on the run's wall time, raised to the
   * run's time, or to the record ahead's, where they are behind it.
   */
  restamp(batch: EdgeBatch<SourceRecord>): void {
    let floor = this.clock.now();
    const map = this.fromSystem;
    if (batch instanceof ColumnBatch) {
      const ts = batch.columns.ts_known as Float64Array;
      for (let i = batch.start; i < batch.end; i++) {
        const t = map ? map(ts[i]!) : ts[i]!;
        if (t < floor) ts[i] = floor;
        else ts[i] = floor = t;
      }
      return;
    }
    for (const r of batch as SourceRecord[]) {
      const t = map ? map(r.ts_known) : r.ts_known;
      if (t < floor) r.ts_known = floor;
      else r.ts_known = floor = t;
    }
  }

  /** Delivers a restamped batch to `next` in runs cut at timers, each after the timers due before it. */
  deliver(batch: EdgeBatch<SourceRecord>, next: (records: EdgeBatch<SourceRecord>) => void): Promise<void> | undefined {
    const run = new BatchRuns(batch);
    for (let i = run.start; i < run.end; ) {
      const waiting = this.advance(run.ts[i]!);
      if (waiting) return this.deliverAfter(waiting, run, i, next);
      i = this.deliverRun(run, i, next);
      if (this.held.size > 0) return this.deliverAfter(this.held.settle(), run, i, next);
    }
    return undefined;
  }

  /** The rest of `deliver` once `waiting` is over, from row `from` (whose timers may not all have fired yet). */
  private async deliverAfter(
    waiting: Promise<void>,
    run: BatchRuns,
    from: number,
    next: (records: EdgeBatch<SourceRecord>) => void,
  ): Promise<void> {
    await waiting;
    for (let i = from; i < run.end; ) {
      await this.advance(run.ts[i]!);
      i = this.deliverRun(run, i, next);
      if (this.held.size > 0) await this.held.settle();
    }
  }

  /** Hands on the run from row `i` up to the next timer (or the batch's end); returns where it ended. */
  private deliverRun(run: BatchRuns, i: number, next: (records: EdgeBatch<SourceRecord>) => void): number {
    const { batch, ts, start, end } = run;
    const to = runEnd(ts, i + 1, end, this.clock.nextTimerAt(), false);
    const whole = to - i === end - start;
    next(whole ? batch : batch instanceof ColumnBatch ? batch.slice(i - start, to - start) : batch.slice(i, to));
    return to;
  }

  /** Gives a command to every node that listens for it, in the graph's order, at `at`: timers due by then first. */
  command(at: Micros, command: LiveCommand, text: string, contexts: Iterable<NodeContext>): Promise<void> | undefined {
    return this.afterWaiting(this.advance(Math.max(at, this.clock.now())), () => {
      if (command === 'go-live') this.gate?.open();
      for (const ctx of contexts) for (const c of ctx.commands) if (c.command === command) c.fn(text);
    });
  }

  /** Runs an external arrival at `at` (not before the run's time): timers due by then first. */
  external(at: Micros, deliver: () => void): Promise<void> | undefined {
    return this.afterWaiting(this.advance(Math.max(at, this.clock.now())), deliver);
  }

  /** `work` once `waiting` (if any) is over, then the held work it left settled. */
  private afterWaiting(waiting: Promise<void> | undefined, work: () => void): Promise<void> | undefined {
    if (waiting)
      return waiting.then(() => {
        work();
        return this.held.size > 0 ? this.held.settle() : undefined;
      });
    work();
    return this.held.size > 0 ? this.held.settle() : undefined;
  }
}

/** A batch's ts_known and bounds, for cutting it into runs. */
class BatchRuns {
  readonly ts: ArrayLike<number>;
  readonly start: number;
  readonly end: number;
  constructor(readonly batch: EdgeBatch<SourceRecord>) {
    const columns = batch instanceof ColumnBatch;
    this.ts = columns ? batch.columns.ts_known : Float64Array.from(batch, (r) => r.ts_known);
    this.start = columns ? batch.start : 0;
    this.end = columns ? batch.end : batch.length;
  }
}
