/**
 * SessionWatch: an order-entry session down (never up, or lost) for 5 s is said once per outage,
 * and its return is news once the login has held a second; a session that comes up in time, or
 * drops and comes back within the bound, is not; logins that drop within a second end no outage.
 */
import { describe, expect, it } from 'vitest';
import { SessionWatch } from '../../../lib/execution/session-watch.ts';

/** Asks each second up to `seconds`; `events` (by second) say when it logged in or was lost. */
function run(watch: SessionWatch, seconds: number, events: Record<number, 'in' | 'lost'>): [number, string][] {
  const said: [number, string][] = [];
  for (let s = 0; s <= seconds; s++) {
    const e = events[s];
    if (e === 'in') watch.loggedIn(s * 1000);
    else if (e === 'lost') watch.lost(s * 1000);
    const c = watch.check(s * 1000);
    if (c) said.push([s, 'down' in c ? `down ${c.down} ms` : `back after ${c.back} ms`]);
  }
  return said;
}

describe('SessionWatch', () => {
  it('says a session never up for 5 s once, and its login later', () => {
    expect(run(new SessionWatch(0), 12, { 9: 'in' })).toEqual([
      [5, 'down 5000 ms'],
      [10, 'back after 9000 ms'], // once the login of 9 has held a second
    ]);
  });

  it('says nothing of a login in time, nor of a drop mended within the bound', () => {
    expect(run(new SessionWatch(0), 20, { 1: 'in', 6: 'lost', 9: 'in' })).toEqual([]);
  });

  it('counts an outage from the drop, once, and again for the next one', () => {
    expect(run(new SessionWatch(0), 30, { 1: 'in', 10: 'lost', 17: 'in', 20: 'lost' })).toEqual([
      [15, 'down 5000 ms'],
      [18, 'back after 7000 ms'],
      [25, 'down 5000 ms'],
    ]);
  });

  it('counts logins that drop within a second as no session: the outage goes on, said once, over once a login holds', () => {
    // Logged in at 1 and held; lost at 10; then a login each second that drops at once; one that holds at 30.
    const w = new SessionWatch(0);
    const said: [number, string][] = [];
    const look = (t: number): void => {
      const c = w.check(t);
      if (c) said.push([t, 'down' in c ? `down ${c.down} ms` : `back after ${c.back} ms`]);
    };
    w.loggedIn(1_000);
    look(2_000);
    w.lost(10_000);
    for (let t = 11_000; t <= 22_000; t += 1_000) {
      w.loggedIn(t);
      look(t + 50);
      w.lost(t + 100);
      look(t + 500);
    }
    w.loggedIn(30_000);
    look(30_500);
    look(31_000);
    w.lost(40_000);
    look(44_000);
    look(45_000);
    expect(said).toEqual([
      [15_500, 'down 5500 ms'],
      [31_000, 'back after 20000 ms'],
      [45_000, 'down 5000 ms'],
    ]);
  });

  it('says the return of a session that held between two looks and dropped before the next', () => {
    const w = new SessionWatch(0);
    expect(w.check(5_000)).toEqual({ down: 5_000 });
    w.loggedIn(6_100);
    expect(w.lost(7_900)).toEqual({ back: 6_100 }); // held 1.8 s: the outage ended, unseen by a look
    expect(w.check(8_000)).toBeUndefined();
    expect(w.check(12_900)).toEqual({ down: 5_000 }); // the next outage, from the drop
  });

  it('a resumed run counts from when it starts connecting', () => {
    const w = new SessionWatch(0);
    w.connecting(60_000);
    expect(w.check(62_000)).toBeUndefined();
    expect(w.check(65_000)).toEqual({ down: 5_000 });
  });
});
