/**
 * Latencies of the simulated broker: a constant, or an empirical distribution (a file of µs values,
 * one a line, e.g. measured against the venue) sampled uniformly with a seeded generator.
 */
import { readFileSync, statSync } from 'node:fs';
import { DataError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';

export type Latency = { kind: 'constant'; us: number } | { kind: 'empirical'; values: readonly number[]; file: string };

/** One draw in µs (a whole number). */
export function sampleLatency(l: Latency, rng: Rng): number {
  if (l.kind === 'constant') return l.us;
  return l.values[Math.floor(rng.next() * l.values.length)]!;
}

const MAX_BYTES = 16 * 1024 * 1024;

/** The µs values of a latency file: non-negative whole numbers below an hour, one a line ('#' comments and blank lines skipped). */
export function parseLatencies(text: string, file: string): number[] {
  const values: number[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const v = /^\d{1,10}$/.test(line) ? Number(line) : Number.NaN;
    if (!(v >= 0 && v < 3_600_000_000))
      throw new DataError(
        `${file}:${i + 1}`,
        `latency "${line.slice(0, 40)}": expected a whole number of microseconds, 0 ≤ µs < 3,600,000,000`,
      );
    values.push(v);
  }
  if (values.length === 0) throw new DataError(file, `no latency values (expected one whole number of microseconds a line)`);
  return values;
}

/** Reads a latency file: a regular file under 16 MiB. */
export function readLatencies(file: string): Latency {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new DataError(file, `not a regular file (expected a file of latencies in µs, one a line)`);
    size = st.size;
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError(file, `cannot read the latency file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (size > MAX_BYTES) throw new DataError(file, `${size} bytes, over the 16 MiB a latency file may have`);
  return { kind: 'empirical', values: parseLatencies(readFileSync(file, 'utf8'), file), file };
}
