import { describe, expect, it } from 'vitest';
import { LatestValues } from '../../../lib/core/latest-values.ts';

describe('LatestValues', () => {
  it('gives the last value set for each key, and undefined for a key never set', () => {
    const v = new LatestValues();
    v.set('A', 1);
    v.set('B', 2);
    v.set('A', 3);
    expect([v.get('A'), v.get('B'), v.get('C')]).toEqual([3, 2, undefined]);
    v.set('B', Number.NaN);
    expect(v.get('B')).toBeNaN();
  });
});
