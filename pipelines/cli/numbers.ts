/**
 * Numbers on the command line are written in plain digits: `Number()` alone read '' and ' ' as 0
 * (`alpha data generate --alpha ""` made a pure-noise market), '0x10' as 16 and '1e3' as 1000. These
 * parsers refuse all of those in one `alpha: …` line; each command then checks its own range.
 */
import { AlphaError } from '../../lib/core/errors.ts';

const DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/;
const WHOLE = /^\d+$/;

/** A decimal such as 0.03, -1 or .5, else an AlphaError naming `flag`. */
export function decimal(flag: string, value: string): number {
  if (!DECIMAL.test(value)) throw new AlphaError(`${flag} is "${value}": expected a number in plain digits (e.g. 40 or 0.03)`);
  return Number(value);
}

/** A commander parser: a whole number from `lo` to `hi` written in digits. */
export const whole =
  (flag: string, lo: number, hi: number) =>
  (value: string): number => {
    const n = WHOLE.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < lo || n > hi)
      throw new AlphaError(`${flag} is "${value}": expected an integer from ${lo} to ${hi.toLocaleString('en-US')}`);
    return n;
  };
