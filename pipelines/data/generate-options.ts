/** The defaults and bounds of `alpha data generate`, apart from the generator so the CLI can show them without loading it. */
import { DEFAULT_START } from './calendar.ts';

/** Bounds on a generated dataset (docs/data.md): a symbol-day is about 1,900 quotes and 60 KB of Parquet. */
export const GENERATE_LIMITS = { symbols: 10_000, days: 2_520, symbolDays: 20_000 };

export const GENERATE_DEFAULTS = { symbols: 40, days: 20, start: DEFAULT_START, seed: 1, alpha: 1, correctionRate: 0.003 };

/**
 * Where a generated trade prints. `last-touch` (the default, kept so that existing samples and the
 * models trained on them stay byte-identical): at the touch of the last quote of its minute, even when
 * that quote comes after the trade. `quote-in-force`: at the touch of the latest quote at or before
 * the trade (the previous minute's last quote when the minute has none yet).
 */
export const TRADE_PRICE_RULES = ['last-touch', 'quote-in-force'] as const;
export type TradePriceRule = (typeof TRADE_PRICE_RULES)[number];
