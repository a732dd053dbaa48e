/** Instants given by people: whole µs since the epoch, or an ISO-8601 UTC time with up to six decimals. */
import { AlphaError } from './errors.ts';
import { isDate } from './dates.ts';

const INSTANT = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?Z$/;

export const INSTANT_HINT = 'expected µs since the epoch (e.g. 1704205800000000) or a UTC time YYYY-MM-DDTHH:MM:SS[.ffffff]Z';

/** The instant `value` in µs since the epoch, or undefined when it is neither form. */
export function instantOf(value: string): number | undefined {
  if (/^\d{1,16}$/.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  }
  const m = INSTANT.exec(value);
  if (m && isDate(m[1]!)) {
    const [h, min, s] = [Number(m[2]), Number(m[3]), Number(m[4])];
    if (h < 24 && min < 60 && s < 60)
      return Date.parse(`${m[1]}T00:00:00Z`) * 1000 + ((h * 60 + min) * 60 + s) * 1e6 + Number((m[5] ?? '').padEnd(6, '0'));
  }
  return undefined;
}

/**
 * A knowledge time: whole µs since the epoch (`1704205800000000`) or an ISO-8601 UTC time
 * (`2024-01-02T14:30:00Z`, up to 6 decimals); an AlphaError naming `flag` otherwise.
 *
 * @example
 * parseInstant('--as-of', '2024-01-02T14:30:00Z'); // 1704205800000000
 */
export function parseInstant(flag: string, value: string): number {
  const t = instantOf(value);
  if (t === undefined) throw new AlphaError(`${flag} is "${value}": ${INSTANT_HINT}`);
  return t;
}

/**
 * An instant in µs since the epoch as `parseInstant` reads it back: a UTC time to the µs.
 *
 * @example
 * isoMicros(1704205800123456); // '2024-01-02T14:30:00.123456Z'
 */
export function isoMicros(t: number): string {
  const ms = Math.floor(t / 1000);
  return `${new Date(ms).toISOString().slice(0, 23)}${String(t - ms * 1000).padStart(3, '0')}Z`;
}
