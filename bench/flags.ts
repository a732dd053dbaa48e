/**
 * The benches' flags: node's parseArgs, strict (an unknown flag or a stray word is refused), and
 * numbers checked, so what a bench does not accept gets one `alpha bench:NAME: …` line naming its
 * flags and exit 2, before it generates data or starts a service, never a stack trace or a run on NaN.
 *
 *   const flags = benchFlags('risk', { sizes: { type: 'string', default: '100,500' }, 'no-python': { type: 'boolean' } });
 *   const repeats = wholeNumber(flags, 'repeats', { max: 10_000 });
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'];

/** What a bench was given, parsed, with what it needs to refuse a value. */
export interface BenchFlags<O extends Options> {
  readonly bench: string;
  readonly values: Values<O>;
  /** `--name` for each flag, to list in a refusal. */
  readonly accepted: string;
}

/** One `alpha bench:NAME:` line on stderr, exit 2. */
export function refuse(bench: string, message: string): never {
  process.stderr.write(`alpha bench:${bench}: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(2);
}

/** Parses `argv` (the process's arguments by default) against `options`, or refuses. */
export function benchFlags<const O extends Options>(bench: string, options: O, argv: string[] = process.argv.slice(2)): BenchFlags<O> {
  const accepted = Object.entries(options)
    .map(([name, o]) => (o.type === 'boolean' ? `--${name}` : `--${name} ${o.default === undefined ? 'X' : String(o.default)}`))
    .join(' ');
  try {
    const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
    return { bench, values: values as Values<O>, accepted };
  } catch (err) {
    return refuse(bench, `${err instanceof Error ? err.message : String(err)} (flags: ${accepted})`);
  }
}

function text<O extends Options>(flags: BenchFlags<O>, name: keyof O & string): string | undefined {
  const v = (flags.values as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

/** A whole number written in digits (`_` allowed between them, as in 1_000_000), or NaN. */
export const plainWhole = (t: string): number => (/^[0-9][0-9_]*$/.test(t) ? Number(t.replace(/_/g, '')) : Number.NaN);

/** A whole number flag from `min` (default 1) to `max` (see plainWhole). */
export function wholeNumber<O extends Options>(flags: BenchFlags<O>, name: keyof O & string, range: { min?: number; max: number }): number {
  const t = text(flags, name);
  const min = range.min ?? 1;
  const v = t === undefined ? Number.NaN : plainWhole(t);
  if (!Number.isSafeInteger(v) || v < min || v > range.max)
    refuse(
      flags.bench,
      `--${name} '${t ?? ''}': expected a whole number from ${min.toLocaleString('en-US')} to ${range.max.toLocaleString('en-US')}`,
    );
  return v;
}

/** A plain decimal (digits, one point, a leading minus), or NaN: Number() would also take '0x10', '1e3', '' and padding. */
const plainDecimal = (t: string): number => (/^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)$/.test(t) ? Number(t) : Number.NaN);

/** A decimal number flag within [min, max]. */
export function decimal<O extends Options>(flags: BenchFlags<O>, name: keyof O & string, range: { min: number; max: number }): number {
  const t = text(flags, name);
  const v = t === undefined ? Number.NaN : plainDecimal(t);
  if (!Number.isFinite(v) || v < range.min || v > range.max)
    refuse(flags.bench, `--${name} '${t ?? ''}': expected a number from ${range.min} to ${range.max}`);
  return v;
}

/** A comma list of whole numbers, each within the range. */
export function wholeNumbers<O extends Options>(
  flags: BenchFlags<O>,
  name: keyof O & string,
  range: { min?: number; max: number },
): number[] {
  const t = text(flags, name) ?? '';
  const min = range.min ?? 1;
  const out = t.split(',').map(plainWhole);
  if (out.some((v) => !Number.isSafeInteger(v) || v < min || v > range.max))
    refuse(
      flags.bench,
      `--${name} '${t}': expected whole numbers from ${min.toLocaleString('en-US')} to ${range.max.toLocaleString('en-US')}, separated by commas`,
    );
  return out;
}

/** A comma list of decimal numbers, each within [min, max]. */
export function decimals<O extends Options>(flags: BenchFlags<O>, name: keyof O & string, range: { min: number; max: number }): number[] {
  const t = text(flags, name) ?? '';
  const out = t.split(',').map(plainDecimal);
  if (out.some((v) => !Number.isFinite(v) || v < range.min || v > range.max))
    refuse(flags.bench, `--${name} '${t}': expected numbers from ${range.min} to ${range.max}, separated by commas`);
  return out;
}

/** A comma list of names from `allowed`. */
export function namesFrom<O extends Options>(flags: BenchFlags<O>, name: keyof O & string, allowed: readonly string[]): string[] {
  const t = text(flags, name) ?? '';
  const out = t.split(',');
  for (const n of out) if (!allowed.includes(n)) refuse(flags.bench, `--${name}: '${n}' is not one of ${allowed.join(', ')}`);
  return out;
}
