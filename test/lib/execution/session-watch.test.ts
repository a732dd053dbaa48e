/**
 * SessionWatch: an order-entry session down (never up, or lost) for 5 s is said once per outage,
 * and its return is news; a session that comes up in time, or drops and comes back within the
 * bound, is not.
 */
import { describe, expect, it } from 'vitest';
import { SessionWatch } from '../../../lib/execution/session-watch.ts';

/** Asks each second up to `seconds`; `events` (by second) say when it logged in or was lost. */
function run(watch: SessionWatch, seconds: number, events: Record<number, 'in' | 'lost'>): [number, string][] {
  const said: [number, string][] = [];
  for (let s = 0; s <= seconds; s++) {
    const e = events[s];
    if (e === 'in') {
      const back = watch.loggedIn(s * 1000);
      if (back) said.push([s, back]);
    } else if (e === 'lost') watch.lost(s * 1000);
    const down = watch.check(s * 1000);
    if (down !== undefined) said.push([s, `down ${down} ms`]);
  }
  return said;
}

describe('SessionWatch', () => {
  it('says a session never up for 5 s once, and its login later', () => {
    expect(run(new SessionWatch(0), 12, { 9: 'in' })).toEqual([
      [5, 'down 5000 ms'],
      [9, 'logged in again after 9.0 s without a session'],
    ]);
  });

  it('says nothing of a login in time, nor of a drop mended within the bound', () => {
    expect(run(new SessionWatch(0), 20, { 1: 'in', 6: 'lost', 9: 'in' })).toEqual([]);
  });

  it('counts an outage from the drop, once, and again for the next one', () => {
    expect(run(new SessionWatch(0), 30, { 1: 'in', 10: 'lost', 17: 'in', 20: 'lost' })).toEqual([
      [15, 'down 5000 ms'],
      [17, 'logged in again after 7.0 s without a session'],
      [25, 'down 5000 ms'],
    ]);
  });

  it('a resumed run counts from when it starts connecting', () => {
    const w = new SessionWatch(0);
    w.connecting(60_000);
    expect(w.check(62_000)).toBeUndefined();
    expect(w.check(65_000)).toBe(5_000);
  });
});
