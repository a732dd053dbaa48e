/** Element-wise comparison of computed series with the values a test derives for them. */
import { expect } from 'vitest';

/** Element-wise close to `digits` decimals, NaN where NaN is expected; the lengths must match. */
export function expectNear(actual: readonly number[], expected: readonly number[], digits = 12): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => {
    if (Number.isNaN(expected[i])) expect(v, `element ${i}`).toBeNaN();
    else expect(v, `element ${i}`).toBeCloseTo(expected[i]!, digits);
  });
}
