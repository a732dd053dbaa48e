/**
 * Trading days and sessions of generated datasets: weekdays, 14:30–21:00 UTC (09:30–16:00 New York
 * in winter). Kept in UTC on purpose: the dataset carries its sessions in its manifest, so replays
 * never depend on a time-zone database.
 */
import { AlphaError } from '../../lib/core/errors.ts';
import { formatDate, parseDate } from '../../lib/core/dates.ts';
import { DAY, MINUTE } from '../../lib/core/time.ts';
import type { Session } from '../../operators/sdk/context.ts';

export const DEFAULT_START = '2024-01-02';
export const OPEN_MINUTE_UTC = 14 * 60 + 30;
export const SESSION_MINUTES = 390;

export { formatDate, parseDate };

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * `count` weekdays from `start`, which must itself be one: a dataset whose manifest starts on a
 * Saturday while its data starts on Monday would be a lie, so a weekend start is refused with the
 * next trading day as the hint.
 */
export function tradingDays(start: string, count: number): string[] {
  const first = parseDate(start);
  const weekday = new Date(first / 1000).getUTCDay();
  if (weekday === 0 || weekday === 6) {
    const next = formatDate(first + (weekday === 6 ? 2 : 1) * DAY);
    throw new AlphaError(`start day ${start} is a ${WEEKDAYS[weekday]}, not a trading day: start on a weekday (the next is ${next})`);
  }
  const days: string[] = [];
  for (let t = first; days.length < count; t += DAY) {
    const w = new Date(t / 1000).getUTCDay();
    if (w !== 0 && w !== 6) days.push(formatDate(t));
  }
  return days;
}

export function sessionOf(date: string): Session {
  const open = parseDate(date) + OPEN_MINUTE_UTC * MINUTE;
  return { open, close: open + SESSION_MINUTES * MINUTE };
}
