/**
 * Step keys order a run: compareKeys must order them as the lexicographic order of (t, phase, order,
 * seq) does, infinities included (END_KEY equals itself), and agree with their text form's round trip.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys, decodeKey, END_KEY, encodeKey, type StepKey } from '../../pipelines/runtime/step.ts';

/** The order written from the definition, field by field with < and > (the reference). */
function lexicographic(a: StepKey, b: StepKey): number {
  for (const f of ['t', 'phase', 'order', 'seq'] as const) {
    if (a[f] < b[f]) return -1;
    if (a[f] > b[f]) return 1;
  }
  return 0;
}

const time = fc.oneof(
  fc.constantFrom(-Infinity, Infinity, 0, 1_700_000_000_000_000),
  fc.integer({ min: 1_700_000_000_000_000, max: 1_700_000_000_000_100 }),
);
const key = fc.record({
  t: time,
  phase: fc.constantFrom(0 as const, 1 as const),
  order: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(Infinity)),
  seq: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(Infinity)),
});

describe('compareKeys', () => {
  it('has the sign of the lexicographic order of (t, phase, order, seq)', () => {
    fc.assert(
      fc.property(key, key, (a, b) => {
        expect(Math.sign(compareKeys(a, b))).toBe(lexicographic(a, b));
        expect(Math.sign(compareKeys(b, a))).toBe(-lexicographic(a, b) || 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('holds END_KEY equal to itself and after every finite key', () => {
    expect(compareKeys(END_KEY, END_KEY)).toBe(0);
    expect(compareKeys({ t: 1, phase: 1, order: 0, seq: 5 }, END_KEY)).toBeLessThan(0);
  });

  it('orders finite keys as their decoded text form does', () => {
    const finite = key.filter((k) => Number.isFinite(k.t) && Number.isFinite(k.order) && Number.isFinite(k.seq));
    fc.assert(
      fc.property(finite, finite, (a, b) => {
        expect(Math.sign(compareKeys(decodeKey(encodeKey(a)), decodeKey(encodeKey(b))))).toBe(Math.sign(compareKeys(a, b)));
      }),
      { numRuns: 500 },
    );
  });
});
