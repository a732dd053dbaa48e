/** Session dates of ITCH files and the `--date` flag of the `alpha itch` and `alpha venue` commands. */
import { AlphaError } from '../../lib/core/errors.ts';
import { isDate } from '../../lib/core/dates.ts';
import { newYorkMidnight } from '../../lib/core/exchange-time.ts';
import { DAY } from '../../lib/core/time.ts';

/**
 * The session dates a dataset can hold: its manifest takes times as whole µs since 1970-01-01 UTC, from
 * 0 to 2^53 − 1 (pipelines/data/manifest.ts), so the whole New York day of the date must lie in there.
 */
export const FIRST_SESSION_DATE = '1970-01-01';
export const LAST_SESSION_DATE = '2255-06-04';

/** Why `date` (a real YYYY-MM-DD) cannot be a session date, or undefined when it can. */
export function sessionDateProblem(date: string): string | undefined {
  const midnight = newYorkMidnight(date);
  if (midnight >= 0 && midnight + DAY <= Number.MAX_SAFE_INTEGER) return undefined;
  return `expected a date from ${FIRST_SESSION_DATE} to ${LAST_SESSION_DATE} (a dataset's times are whole µs since 1970-01-01 UTC, below 2^53)`;
}

/**
 * The session date in one of NASDAQ's historical ITCH file names, which start MMDDYYYY
 * (`01302019.NASDAQ_ITCH50`); undefined when the name does not.
 */
export function dateOfItchFileName(name: string): string | undefined {
  const m = /^(\d{2})(\d{2})(\d{4})[._-]/.exec(name);
  if (!m) return undefined;
  const date = `${m[3]}-${m[1]}-${m[2]}`;
  return isDate(date) ? date : undefined;
}

/** `date` checked as a real YYYY-MM-DD a dataset can hold, or an AlphaError naming `flag`. */
export function sessionDate(flag: string, date: string): string {
  if (!isDate(date)) throw new AlphaError(`${flag} is "${date}": expected a real date YYYY-MM-DD`);
  const problem = sessionDateProblem(date);
  if (problem !== undefined) throw new AlphaError(`${flag} is "${date}": ${problem}`);
  return date;
}
