/**
 * What a live run's feeds did, for its status line and summary: records per source, the span from the
 * first batch read to the last, and the lag of each batch (its first record's receipt → its step).
 */
import type { FeedObserver } from './drive-live.ts';
import { LagHistogram } from './lag-histogram.ts';

/** The most lag samples kept: a uniform sample beyond that, so a long run's memory stays bounded. */
const MAX_SAMPLES = 1_000_000;

export class FeedStats implements FeedObserver {
  events = 0;
  private readonly bySource: Map<string, number>;
  private firstAt: number | undefined;
  private lastAt = 0;
  private readonly lags: number[] = [];
  private seen = 0;
  private worst = 0;
  private max = 0;
  /** Every lag, in buckets (`alpha live --metrics`); the samples above are for the summary's quantiles. */
  readonly lagBuckets = new LagHistogram();

  constructor(sources: readonly string[]) {
    this.bySource = new Map(sources.map((s) => [s, 0]));
  }

  read(source: string, records: number): void {
    const t = performance.now() / 1000;
    this.firstAt ??= t;
    this.lastAt = t;
    this.events += records;
    this.bySource.set(source, (this.bySource.get(source) ?? 0) + records);
  }

  stepped(micros: number): void {
    this.seen++;
    if (this.lags.length < MAX_SAMPLES) this.lags.push(micros);
    else {
      // Reservoir sampling; a metric of the run, not an operator's input, so Math.random is fine here.
      const k = Math.floor(Math.random() * this.seen);
      if (k < this.lags.length) this.lags[k] = micros;
    }
    if (micros > this.worst) this.worst = micros;
    if (micros > this.max) this.max = micros;
    this.lagBuckets.observe(micros);
  }

  /** Records read so far, by source. */
  get sources(): ReadonlyMap<string, number> {
    return this.bySource;
  }

  /** The largest lag so far, in µs (lagMs().max before its rounding). */
  get maxLagMicros(): number {
    return this.max;
  }

  /** The sources that delivered nothing (a feed that never answered). */
  silent(): string[] {
    return [...this.bySource].filter(([, n]) => n === 0).map(([name]) => name);
  }

  /** Seconds from the first batch read to the last. */
  seconds(): number {
    return this.firstAt === undefined ? 0 : Math.round((this.lastAt - this.firstAt) * 1000) / 1000;
  }

  /** The largest lag since the last call, in ms. */
  recentLagMs(): number {
    const w = this.worst;
    this.worst = 0;
    return w / 1000;
  }

  lagMs(): { p50: number; p99: number; max: number } {
    const s = Float64Array.from(this.lags).sort();
    const q = (p: number): number => (s.length === 0 ? 0 : Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]! / 10) / 100);
    return { p50: q(0.5), p99: q(0.99), max: Math.round(this.max / 10) / 100 };
  }
}
