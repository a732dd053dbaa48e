/**
 * A live run's feed lag as Prometheus histogram buckets: counts per fixed upper bound, kept as the
 * lags come (a search over 16 bounds per step), so a scrape reads them and Prometheus works out
 * quantiles over any window (`histogram_quantile(0.99, rate(alpha_live_feed_lag_seconds_bucket[1m]))`),
 * which the summary's p50/p99 over the whole run cannot give.
 */

/** Upper bounds in µs: 25 µs (a busy-polled feed) up to 10 s (a loop that fell far behind); +Inf beyond. */
export const LAG_BOUNDS_MICROS: readonly number[] = [
  25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 1_000_000, 2_500_000, 10_000_000,
];

export class LagHistogram {
  /** Lags at or under each bound and over the one before; the last slot counts those over every bound. */
  private readonly counts = new Float64Array(LAG_BOUNDS_MICROS.length + 1);
  private sumMicros = 0;

  observe(micros: number): void {
    if (!(micros >= 0)) micros = 0; // a clock that stepped back: the batch did not wait
    let i = 0;
    while (i < LAG_BOUNDS_MICROS.length && micros > LAG_BOUNDS_MICROS[i]!) i++;
    this.counts[i]!++;
    this.sumMicros += micros;
  }

  /** Cumulative counts by bound (`le`, in seconds, Infinity last), the sum in seconds and the count. */
  read(): { buckets: { le: number; count: number }[]; sumSeconds: number; count: number } {
    let running = 0;
    const buckets = [...LAG_BOUNDS_MICROS, Number.POSITIVE_INFINITY].map((bound, i) => {
      running += this.counts[i]!;
      return { le: bound / 1e6, count: running };
    });
    return { buckets, sumSeconds: this.sumMicros / 1e6, count: running };
  }
}
