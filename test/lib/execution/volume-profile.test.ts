/** The point-in-time volume profile: only complete days count, averaged over the last `days`. */
import { describe, expect, it } from 'vitest';
import { VolumeProfile } from '../../../lib/execution/volume-profile.ts';

describe('VolumeProfile', () => {
  it('holds nothing until a day has ended: the day itself never counts', () => {
    const p = new VolumeProfile(10, 3);
    p.add(5, 100);
    expect(p.expected(0, 10)).toBe(0);
    p.endDay();
    expect(p.daysSeen).toBe(1);
    expect(p.expected(0, 10)).toBe(100);
    p.add(5, 1000); // today's: not in the profile yet
    expect(p.expected(0, 10)).toBe(100);
  });

  it('averages the last `days` days by bucket, the oldest leaving', () => {
    const p = new VolumeProfile(10, 2);
    for (const v of [100, 200, 600]) {
      p.add(3, v);
      p.add(25, v / 2);
      p.endDay();
    }
    // Days 2 and 3 only: bucket 0 (200 + 600)/2 = 400, bucket 2 (100 + 300)/2 = 200, bucket 1 empty.
    expect([p.bucketVolume(0), p.bucketVolume(1), p.bucketVolume(2)]).toEqual([400, 0, 200]);
  });

  it('spreads a bucket evenly over it: a window takes its overlap with each bucket', () => {
    const p = new VolumeProfile(10, 1);
    p.add(1, 100);
    p.add(12, 40);
    p.endDay();
    // [5, 15): half of bucket 0 (50) + half of bucket 1 (20); [0, 30): all of both; reversed: none.
    expect(p.expected(5, 15)).toBe(70);
    expect(p.expected(0, 30)).toBe(140);
    expect(p.expected(15, 5)).toBe(0);
  });

  it('ignores sizes that are not positive and times before the open', () => {
    const p = new VolumeProfile(10, 1);
    p.add(-1, 100);
    p.add(1, Number.NaN);
    p.add(1, -5);
    p.endDay();
    expect(p.expected(0, 100)).toBe(0);
  });
});
