import { describe, expect, it } from 'vitest';
import { ReturnsWindow } from '../../../lib/optimise/returns-window.ts';

const MIN = 60_000_000;
const DAY = 24 * 60 * MIN;

/** One bar a minute for `minutes` minutes from `start`, close = price(t). */
function feed(w: ReturnsWindow, symbols: string[], start: number, minutes: number, price: (s: number, m: number) => number): void {
  for (let m = 1; m <= minutes; m++) symbols.forEach((s, i) => w.add(s, start + m * MIN, price(i, m)));
}

describe('ReturnsWindow', () => {
  it('samples the last close of each period and returns log changes between adjacent periods', () => {
    const w = new ReturnsWindow(15 * MIN, 100);
    feed(w, ['A', 'B'], 0, 60, (i, m) => 100 * (1 + i) * Math.exp(0.001 * m));
    // Periods end at 15, 30, 45, 60: three complete returns once time reaches 60.
    expect(w.count(60 * MIN)).toBe(3);
    const r = w.returns(['B', 'A', 'C'], 60 * MIN);
    expect(r).toHaveLength(3);
    r.forEach((row) => {
      expect(row[0]).toBeCloseTo(0.015, 12);
      expect(row[1]).toBeCloseTo(0.015, 12);
      expect(row[2]).toBe(0); // never seen: no move
    });
  });

  it('never uses a period that has not ended (no look-ahead)', () => {
    const w = new ReturnsWindow(15 * MIN, 100);
    feed(w, ['A'], 0, 50, (_, m) => 100 + m);
    expect(w.count(45 * MIN)).toBe(2);
    expect(w.count(44 * MIN)).toBe(1);
    expect(w.returns(['A'], 45 * MIN).at(-1)![0]).toBeCloseTo(Math.log(145 / 130), 12);
  });

  it('no return spans the overnight gap', () => {
    const w = new ReturnsWindow(15 * MIN, 100);
    feed(w, ['A'], 0, 30, () => 100);
    feed(w, ['A'], DAY, 30, () => 200);
    const r = w.returns(['A'], DAY + 30 * MIN);
    expect(r).toEqual([[0], [0]]);
  });

  it('keeps only what the capacity needs, and ignores non-positive prices', () => {
    const w = new ReturnsWindow(MIN, 10);
    feed(w, ['A'], 0, 1000, (_, m) => (m === 500 ? -1 : 100 + m));
    expect(w.count(1000 * MIN)).toBeLessThanOrEqual(11);
    expect(w.returns(['A'], 1000 * MIN)).toHaveLength(10);
    expect(
      w
        .returns(['A'], 1000 * MIN)
        .flat()
        .every(Number.isFinite),
    ).toBe(true);
  });
});
