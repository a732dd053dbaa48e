/**
 * The backtest clock: time follows the replayed data. Timers wait in a heap ordered by
 * (time, node rank, scheduling order) and fire when the runner advances the clock to them, before the
 * data at that time is delivered. Ranking by the node's topological position means that, at the same
 * instant, a bar closes before the snapshot that reads it.
 */
import type { Clock, Micros } from '../../operators/sdk/context.ts';

interface Timer { at: Micros; rank: number; order: number; fn: (at: Micros) => void }

export class EventClock implements Clock {
  private current: Micros;
  private readonly heap: Timer[] = [];
  private scheduled = 0;

  constructor(start: Micros) {
    this.current = start;
  }

  now(): Micros {
    return this.current;
  }

  schedule(at: Micros, fn: (at: Micros) => void, rank = 0): void {
    if (at < this.current) throw new RangeError(`timer at ${at} is in the past (now ${this.current})`);
    this.push({ at, rank, order: this.scheduled++, fn });
  }

  /** The clock as one node sees it: its timers rank by the node's topological position. */
  forNode(rank: number): Clock {
    return { now: () => this.current, schedule: (at, fn) => this.schedule(at, fn, rank) };
  }

  /** Time of the earliest pending timer, or Infinity. */
  nextTimerAt(): Micros {
    return this.heap[0]?.at ?? Infinity;
  }

  /**
   * Fires the earliest timer if it is due at or before `t` and says whether it did. The runner uses
   * it to let held work settle between timers.
   */
  fireNext(t: Micros): boolean {
    if (this.heap.length === 0 || this.heap[0]!.at > t) return false;
    const timer = this.pop();
    this.current = timer.at;
    timer.fn(timer.at);
    return true;
  }

  /** Rank of the earliest pending timer (the node that scheduled it), or Infinity. */
  nextTimerRank(): number {
    return this.heap[0]?.rank ?? Infinity;
  }

  /** Fires, in order, every timer due at or before `t`, then sets the time to `t`. */
  advanceTo(t: Micros): void {
    while (this.fireNext(t));
    if (t > this.current) this.current = t;
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i]!;
    const b = this.heap[j]!;
    return a.at < b.at || (a.at === b.at && (a.rank < b.rank || (a.rank === b.rank && a.order < b.order)));
  }

  private swap(i: number, j: number): void {
    const t = this.heap[i]!;
    this.heap[i] = this.heap[j]!;
    this.heap[j] = t;
  }

  private push(timer: Timer): void {
    this.heap.push(timer);
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private pop(): Timer {
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.heap.length && this.less(l, m)) m = l;
        if (r < this.heap.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}
