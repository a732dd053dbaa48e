/**
 * The book beyond the touch, for `execution.book-broker`: each side's levels as the latest picture of
 * a BookDepth dataset shows them (schemas/BookDepth.avsc), what our takers took from each price, and
 * the walk of a taker through them.
 *
 * What was taken at a price stays taken while the price is displayed on its side, at a level or at
 * the touch: the rule of the touch (book-matcher.ts), which forgets what it took only when the touch
 * moves. A new picture shows the size again, but in a replay of history it is the size that was there
 * before we took from it, so counting it twice would fill us from liquidity that is gone.
 */

/** A taker's fill at one level: `qty` shares at `price`, level `index` of the side's picture. */
export interface LevelFill {
  index: number;
  price: number;
  qty: number;
}

/**
 * What a taker of `qty` shares gets from `prices`/`available` (a side's levels, best first: asks
 * rising, bids falling), skipping the levels that are not strictly beyond `touch` (a picture older or
 * newer than the quote in force) and stopping at the first level beyond `limit` (null: a market
 * order). Whole shares: a level fills at most `floor(available)`.
 *
 * @example
 * // A buy of 500 over asks 10.02 (200 left) and 10.03 (400 left), the touch at 10.01:
 * walkLevels([10.02, 10.03], [200, 400], 500, true, 10.01, null);
 * // → [{ index: 0, price: 10.02, qty: 200 }, { index: 1, price: 10.03, qty: 300 }]
 */
export function walkLevels(
  prices: readonly number[],
  available: readonly number[],
  qty: number,
  buy: boolean,
  touch: number,
  limit: number | null,
): LevelFill[] {
  const out: LevelFill[] = [];
  let left = qty;
  for (let i = 0; i < prices.length && left > 0; i++) {
    const price = prices[i]!;
    if (buy ? price <= touch : price >= touch) continue;
    if (limit !== null && (buy ? price > limit : price < limit)) break;
    const take = Math.min(left, Math.floor(available[i]!));
    if (take <= 0) continue;
    out.push({ index: i, price, qty: take });
    left -= take;
  }
  return out;
}

/**
 * One side of the book beyond the touch: the latest picture's levels and what was taken at each.
 * What was taken at a price is remembered while the price is displayed, at the touch or at a level of
 * the picture in force: a new picture inherits what was taken at the prices it shows, and forgets the rest.
 */
export class DepthSide {
  prices: number[] = [];
  sizes: number[] = [];
  taken: number[] = [];
  /** ts_event of the picture in force (its rows share it). */
  private stamp = Number.NaN;
  /** What was taken at prices the touch left since the picture began, not shown by it. */
  private carry = new Map<number, number>();
  /** What the previous picture and the touch had taken, for the rows of this picture still to come. */
  private inherited = new Map<number, number>();

  constructor(private readonly buy: boolean) {}

  /**
   * A row of a picture: level 2 starts a new one, level L extends it after L − 1 (same ts_event, each
   * price further from the touch). Returns why the row is refused, or null.
   */
  add(tsEvent: number, level: number, price: number, size: number): string | null {
    if (level === 2) {
      const inherited = this.carry;
      this.prices.forEach((p, i) => {
        if (this.taken[i]! > 0) inherited.set(p, this.taken[i]!);
      });
      this.inherited = inherited;
      this.carry = new Map();
      this.prices = [];
      this.sizes = [];
      this.taken = [];
      this.stamp = tsEvent;
    } else if (level !== this.prices.length + 2 || tsEvent !== this.stamp) {
      const had = this.prices.length === 0 ? 'no levels' : `levels 2…${this.prices.length + 1} at ts_event ${this.stamp}`;
      return `level ${level} does not extend the ${this.buy ? 'bid' : 'ask'} side's picture (it has ${had}): a picture starts at level 2`;
    } else {
      const last = this.prices[this.prices.length - 1]!;
      if (this.buy ? price >= last : price <= last)
        return `level ${level} price ${price} is not beyond level ${level - 1}'s ${last}: ${this.buy ? 'bids fall' : 'asks rise'} away from the touch`;
    }
    this.prices.push(price);
    this.sizes.push(size);
    this.taken.push(this.inherited.get(price) ?? 0);
    return null;
  }

  /** Shares taken at `price` while it has been displayed (the touch moving to it starts from this). */
  takenAt(price: number): number {
    const i = this.prices.indexOf(price);
    return i >= 0 ? this.taken[i]! : (this.carry.get(price) ?? 0);
  }

  /** The touch left `price` with `qty` taken there: remembered while the price is displayed. */
  leftTouch(price: number, qty: number): void {
    const i = this.prices.indexOf(price);
    if (i >= 0) this.taken[i] = qty;
    else if (qty > 0) this.carry.set(price, qty);
    else this.carry.delete(price);
  }

  /** What is left at each level of the picture. */
  available(): number[] {
    return this.sizes.map((size, i) => size - this.taken[i]!);
  }
}
