/** Calendar dates as YYYY-MM-DD strings and their UTC midnights in µs. */
import { AlphaError } from './errors.ts';

/** The UTC midnight of `date` (YYYY-MM-DD), in µs; an AlphaError for anything but a real date. */
export function parseDate(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== date) {
    throw new AlphaError(`invalid date "${date}": expected a real date YYYY-MM-DD`);
  }
  return ms * 1000;
}

/** The UTC date (YYYY-MM-DD) of an instant in µs. */
export function formatDate(micros: number): string {
  return new Date(Math.floor(micros / 1000)).toISOString().slice(0, 10);
}

/** Whether `date` is a real date YYYY-MM-DD. */
export function isDate(date: string): boolean {
  try {
    parseDate(date);
    return true;
  } catch {
    return false;
  }
}
