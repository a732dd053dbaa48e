/**
 * Time in the product: an integer number of microseconds since the Unix epoch, UTC, held in a JS
 * number (exact until the year 2255). These are the only definitions of the units.
 */
export type Micros = number;

export const MICROSECOND: Micros = 1;
export const MILLISECOND: Micros = 1_000;
export const SECOND: Micros = 1_000_000;
export const MINUTE: Micros = 60 * SECOND;
export const HOUR: Micros = 60 * MINUTE;
export const DAY: Micros = 24 * HOUR;

/** The ISO-8601 UTC text of a time, to the millisecond (for messages and logs). */
export function isoTime(t: Micros): string {
  return new Date(Math.floor(t / MILLISECOND)).toISOString();
}

/** The same to the microsecond (`2024-01-03T15:00:00.000000Z`), where a record's own time is named. */
export function isoTimeMicros(t: Micros): string {
  const s = Math.floor(t / SECOND);
  return `${new Date(s * 1000).toISOString().slice(0, 19)}.${String(t - s * SECOND).padStart(6, '0')}Z`;
}
