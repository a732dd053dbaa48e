import { describe, expect, it } from 'vitest';
import { SENTINEL_SEEDS, SENTINEL_SIZE, sentinelRun } from '../helpers/sentinel.ts';

describe('look-ahead sentinel: pure noise (--alpha 0)', () => {
  it.each(SENTINEL_SEEDS)('shows no edge either way before costs with seed %i (|t| < 3)', async (seed) => {
    const r = await sentinelRun({ alpha: 0 }, seed);
    process.stderr.write(`sentinel noise seed ${seed}: gross t ${r.grossT.toFixed(2)}, net t ${r.netT.toFixed(2)}, ${r.fills} fills\n`);
    expect(r.days).toBe(SENTINEL_SIZE.days);
    expect(r.fills).toBeGreaterThan(500);
    expect(Math.abs(r.grossT)).toBeLessThan(3);
  });
});
