/** The bounds every market-data check shares (lib/core/prices.ts), at their edges. */
import { describe, expect, it } from 'vitest';
import { isPrice, isStubQuote, MAX_ASK_OVER_BID, MAX_PRICE } from '../../../lib/core/prices.ts';

describe('prices', () => {
  it('a price is above 0 and at most 1e9: the ceiling itself is one, the next double is not', () => {
    expect(MAX_PRICE).toBe(1e9);
    expect([1e-4, 0.0001, 1, MAX_PRICE].map(isPrice)).toEqual([true, true, true, true]);
    expect([0, -0, -1, MAX_PRICE + 2 ** -23, 1e300, Number.POSITIVE_INFINITY, Number.NaN].map(isPrice)).toEqual(Array(7).fill(false));
  });

  it('a stub is an ask more than 10x its bid: exactly 10x is a quote', () => {
    expect(MAX_ASK_OVER_BID).toBe(10);
    expect(isStubQuote(1, 10)).toBe(false);
    expect(isStubQuote(0.04, 0.4)).toBe(false);
    expect(isStubQuote(1, 10.0001)).toBe(true);
    expect(isStubQuote(69.51, 214748.3647)).toBe(true);
  });
});
