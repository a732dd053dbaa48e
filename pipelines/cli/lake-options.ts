/** The flags of `alpha data query` and `alpha data lake …`, each checked with an `alpha: …` refusal. */
import { AlphaError } from '../../lib/core/errors.ts';
import { isDate } from '../../lib/core/dates.ts';

export const DEFAULT_LAKE = 'data/lake';

const INSTANT = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?Z$/;

/**
 * A knowledge time: whole µs since the epoch (`1704205800000000`) or an ISO-8601 UTC time
 * (`2024-01-02T14:30:00Z`, up to 6 decimals).
 */
export function parseInstant(flag: string, value: string): number {
  const hint = `expected µs since the epoch (e.g. 1704205800000000) or a UTC time YYYY-MM-DDTHH:MM:SS[.ffffff]Z`;
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
  throw new AlphaError(`${flag} is "${value}": ${hint}`);
}

export const integer =
  (flag: string, lo: number, hi: number) =>
  (value: string): number => {
    const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < lo || n > hi)
      throw new AlphaError(`${flag} is "${value}": expected a whole number from ${lo} to ${hi}`);
    return n;
  };

export function parseDay(flag: string, value: string): string {
  if (!isDate(value)) throw new AlphaError(`${flag} is "${value}": expected a real date YYYY-MM-DD`);
  return value;
}

const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9._/^+=-]{0,15}$/;

/** `--symbols A,B`: instrument identifiers, 1–16 letters, digits and `._/^+=-`. */
export function parseSymbolList(value: string): string[] {
  const symbols = value.split(',').map((s) => s.trim());
  for (const s of symbols)
    if (!SYMBOL.test(s))
      throw new AlphaError(`--symbols: "${s}" is not a symbol: expected 1 to 16 letters, digits or ._/^+=- (e.g. --symbols S001,S002)`);
  return [...new Set(symbols)];
}

export const FORMATS = ['table', 'csv', 'json', 'parquet'] as const;
export type Format = (typeof FORMATS)[number];

export function parseFormat(value: string): Format {
  if (!(FORMATS as readonly string[]).includes(value)) throw new AlphaError(`--format is "${value}": expected ${FORMATS.join(', ')}`);
  return value as Format;
}
