/**
 * shortJson (lib/core/short-json.ts), the JSON of a value in a message: JSON.stringify's text for an
 * ordinary value, cut at its room; a value nested a million deep is cut like any other (showValue
 * overflowed the stack on it, and `alpha risk solve` died with "Maximum call stack size exceeded").
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../lib/core/rng.ts';
import { shortJson } from '../../../lib/core/short-json.ts';
import { showValue } from '../../../lib/core/zod-issues.ts';

const rng = new Rng(9);
function randomValue(depth: number): unknown {
  const r = rng.next();
  if (depth <= 0 || r < 0.3) {
    const k = Math.floor(rng.next() * 5);
    return [rng.next() * 200 - 100, `s${Math.floor(rng.next() * 1000)}"\\\n`, true, null, Math.floor(rng.next() * 1e6)][k];
  }
  if (r < 0.65) return Array.from({ length: Math.floor(rng.next() * 4) }, () => randomValue(depth - 1));
  return Object.fromEntries(Array.from({ length: Math.floor(rng.next() * 4) }, (_, i) => [`k${i}`, randomValue(depth - 1)]));
}

describe('shortJson', () => {
  it("is JSON.stringify's text for ordinary values, and its first `room` characters at least when longer", () => {
    for (let i = 0; i < 300; i++) {
      const v = randomValue(5);
      const full = JSON.stringify(v);
      expect(shortJson(v, 100_000)).toBe(full);
      const cut = shortJson(v, 20);
      expect(full.startsWith(cut.slice(0, Math.min(cut.length, full.length)))).toBe(true);
      expect(cut.length).toBeLessThanOrEqual(20 + 24); // the room, and the last token it started (a number, at most 24)
    }
  });

  it('shows NaN and ±Infinity as themselves and skips undefined fields, as the messages did', () => {
    expect(shortJson({ a: Number.NaN, b: [Number.POSITIVE_INFINITY], c: undefined }, 100)).toBe('{"a":"NaN","b":["Infinity"]}');
    expect(showValue(Number.NEGATIVE_INFINITY)).toBe('-Infinity');
  });

  it('cuts a value nested a million deep, and a string of 10 MB, in a few steps', () => {
    let deep: unknown = [];
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(showValue(deep)).toBe(`${'['.repeat(57)}…`);
    let deepObject: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) deepObject = { a: deepObject };
    expect(showValue(deepObject)).toBe(`${'{"a":'.repeat(11)}{"…`);
    expect(showValue('x'.repeat(10_000_000))).toBe(`"${'x'.repeat(56)}…`);
  });
});
