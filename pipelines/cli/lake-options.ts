/** The flags of `alpha data query` and `alpha data lake …`, each checked with an `alpha: …` refusal. */
import { AlphaError } from '../../lib/core/errors.ts';
import { isDate } from '../../lib/core/dates.ts';
import { given } from './flag-values.ts';

export const DEFAULT_LAKE = 'data/lake';

/** `--lake DIR`; an empty one would be the working folder (`alpha data ingest --lake ""` made its table there). */
export const lakeFolder = given('--lake', `a lake folder (default ${DEFAULT_LAKE})`);

export { parseInstant } from '../../lib/core/instant.ts';

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
