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

/**
 * The widest quote taken: an ask more than this many times its bid is a stub, a placeholder for a side
 * no real order holds (ITCH's 214748.3647, a market maker's $0.01 / $199,999). Taken as quotes, 22
 * stub asks of one symbol over five minutes of the sample (mids about $107,000 a share) gave a 120%
 * drawdown, the kill switch tripped 703 times, and spread costs of 537M against the arrival mid.
 */
export const MAX_ASK_OVER_BID = 10;

/** Whether an ask this far above its bid is a stub quote ({@link MAX_ASK_OVER_BID}). */
export function isStubQuote(bid: number, ask: number): boolean {
  return ask > bid * MAX_ASK_OVER_BID;
}

/** The reason a stub quote is refused, in every place that refuses one (replay, ingest). */
export function stubQuoteReason(bid: number, ask: number): string {
  return `stub quote: ask ${ask} is more than ${MAX_ASK_OVER_BID}× the bid ${bid} (a placeholder for a side no order holds)`;
}
