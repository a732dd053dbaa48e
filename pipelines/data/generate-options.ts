/** The defaults and bounds of `alpha data generate`, apart from the generator so the CLI can show them without loading it. */
import { DEFAULT_START } from './calendar.ts';

/** Bounds on a generated dataset (docs/data.md): a symbol-day is about 1,900 quotes and 60 KB of Parquet. */
export const GENERATE_LIMITS = { symbols: 10_000, days: 2_520, symbolDays: 20_000 };

/**
 * Where a generated trade prints. `quote-in-force` (the default): at the touch of the latest quote at
 * or before the trade (the previous minute's last quote when the minute has none yet). `last-touch`:
 * at the touch of the last quote of its minute, even when that quote comes after the trade — the rule
 * of the samples before issue 14, which flatters limit orders filled on a trade-through.
 */
export const TRADE_PRICE_RULES = ['quote-in-force', 'last-touch'] as const;
export type TradePriceRule = (typeof TRADE_PRICE_RULES)[number];

/**
 * The planted alpha's default strength, as its information coefficient over 15 minutes: at the top of
 * the 0.01–0.03 of real intraday signals, where the default model still learns part of it
 * (docs/decisions.md, "The default sample's planted IC"). `--alpha` sets a strength directly instead.
 */
export const DEFAULT_IC = 0.03;

export const GENERATE_DEFAULTS = {
  symbols: 40,
  days: 20,
  start: DEFAULT_START,
  seed: 1,
  ic: DEFAULT_IC,
  tradePrices: 'quote-in-force' as TradePriceRule,
  correctionRate: 0.003,
  depth: 0,
};

/** Most levels `--depth` writes (the top included): each adds two rows per quote. */
export const MAX_DEPTH = 10;

/**
 * Why `--depth` cannot be `depth` for a dataset of `symbolDays` symbol-days, or undefined: 0 or a
 * whole number of levels from 2 to MAX_DEPTH, and with each level beyond the top two more rows per
 * quote, at most GENERATE_LIMITS.symbolDays symbol-days × levels beyond the top.
 */
export function depthProblem(depth: number, symbolDays: number): string | undefined {
  if (!(Number.isInteger(depth) && (depth === 0 || (depth >= 2 && depth <= MAX_DEPTH))))
    return `--depth is ${depth}: expected 0 (no depth dataset) or a whole number of levels from 2 to ${MAX_DEPTH}, the top included`;
  const cells = symbolDays * Math.max(0, depth - 1);
  if (cells > GENERATE_LIMITS.symbolDays)
    return (
      `--depth ${depth} on ${symbolDays.toLocaleString('en-US')} symbol-days is ${cells.toLocaleString('en-US')} symbol-days × levels beyond the top: ` +
      `expected at most ${GENERATE_LIMITS.symbolDays.toLocaleString('en-US')} (fewer levels, symbols or days)`
    );
  return undefined;
}
