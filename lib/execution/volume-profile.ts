/**
 * An intraday volume profile learnt point in time: the traded shares in each bucket of the session
 * (minutes since the open) of the last `days` complete sessions seen, averaged. Only sessions that
 * have ended count, so a VWAP schedule made during a day uses no volume of that day or later.
 */
import type { Micros } from '../core/time.ts';

export class VolumeProfile {
  private readonly past: number[][] = [];
  private today: number[] = [];

  constructor(
    private readonly bucket: Micros,
    private readonly days: number,
  ) {}

  /** Shares traded `offset` µs after the day's open. */
  add(offset: Micros, shares: number): void {
    if (!(offset >= 0) || !(shares > 0)) return;
    const i = Math.floor(offset / this.bucket);
    while (this.today.length <= i) this.today.push(0);
    this.today[i]! += shares;
  }

  /** The day is over: its buckets join the profile (the oldest beyond `days` leaves it). */
  endDay(): void {
    this.past.push(this.today);
    if (this.past.length > this.days) this.past.shift();
    this.today = [];
  }

  /** Complete days the profile holds. */
  get daysSeen(): number {
    return this.past.length;
  }

  /** Average shares of bucket i over the days held (0 with none). */
  bucketVolume(i: number): number {
    if (this.past.length === 0) return 0;
    let sum = 0;
    for (const day of this.past) sum += day[i] ?? 0;
    return sum / this.past.length;
  }

  /**
   * Shares expected between `from` and `to` (µs after the open), each bucket's volume spread evenly
   * over it.
   *
   * @example
   * const p = new VolumeProfile(10, 1);
   * p.add(0, 100); p.add(15, 50); p.endDay();
   * p.expected(5, 15); // half of bucket 0 (50) + half of bucket 1 (25) = 75
   */
  expected(from: Micros, to: Micros): number {
    if (!(to > from)) return 0;
    let sum = 0;
    for (let i = Math.max(0, Math.floor(from / this.bucket)); i * this.bucket < to; i++) {
      const lo = Math.max(from, i * this.bucket);
      const hi = Math.min(to, (i + 1) * this.bucket);
      if (hi > lo) sum += (this.bucketVolume(i) * (hi - lo)) / this.bucket;
    }
    return sum;
  }
}
