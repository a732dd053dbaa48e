/**
 * nextSessionTime: the next `open + offset + k * period` of a session after a time, the timer every
 * session-paced operator (bars, cross-section, accounting) re-arms with. It must always be later than
 * the time it is given, or the timer fires and re-arms at one time for ever.
 */
import { describe, expect, it } from 'vitest';
import type { Calendar } from '../../../operators/sdk/context.ts';
import { nextSessionTime } from '../../../operators/sdk/timers.ts';

const MINUTE = 60_000_000;
const calendar = (sessions: { open: number; close: number }[]): Calendar => ({ sessions }) as unknown as Calendar;

describe('nextSessionTime', () => {
  it('steps by the period from the open, then moves to the next session', () => {
    const c = calendar([
      { open: 0, close: 10 * MINUTE },
      { open: 100 * MINUTE, close: 110 * MINUTE },
    ]);
    expect(nextSessionTime(c, -1, MINUTE, MINUTE)).toBe(MINUTE);
    expect(nextSessionTime(c, MINUTE, MINUTE, MINUTE)).toBe(2 * MINUTE);
    expect(nextSessionTime(c, 2.5 * MINUTE, MINUTE, 0)).toBe(3 * MINUTE);
    expect(nextSessionTime(c, 10 * MINUTE, MINUTE, 0)).toBe(100 * MINUTE);
    expect(nextSessionTime(c, 110 * MINUTE, MINUTE, 0)).toBeUndefined();
  });

  it('is never at or before the time it is given, even where a double has no whole numbers left', () => {
    // Opening at -1e300: first + k * period rounds to 0, a time in the past, for every k.
    const c = calendar([{ open: -1e300, close: 10 * MINUTE }]);
    const after = 5 * MINUTE;
    const t = nextSessionTime(c, after, MINUTE, 0);
    expect(t === undefined || t > after).toBe(true);
  });
});
