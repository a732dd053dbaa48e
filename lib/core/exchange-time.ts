/**
 * Exchange time of US equity venues: ITCH timestamps count nanoseconds since midnight in New York,
 * so turning them into UTC needs the session date's offset (EST or EDT), taken from the runtime's
 * time-zone database.
 */
import { parseDate } from './dates.ts';
import { HOUR, MINUTE, type Micros } from './time.ts';

const newYork = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** New York's offset from UTC at the instant `utcMs`, in ms (−5 h or −4 h). */
function offsetMs(utcMs: number): number {
  const p = Object.fromEntries(newYork.formatToParts(utcMs).map((x) => [x.type, x.value]));
  const local = Date.UTC(
    Number(p['year']),
    Number(p['month']) - 1,
    Number(p['day']),
    Number(p['hour']),
    Number(p['minute']),
    Number(p['second']),
  );
  return local - utcMs;
}

/**
 * The UTC instant (µs since the epoch) of midnight in New York on `date` (YYYY-MM-DD). Exact on
 * every trading day: clocks change at 02:00 on Sundays, when no session runs.
 *
 * @example
 * newYorkMidnight('2024-01-02'); // 1704171600000000 (05:00 UTC, EST)
 */
export function newYorkMidnight(date: string): Micros {
  const utcMidnightMs = parseDate(date) / 1000;
  return (utcMidnightMs - offsetMs(utcMidnightMs + 5 * 3_600_000)) * 1000;
}

/** The regular session's open and close, 09:30 and 16:00, as time since New York midnight. */
export const REGULAR_OPEN: Micros = 9 * HOUR + 30 * MINUTE;
export const REGULAR_CLOSE: Micros = 16 * HOUR;

/** The regular session of a US equity venue on `date`: 09:30 to 16:00 New York time. */
export function regularSession(date: string): { open: Micros; close: Micros } {
  const midnight = newYorkMidnight(date);
  return { open: midnight + REGULAR_OPEN, close: midnight + REGULAR_CLOSE };
}

/** The date (YYYY-MM-DD) in New York at the instant `utc` (µs since the epoch). */
export function newYorkDate(utc: Micros): string {
  const p = Object.fromEntries(newYork.formatToParts(utc / 1000).map((x) => [x.type, x.value]));
  return `${p['year']}-${p['month']}-${p['day']}`;
}
