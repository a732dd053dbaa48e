import { describe, expect, it } from 'vitest';
import { SENTINEL_SEEDS, sentinelT } from '../helpers/sentinel.ts';

describe('look-ahead sentinel: pure noise (--alpha 0)', () => {
  it.each(SENTINEL_SEEDS)('shows no edge with seed %i (t < 2)', async (seed) => {
    const r = await sentinelT(0, seed);
    expect(r.days).toBe(40);
    expect(r.fills).toBeGreaterThan(1000);
    expect(r.t).toBeLessThan(2);
  });
});
