import type { Quote } from '../../schemas/types.generated.ts';

/**
 * Quotes source.replay refuses, each with the reason it gives, as changes to a sound quote of bid 10,
 * ask 10.1, sizes 100: bad prices and sizes, a crossed quote, and symbols outside the universe, one
 * of them `longSymbol` characters long (named by its first 64 and its length). The network sources
 * (source.kafka, source.redis) must refuse them with the same reasons.
 */
export function refusedQuotes(longSymbol: number): [Partial<Quote>, string][] {
  return [
    [{ bid: Number.NaN }, 'bad price: bid NaN, ask 10.1 (prices must be numbers above 0 and at most 1e+9)'],
    [{ ask: Number.POSITIVE_INFINITY }, 'bad price: bid 10, ask Infinity (prices must be numbers above 0 and at most 1e+9)'],
    // A price of 1e300 passed as finite, and the run's figures overflowed (a gross return of 9.7e298%).
    [{ bid: 1e300, ask: 1.0001e300 }, 'bad price: bid 1e+300, ask 1.0001e+300 (prices must be numbers above 0 and at most 1e+9)'],
    [{ bid_size: Number.NEGATIVE_INFINITY }, 'bad size: bid_size -Infinity, ask_size 100 (sizes must be finite numbers >= 0)'],
    // An infinite size passed and made the bars' imbalance and the microstructure features NaN.
    [{ ask_size: Number.POSITIVE_INFINITY }, 'bad size: bid_size 100, ask_size Infinity (sizes must be finite numbers >= 0)'],
    [{ bid: 10.2 }, 'crossed quote: bid 10.2 > ask 10.1'],
    // ITCH's no-price value as an ask: its mid marked a position at about $107,000 a share.
    [{ ask: 214748.3647 }, 'stub quote: ask 214748.3647 is more than 10× the bid 10 (a placeholder for a side no order holds)'],
    [{ symbol: '' }, `unknown symbol "": not in the dataset's universe`],
    [{ symbol: 'X'.repeat(longSymbol) }, `unknown symbol "${'X'.repeat(64)}…" (${longSymbol} characters): not in the dataset's universe`],
    [{ symbol: 'ZZZ' }, `unknown symbol "ZZZ": not in the dataset's universe`],
  ];
}
