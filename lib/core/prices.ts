/**
 * The prices market data may carry. A price of 1e300 passed every check of a finite positive number
 * and turned a run's figures into overflow (a gross return of 9.7e298%, accounting marks at -1.8e300,
 * exit 0): the ceiling refuses such rows as bad prices instead. No instrument trades near it (the
 * highest US share, about $700,000, is under 1e6; NautilusTrader's fixed-point prices stop at about
 * 9.2e9), and within it a price times any sane size stays far inside a double's exact range of cash.
 */
export const MAX_PRICE = 1e9;

/** Whether `x` is a usable price: above 0 and at most {@link MAX_PRICE} (NaN and ±Infinity are not). */
export function isPrice(x: number): boolean {
  return x > 0 && x <= MAX_PRICE;
}

/** What a price must be, for the reason of a refused row. */
export const PRICE_RULE = `prices must be numbers above 0 and at most ${MAX_PRICE.toExponential()}`;
