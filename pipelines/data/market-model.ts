/**
 * The synthetic market's return process, minute by minute: a market factor, sector factors,
 * stochastic volatility with intraday seasonality, and a planted alpha.
 *
 * The planted alpha is a drift on each symbol's idiosyncratic return, a function of what the graph's
 * features can see (its own past idiosyncratic returns and its volatility regime):
 *
 *   drift = strength · KAPPA · σ_t · ( W_LIN · (−z30) + W_NONLIN · z10 · regime )
 *
 * z30 and z10 are the past 30- and 10-minute idiosyncratic returns in units of their expected
 * standard deviation (clipped at ±3), regime is +1 when the symbol's volatility is above its norm
 * and −1 below (momentum in turbulent markets, reversal in calm ones). A linear model finds the first
 * term; only a non-linear one finds the second. The form and coefficients are constants, not drawn
 * from the seed, so a model trained on one dataset applies to another.
 */
import type { Rng } from '../../lib/core/rng.ts';
import { SESSION_MINUTES } from './calendar.ts';

export const KAPPA = 0.11;
export const W_LIN = 0.6;
export const W_NONLIN = 0.4;
export const PLANTED_ALPHA_DESCRIPTION =
  `drift = alpha * ${KAPPA} * sigma_t * (${W_LIN} * -z(idio return, 30 min) + ${W_NONLIN} * z(idio return, 10 min) * regime), ` +
  "regime = +1 when volatility is above the symbol's norm, else -1; z = return / expected std, clipped to ±3";

/**
 * The planted alpha's information coefficient as a function of its strength, for `--ic`. The IC is
 * the mean, over 15-minute snapshots (minutes 30, 45, … of each session, the default graph's
 * cadence), of the cross-sectional Spearman correlation between the planted signal known at the
 * snapshot (signal() below) and each symbol's total log return over the next 15 minutes (factors
 * included, on the model's price path before quote noise). Measured by scripts/data/calibrate-ic.ts
 * (800 symbols × 60 days, 1,440 snapshots per strength, standard error about 0.001) at strengths
 * 0.1–1.2, the IC bends slightly below linear as the reversal damps its own signal:
 * IC ≈ IC_SLOPE · k − IC_CURVE · k² (0.132 at the default strength 1).
 */
export const IC_SLOPE = 0.1519;
export const IC_CURVE = 0.0194;
/** The largest `--ic` accepted: the calibration above stops at strength 1.2 (IC 0.155). */
export const MAX_IC = 0.15;

/** The strength whose planted IC is `ic` (0 ≤ ic ≤ MAX_IC): the smaller root of the curve above. */
export function strengthForIC(ic: number): number {
  return (IC_SLOPE - Math.sqrt(IC_SLOPE * IC_SLOPE - 4 * IC_CURVE * ic)) / (2 * IC_CURVE);
}

export const SECTORS = ['TECH', 'FIN', 'HLTH', 'ENRG', 'INDU', 'CONS', 'UTIL', 'MATL'] as const;

export interface SymbolParams {
  symbol: string;
  sector: number;
  price: number;
  beta: number;
  sectorLoading: number;
  /** Idiosyncratic volatility per minute, before seasonality and the volatility regime. */
  sigma: number;
  halfSpreadBps: number;
  quotesPerMinute: number;
  tradesPerMinute: number;
}

export function drawUniverse(rng: Rng, count: number): SymbolParams[] {
  return Array.from({ length: count }, (_, i) => {
    const dailyVol = 0.012 + 0.018 * rng.next();
    return {
      symbol: `SYM${String(i).padStart(3, '0')}`,
      sector: i % SECTORS.length,
      price: Math.exp(Math.log(20) + rng.next() * Math.log(10)),
      beta: 0.6 + 0.8 * rng.next(),
      sectorLoading: 0.5 + 0.5 * rng.next(),
      sigma: dailyVol / Math.sqrt(SESSION_MINUTES),
      halfSpreadBps: 1 + 3 * rng.next(),
      quotesPerMinute: 3 + 6 * rng.next(),
      tradesPerMinute: 0.8 + 1.5 * rng.next(),
    };
  });
}

/** Intraday U-shape of volatility and activity, minute m of the session. */
export function seasonality(m: number): number {
  return 0.75 + 0.9 * Math.exp(-m / 25) + 0.5 * Math.exp(-(SESSION_MINUTES - 1 - m) / 25);
}

const MARKET_SIGMA = 0.009 / Math.sqrt(SESSION_MINUTES);
const SECTOR_SIGMA = 0.005 / Math.sqrt(SESSION_MINUTES);
const VOL_PERSISTENCE = Math.exp(-1 / (SESSION_MINUTES * 1.5));
const VOL_OF_VOL = 0.45;
const LONG = 30;
const SHORT = 10;

/** Per-symbol state carried from minute to minute (and across days). */
export class SymbolPath {
  logPrice: number;
  /** Log volatility multiplier, an AR(1) around 0. */
  h: number;
  private readonly idio = new Float64Array(LONG);
  private idioIndex = 0;
  private sumLong = 0;
  private sumShort = 0;
  private filled = 0;

  constructor(
    readonly params: SymbolParams,
    rng: Rng,
  ) {
    this.logPrice = Math.log(params.price);
    this.h = VOL_OF_VOL * rng.normal();
  }

  volMultiplier(): number {
    return Math.exp(this.h - (VOL_OF_VOL * VOL_OF_VOL) / 2);
  }

  /**
   * The planted signal for the coming minute, from returns already realised (0 until 30 minutes of
   * the session have passed). `season` is seasonality() of the coming minute.
   */
  signal(season: number): number {
    if (this.filled < LONG) return 0;
    const scale = this.params.sigma * season;
    const z30 = clip(this.sumLong / (scale * Math.sqrt(LONG)));
    const z10 = clip(this.sumShort / (scale * Math.sqrt(SHORT)));
    const regime = this.h > 0 ? 1 : -1;
    return W_LIN * -z30 + W_NONLIN * z10 * regime;
  }

  /** The planted drift for the coming minute. */
  drift(strength: number, sigmaNow: number, season: number): number {
    if (strength === 0 || this.filled < LONG) return 0;
    return strength * KAPPA * sigmaNow * this.signal(season);
  }

  /** Advances one minute; returns the total log return. */
  step(rng: Rng, strength: number, m: number, market: number, sector: number): number {
    this.h = VOL_PERSISTENCE * this.h + Math.sqrt(1 - VOL_PERSISTENCE * VOL_PERSISTENCE) * VOL_OF_VOL * rng.normal();
    const season = seasonality(m);
    const sigmaNow = this.params.sigma * season * this.volMultiplier();
    const idio = sigmaNow * rng.normal() + this.drift(strength, sigmaNow, season);
    this.remember(idio);
    const r = this.params.beta * market + this.params.sectorLoading * sector + idio;
    this.logPrice += r;
    return r;
  }

  /** The overnight gap: factor and idiosyncratic noise, no alpha. The intraday memory is reset. */
  overnight(rng: Rng, market: number): void {
    this.logPrice += this.params.beta * market + this.params.sigma * 4 * rng.normal();
    this.idio.fill(0);
    this.sumLong = this.sumShort = 0;
    this.filled = 0;
    this.idioIndex = 0;
  }

  private remember(x: number): void {
    const i = this.idioIndex;
    this.sumLong += x - this.idio[i]!;
    const leavingShort = this.idio[(i + LONG - SHORT) % LONG]!;
    this.sumShort += x - (this.filled >= SHORT ? leavingShort : 0);
    this.idio[i] = x;
    this.idioIndex = (i + 1) % LONG;
    if (this.filled < LONG) this.filled++;
  }
}

export function marketFactor(rng: Rng, m: number): number {
  return MARKET_SIGMA * seasonality(m) * rng.normal();
}

export function sectorFactor(rng: Rng, m: number): number {
  return SECTOR_SIGMA * seasonality(m) * rng.normal();
}

export function overnightMarket(rng: Rng): number {
  return 0.006 * rng.normal();
}

function clip(z: number): number {
  return Math.min(3, Math.max(z, -3));
}
