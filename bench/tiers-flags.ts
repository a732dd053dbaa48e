/**
 * The flags of bench:tiers-hot and bench:tiers-cold, here so that bench:tiers (which runs both with
 * its own arguments) checks all of them before either part starts, and hands each part its own.
 */
import { GENERATE_LIMITS } from '../pipelines/data/generate-options.ts';
import { type BenchFlags, refuse, wholeNumber } from './flags.ts';

export const hotOptions = {
  records: { type: 'string', default: '500000' },
  'flush-records': { type: 'string', default: '200000' },
} as const;

export const coldOptions = {
  symbols: { type: 'string', default: '40' },
  days: { type: 'string', default: '20' },
  runs: { type: 'string', default: '3' },
} as const;

export function hotValues<O extends typeof hotOptions>(flags: BenchFlags<O>): { records: number; flushRecords: number } {
  return {
    records: wholeNumber(flags, 'records', { max: 20_000_000 }),
    flushRecords: wholeNumber(flags, 'flush-records', { max: 20_000_000 }),
  };
}

export function coldValues<O extends typeof coldOptions>(flags: BenchFlags<O>): { symbols: number; days: number; runs: number } {
  const symbols = wholeNumber(flags, 'symbols', { max: GENERATE_LIMITS.symbols });
  const days = wholeNumber(flags, 'days', { max: GENERATE_LIMITS.days });
  if (symbols * days > GENERATE_LIMITS.symbolDays)
    refuse(
      flags.bench,
      `--symbols ${symbols} × --days ${days} is ${(symbols * days).toLocaleString('en-US')} symbol-days: expected at most ${GENERATE_LIMITS.symbolDays.toLocaleString('en-US')}`,
    );
  return { symbols, days, runs: wholeNumber(flags, 'runs', { max: 100 }) };
}
