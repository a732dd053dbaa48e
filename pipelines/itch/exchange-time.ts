/** Session dates of ITCH files and the `--date` flag of the `alpha itch` and `alpha venue` commands. */
import { AlphaError } from '../../lib/core/errors.ts';
import { isDate } from '../../lib/core/dates.ts';

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

/** `date` checked as a real YYYY-MM-DD, or an AlphaError naming `flag`. */
export function sessionDate(flag: string, date: string): string {
  if (!isDate(date)) throw new AlphaError(`${flag} is "${date}": expected a real date YYYY-MM-DD`);
  return date;
}
