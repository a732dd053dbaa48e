import { describe, expect, it } from 'vitest';
import { SENTINEL_SEEDS, sentinelT } from '../helpers/sentinel.ts';

describe('look-ahead sentinel: default planted alpha', () => {
  it.each(SENTINEL_SEEDS)('finds the edge with seed %i (t > 3)', async (seed) => {
    const r = await sentinelT(undefined, seed);
    expect(r.days).toBe(40);
    expect(r.t).toBeGreaterThan(3);
  });
});
