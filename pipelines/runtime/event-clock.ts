/**
 * The backtest clock: time follows the replayed data. Timers wait in a heap ordered by
 * (time, node rank, scheduling order) and fire when the runner advances the clock to them, before the
 * data at that time is delivered. Ranking by the node's topological position means that, at the same
 * instant, a bar closes before the snapshot that reads it.
 */
import type { Clock } from '../../operators/sdk/context.ts';
import { Heap } from '../../lib/core/heap.ts';
import type { Micros } from '../../lib/core/time.ts';

interface Timer {
  at: Micros;
  rank: number;
  order: number;
  fn: (at: Micros) => void;
}

export class EventClock implements Clock {
  protected current: Micros;
  private readonly heap = new Heap<Timer>(
    (a, b) => a.at < b.at || (a.at === b.at && (a.rank < b.rank || (a.rank === b.rank && a.order < b.order))),
  );
  private scheduled = 0;

  constructor(start: Micros) {
    this.current = start;
  }

  now(): Micros {
    return this.current;
  }

  schedule(at: Micros, fn: (at: Micros) => void, rank = 0): void {
    if (at < this.current && !this.acceptsPast) throw new RangeError(`timer at ${at} is in the past (now ${this.current})`);
    this.heap.push({ at, rank, order: this.scheduled++, fn });
  }

  /** Whether a timer may be set before now (it then fires next, at now): the live clock's rule. */
  protected get acceptsPast(): boolean {
    return false;
  }

  /** The clock as one node sees it: its timers rank by the node's topological position. */
  forNode(rank: number): Clock {
    return { now: () => this.current, schedule: (at, fn) => this.schedule(at, fn, rank) };
  }

  /** Time of the earliest pending timer, or Infinity. */
  nextTimerAt(): Micros {
    return this.heap.peek()?.at ?? Infinity;
  }

  /**
   * Fires the earliest timer if it is due at or before `t` and says whether it did. The runner uses
   * it to let held work settle between timers.
   */
  fireNext(t: Micros): boolean {
    const next = this.heap.peek();
    if (next === undefined || next.at > t) return false;
    const timer = this.heap.pop()!;
    if (timer.at > this.current) this.current = timer.at;
    timer.fn(timer.at);
    return true;
  }

  /** Rank of the earliest pending timer (the node that scheduled it), or Infinity. */
  nextTimerRank(): number {
    return this.heap.peek()?.rank ?? Infinity;
  }

  /** Fires, in order, every timer due at or before `t`, then sets the time to `t`. */
  advanceTo(t: Micros): void {
    while (this.fireNext(t));
    if (t > this.current) this.current = t;
  }
}
