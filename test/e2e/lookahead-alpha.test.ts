import { describe, expect, it } from 'vitest';
import { SENTINEL_IC, SENTINEL_SEEDS, SENTINEL_SIZE, sentinelRun } from '../helpers/sentinel.ts';

describe(`look-ahead sentinel: planted alpha of IC ${SENTINEL_IC} (--ic ${SENTINEL_IC})`, () => {
  it.each(SENTINEL_SEEDS)('finds the edge before costs with seed %i (t > 3)', async (seed) => {
    const r = await sentinelRun({ ic: SENTINEL_IC }, seed);
    process.stderr.write(`sentinel alpha seed ${seed}: gross t ${r.grossT.toFixed(2)}, net t ${r.netT.toFixed(2)}, ${r.fills} fills\n`);
    expect(r.days).toBe(SENTINEL_SIZE.days);
    expect(r.grossT).toBeGreaterThan(3);
  });
});
