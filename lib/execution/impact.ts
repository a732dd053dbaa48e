/**
 * Square-root market impact, with a temporary and a permanent part, estimated point in time. A taker
 * fill of q shares with side s (+1 buy, −1 sell) at a touch price P is priced
 *
 *     price = P · (1 + D + s · η · σ · √(q / V)),   then   D ← D + s · γ · σ · √(q / V)
 *
 * where σ is the symbol's daily volatility (a fraction: the standard deviation of one day's log
 * return), V its average daily volume (shares), η the temporary and γ the permanent coefficient
 * (dimensionless), and D the symbol's accumulated permanent shift (a fraction of price, reset at each
 * session's close). σ and V are estimated from what has been seen so far: σ² from the squared log
 * returns of the mid sampled once a minute (× 390 minutes), V from the traded shares per minute seen
 * (× 390); until `minMinutes` minutes have been seen the fallbacks are used.
 */
import { MINUTE } from '../core/time.ts';

export interface ImpactConfig {
  temporary: number;
  permanent: number;
  fallbackDailyVol: number;
  fallbackDailyVolume: number;
  minMinutes: number;
}

const MINUTES_PER_DAY = 390;
/** Minute samples further apart than this (a night, a halt) are not a one-minute return. */
const MAX_GAP_MINUTES = 5;

export class ImpactEstimate {
  private minute = -1;
  private minuteMid = 0;
  private sumSq = 0;
  private returns = 0;
  private minutes = 0;
  private volume = 0;
  /** The permanent shift D, a fraction of price. */
  shift = 0;

  constructor(private readonly config: ImpactConfig) {}

  /** A mid seen at time `at` (µs). */
  mid(at: number, mid: number): void {
    const m = Math.floor(at / MINUTE);
    if (m <= this.minute) return;
    if (this.minute >= 0 && m - this.minute <= MAX_GAP_MINUTES && this.minuteMid > 0 && mid > 0) {
      const r = Math.log(mid / this.minuteMid);
      this.sumSq += r * r;
      this.returns++;
    }
    this.minutes++;
    this.minute = m;
    this.minuteMid = mid;
  }

  traded(shares: number): void {
    this.volume += shares;
  }

  dailyVol(): number {
    return this.returns >= this.config.minMinutes ? Math.sqrt((this.sumSq / this.returns) * MINUTES_PER_DAY) : this.config.fallbackDailyVol;
  }

  dailyVolume(): number {
    return this.minutes >= this.config.minMinutes && this.volume > 0
      ? (this.volume / this.minutes) * MINUTES_PER_DAY
      : this.config.fallbackDailyVolume;
  }

  /** The price of a taker fill of `qty` shares at `touch` (side +1 buy, −1 sell), and the shift it leaves. */
  price(touch: number, qty: number, side: 1 | -1): { price: number; temporary: number; permanent: number } {
    const root = this.dailyVol() * Math.sqrt(qty / this.dailyVolume());
    const temporary = this.config.temporary * root;
    const permanent = this.config.permanent * root;
    const price = touch * (1 + this.shift + side * temporary);
    this.shift += side * permanent;
    return { price, temporary, permanent };
  }
}
