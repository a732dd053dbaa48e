/**
 * A trailing window of intraday returns per symbol, from bar closes: the last close of each symbol is
 * sampled at the end of every period of `periodUs` (a bar closing at 10:15 belongs to the period
 * ending 10:15), and a return is the log change between two adjacent periods. Periods with no bar
 * at all (the overnight gap, a halt of the whole market) break the chain, so no return spans them.
 * Only periods that have ended by `now` are used: the window never looks ahead.
 */
import type { Micros } from '../core/time.ts';

interface Sample {
  period: number;
  closes: Map<string, number>;
}

export class ReturnsWindow {
  readonly #samples: Sample[] = [];

  /** Keeps enough samples for `capacity` returns. */
  constructor(
    readonly periodUs: Micros,
    readonly capacity: number,
  ) {
    if (!(periodUs > 0) || !(capacity >= 1)) throw new RangeError(`periodUs ${periodUs} and capacity ${capacity} must be > 0`);
  }

  add(symbol: string, tsEvent: Micros, close: number): void {
    if (!(close > 0) || !Number.isFinite(close)) return;
    const period = Math.ceil(tsEvent / this.periodUs);
    let last = this.#samples[this.#samples.length - 1];
    if (!last || period > last.period) {
      // Carry the closes forward: a symbol without a bar in a period did not move.
      last = { period, closes: new Map(last?.closes ?? []) };
      this.#samples.push(last);
      this.#trim();
    } else if (period < last.period) {
      return; // a bar older than the current period: out of order, ignored
    }
    last.closes.set(symbol, close);
  }

  /** Number of returns whose both ends have ended by `now`. */
  count(now: Micros): number {
    return this.#pairs(now).length;
  }

  /** The last `limit` returns (rows, oldest first) of `symbols` (columns); 0 for a symbol without both closes. */
  returns(symbols: readonly string[], now: Micros, limit = this.capacity): number[][] {
    return this.#pairs(now)
      .slice(-limit)
      .map(([a, b]) =>
        symbols.map((s) => {
          const pa = a.closes.get(s);
          const pb = b.closes.get(s);
          return pa !== undefined && pb !== undefined ? Math.log(pb / pa) : 0;
        }),
      );
  }

  #pairs(now: Micros): [Sample, Sample][] {
    const out: [Sample, Sample][] = [];
    for (let i = 1; i < this.#samples.length; i++) {
      const a = this.#samples[i - 1]!;
      const b = this.#samples[i]!;
      if (b.period * this.periodUs > now) break;
      if (b.period === a.period + 1) out.push([a, b]);
    }
    return out;
  }

  #trim(): void {
    // Drop the oldest sample while the rest still hold capacity + 1 returns (+1: the newest period is open).
    let pairs = 0;
    for (let i = 1; i < this.#samples.length; i++) if (this.#samples[i]!.period === this.#samples[i - 1]!.period + 1) pairs++;
    while (this.#samples.length > 2) {
      const dropped = this.#samples[1]!.period === this.#samples[0]!.period + 1 ? 1 : 0;
      if (pairs - dropped < this.capacity + 1) break;
      this.#samples.shift();
      pairs -= dropped;
    }
  }
}
