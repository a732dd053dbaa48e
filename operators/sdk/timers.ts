/**
 * Session-aware recurring timers on the injected clock: "every N minutes while the market is open",
 * in event time, in order with the data.
 */
import type { Calendar, Micros, OperatorContext } from './context.ts';

export { MINUTE } from '../../lib/core/time.ts';

/**
 * The first time strictly after `after` of the form `open + offset + k * period` (k >= 0) that is at
 * or before its session's close, or undefined when no session has one.
 */
export function nextSessionTime(calendar: Calendar, after: Micros, period: Micros, offset: Micros): Micros | undefined {
  for (const { open, close } of calendar.sessions) {
    if (close < after) continue;
    const first = open + offset;
    const k = after < first ? 0 : Math.floor((after - first) / period) + 1;
    const t = first + k * period;
    // t > after always, but for times beyond a double's whole numbers (then no later time exists here).
    if (t <= close && t > after) return t;
  }
  return undefined;
}

/** Calls `fn(at)` at every `open + offset + k * period` of every session, from the clock's current time on. */
export function everySession(ctx: OperatorContext, period: Micros, offset: Micros, fn: (at: Micros) => void): void {
  const arm = (after: Micros): void => {
    const at = nextSessionTime(ctx.calendar, after, period, offset);
    if (at === undefined) return;
    ctx.clock.schedule(at, (firedAt) => {
      fn(firedAt);
      arm(firedAt);
    });
  };
  arm(ctx.clock.now());
}

/** Index of the session containing t (open < t <= close), or -1. */
export function sessionIndex(calendar: Calendar, t: Micros): number {
  const sessions = calendar.sessions;
  for (let i = 0; i < sessions.length; i++) {
    const s = sessions[i]!;
    if (t > s.open && t <= s.close) return i;
  }
  return -1;
}
