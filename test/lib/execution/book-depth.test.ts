/**
 * The walk of a taker through the levels beyond the touch, and what a side remembers of what was taken
 * (lib/execution/book-depth.ts). Expected fills are worked out by hand in each case from the rule:
 * skip levels not strictly beyond the touch, stop at the first beyond the limit, take
 * min(what is left to fill, floor(what the level has left)) at each level's price.
 */
import { describe, expect, it } from 'vitest';
import { DepthSide, walkLevels } from '../../../lib/execution/book-depth.ts';

describe('walkLevels', () => {
  it('a market buy takes each ask level in turn until it is filled', () => {
    // 1,000 over 300 + 200 + 500: 300, then 200, then the 500 it still lacks at the third level.
    expect(walkLevels([100.11, 100.13, 100.15], [300, 200, 800], 1000, true, 100.1, null)).toEqual([
      { index: 0, price: 100.11, qty: 300 },
      { index: 1, price: 100.13, qty: 200 },
      { index: 2, price: 100.15, qty: 500 },
    ]);
  });

  it('a market sell takes the bid levels, falling', () => {
    // 250 over bids 99.98 (100) and 99.97 (400): 100, then 150.
    expect(walkLevels([99.98, 99.97], [100, 400], 250, false, 99.99, null)).toEqual([
      { index: 0, price: 99.98, qty: 100 },
      { index: 1, price: 99.97, qty: 150 },
    ]);
  });

  it('stops at the first level beyond the limit', () => {
    // Limit 100.12: 100.11 is within it, 100.13 is not; what is left of the 1,000 is not filled here.
    expect(walkLevels([100.11, 100.13], [300, 200], 1000, true, 100.1, 100.12)).toEqual([{ index: 0, price: 100.11, qty: 300 }]);
    // A sell limited at 99.98 takes 99.98 (at its limit) and not 99.97.
    expect(walkLevels([99.98, 99.97], [100, 400], 250, false, 99.99, 99.98)).toEqual([{ index: 0, price: 99.98, qty: 100 }]);
  });

  it('skips levels that are not strictly beyond the touch (a picture of another quote), and levels with nothing left', () => {
    // Touch 100.12: 100.11 and 100.12 are not beyond it; 100.13 has 0.5 left (no whole share); 100.14 fills.
    expect(walkLevels([100.11, 100.12, 100.13, 100.14], [300, 300, 0.5, 300], 200, true, 100.12, null)).toEqual([
      { index: 3, price: 100.14, qty: 200 },
    ]);
    expect(walkLevels([99.98], [100], 100, false, 99.97, null)).toEqual([]);
    expect(walkLevels([], [], 100, true, 100, null)).toEqual([]);
  });

  it('takes whole shares only', () => {
    expect(walkLevels([10.02], [150.7], 1000, true, 10.01, null)).toEqual([{ index: 0, price: 10.02, qty: 150 }]);
  });
});

describe('DepthSide', () => {
  const picture = (side: DepthSide, at: number, levels: [number, number][]): (string | null)[] =>
    levels.map(([price, size], i) => side.add(at, i + 2, price, size));

  it('a level-2 row starts a new picture; later levels extend it, each further from the touch', () => {
    const asks = new DepthSide(false);
    expect(
      picture(asks, 1, [
        [10.02, 100],
        [10.03, 200],
      ]),
    ).toEqual([null, null]);
    expect(asks.prices).toEqual([10.02, 10.03]);
    expect(picture(asks, 2, [[10.05, 300]])).toEqual([null]);
    expect(asks.prices).toEqual([10.05]);
    expect(asks.sizes).toEqual([300]);
  });

  it('refuses a row that does not extend the picture: a gap, another picture, a price not further out', () => {
    const bids = new DepthSide(true);
    expect(bids.add(1, 3, 9.98, 100)).toMatch(/level 3 does not extend the bid side's picture \(it has no levels\)/);
    expect(bids.add(1, 2, 9.99, 100)).toBeNull();
    expect(bids.add(1, 4, 9.97, 100)).toMatch(/level 4 does not extend .* levels 2…2 at ts_event 1/);
    expect(bids.add(2, 3, 9.97, 100)).toMatch(/level 3 does not extend/);
    expect(bids.add(1, 3, 9.99, 100)).toMatch(/level 3 price 9.99 is not beyond level 2's 9.99: bids fall/);
    expect(bids.prices).toEqual([9.99]);
  });

  it('remembers what was taken at a price while a picture shows it, and forgets it when one does not', () => {
    const asks = new DepthSide(false);
    picture(asks, 1, [
      [10.02, 300],
      [10.03, 300],
    ]);
    asks.taken[0]! += 200;
    expect(asks.available()).toEqual([100, 300]);
    // The next picture shows 10.02 again (500 now): 200 of it were ours already.
    picture(asks, 2, [
      [10.02, 500],
      [10.04, 300],
    ]);
    expect(asks.available()).toEqual([300, 300]);
    // One without 10.02: forgotten, so a picture after that shows it whole.
    picture(asks, 3, [[10.03, 300]]);
    picture(asks, 4, [[10.02, 500]]);
    expect(asks.available()).toEqual([500]);
  });

  it('hands the touch what was taken at the price it moves to, and takes back what the touch had taken when it leaves', () => {
    const asks = new DepthSide(false);
    picture(asks, 1, [[10.02, 300]]);
    asks.taken[0] = 120;
    // The ask moves up to 10.02: the touch starts from the 120 already taken there.
    expect(asks.takenAt(10.02)).toBe(120);
    // The touch leaves 10.01, where we had taken 70: the next picture showing 10.01 keeps them.
    asks.leftTouch(10.01, 70);
    expect(asks.takenAt(10.01)).toBe(70);
    picture(asks, 2, [
      [10.01, 100],
      [10.02, 300],
    ]);
    expect(asks.available()).toEqual([30, 180]);
    // The touch leaves a price the picture shows: its count replaces the level's.
    asks.leftTouch(10.02, 250);
    expect(asks.available()).toEqual([30, 50]);
  });
});
