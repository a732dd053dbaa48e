/**
 * The live clock: time is the wall clock's (µs since the epoch, UTC), and timers fire when it reaches
 * them, in the same order as the backtest's (time, node rank, scheduling order), each called with the
 * time it was scheduled for. Time comes from a {@link TimeSource}, so a test runs the live driver in
 * virtual time and the process in real time.
 */
import type { Clock } from '../../operators/sdk/context.ts';
import { Heap } from '../../lib/core/heap.ts';
import type { Micros } from '../../lib/core/time.ts';

/** Where a live run's time comes from. */
export interface TimeSource {
  now(): Micros;
  /** Calls `fn` once the time is at or after `at`; returns a function that cancels it. */
  wakeAt(at: Micros, fn: () => void): () => void;
}

/** The system's wall clock, with Node's timers. */
export const systemTime: TimeSource = {
  now: () => Date.now() * 1000,
  wakeAt(at, fn) {
    const timer = setTimeout(fn, Math.max(0, Math.ceil((at - Date.now() * 1000) / 1000)));
    return () => clearTimeout(timer);
  },
};

interface Timer {
  at: Micros;
  rank: number;
  order: number;
  fn: (at: Micros) => void;
}

export class WallClock implements Clock {
  private readonly heap = new Heap<Timer>(
    (a, b) => a.at < b.at || (a.at === b.at && (a.rank < b.rank || (a.rank === b.rank && a.order < b.order))),
  );
  private scheduled = 0;
  private armedAt = Infinity;
  private cancelWake: (() => void) | undefined;
  private stopped = false;

  /** Runs after timers fired on a wake-up (the live driver settles the work they started there). */
  onFired: () => void = () => {};

  constructor(private readonly time: TimeSource) {}

  now(): Micros {
    return this.time.now();
  }

  schedule(at: Micros, fn: (at: Micros) => void, rank = 0): void {
    if (this.stopped) return;
    this.heap.push({ at, rank, order: this.scheduled++, fn });
    this.arm();
  }

  /** The clock as one node sees it: its timers rank by the node's topological position. */
  forNode(rank: number): Clock {
    return { now: () => this.now(), schedule: (at, fn) => this.schedule(at, fn, rank) };
  }

  /** Time of the earliest pending timer, or Infinity. */
  nextTimerAt(): Micros {
    return this.heap.peek()?.at ?? Infinity;
  }

  /** Fires, in order, every timer due by now (timers they schedule for now or earlier included). */
  fireDue(): number {
    let fired = 0;
    for (;;) {
      const next = this.heap.peek();
      if (next === undefined || next.at > this.now()) break;
      this.heap.pop();
      next.fn(next.at);
      fired++;
    }
    this.arm();
    return fired;
  }

  /** Fires every timer due by `t` regardless of the time (the end of a run: the last session's close). */
  fireUntil(t: Micros): number {
    let fired = 0;
    for (let next = this.heap.peek(); next !== undefined && next.at <= t; next = this.heap.peek()) {
      this.heap.pop();
      next.fn(next.at);
      fired++;
    }
    return fired;
  }

  /** No more wake-ups: pending timers stay for {@link fireUntil}, new ones are ignored. */
  stop(): void {
    this.stopped = true;
    this.cancelWake?.();
    this.cancelWake = undefined;
    this.armedAt = Infinity;
  }

  private arm(): void {
    if (this.stopped) return;
    const at = this.nextTimerAt();
    if (at === this.armedAt) return;
    this.cancelWake?.();
    this.cancelWake = undefined;
    this.armedAt = at;
    if (at === Infinity) return;
    this.cancelWake = this.time.wakeAt(at, () => {
      this.armedAt = Infinity;
      this.cancelWake = undefined;
      if (this.fireDue() > 0) this.onFired();
    });
  }
}
