/**
 * Parsers of flag values, shared by the commands. Numbers on the command line are written in plain digits: `Number()` alone read '' and ' ' as 0
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

/**
 * A parser refusing an empty value: `--data ""` would otherwise fall back to the topology's data
 * folder (or `--from ""` to the first day) without a word, as if the flag were not given.
 */
export const given =
  (flag: string, accepted: string) =>
  (value: string): string => {
    if (value.trim() === '') throw new AlphaError(`${flag} is empty: expected ${accepted}`);
    return value;
  };

/** `--data DIR` of the commands that read a dataset (its default: the topology's "data:"). */
export const dataFolder = given('--data', 'a dataset folder (manifest.json), or no --data for the topology\'s "data:"');
/** `--from DATE` and `--to DATE` of the commands that replay a window of days. */
export const fromDay = given('--from', 'a date YYYY-MM-DD, or no --from for the first day');
export const toDay = given('--to', 'a date YYYY-MM-DD, or no --to for the last day');

/** A run id ends topic and consumer group names. */
export const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** `--run-id` of the commands that name a run's topics (alpha run, alpha live). */
export function checkRunId(value: string): void {
  if (!RUN_ID.test(value))
    throw new AlphaError(`--run-id ${JSON.stringify(value)}: expected 1–64 letters, digits, "_" or "-" (it ends topic names)`);
}
