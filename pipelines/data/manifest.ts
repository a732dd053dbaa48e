/**
 * `DIR/manifest.json`: what a dataset holds and how it was made. It is validated as a whole before a
 * run reads anything: real dates in order, one session per date (open < close within a day, not overlapping), a
 * non-empty universe, and for each dataset one file per date, each a relative path that stays inside
 * the data folder, no file listed twice. A problem is a DataError `DIR/manifest.json: PATH is VALUE: what would be accepted`.
 */
import { join, posix } from 'node:path';
import { z } from 'zod';
import { parseJsonText } from '../../lib/core/json-text.ts';
import { DataError } from '../../lib/core/errors.ts';
import { describeIssues } from '../../lib/core/zod-issues.ts';
import { DAY } from '../../lib/core/time.ts';
import { avroSchemas } from '../../schemas/avro.ts';
import type { Session, UniverseMember } from '../../operators/sdk/context.ts';
import { parseDate } from './calendar.ts';
import { isDate } from '../../lib/core/dates.ts';
import { DataFileMissing, dataFileIdentity, lexicalProblem, readDataBytes } from '../../lib/io/data-file.ts';

const date = z.string().refine(isDate, 'expected a real date YYYY-MM-DD');
const micros = z.number().int('expected whole microseconds since the epoch').min(0).max(Number.MAX_SAFE_INTEGER);
const count = z.number().int('expected a whole number').min(0);

const dataFile = z.string().superRefine((file, ctx) => {
  const problem = lexicalProblem(file);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const datasetEntry = z.object({
  schema: z.string().refine((s) => avroSchemas().has(s), {
    message: `expected a schema name (${[...avroSchemas().keys()].join(', ')})`,
  }),
  files: z.array(dataFile),
  sha256: z.array(z.string().regex(/^[0-9a-f]{64}$/, 'expected a sha256 in 64 lowercase hex digits')).optional(),
  rows: count.optional(),
  corrections: count.optional(),
});

const manifestSchema = z
  .object({
    format: z.literal(1, 'expected 1 (the only manifest format)'),
    generator: z.string().optional(),
    seed: z.number().optional(),
    alpha: z.number().optional(),
    ic: z.number().optional(),
    trade_prices: z.string().optional(),
    depth: count.optional(),
    symbols: count.optional(),
    start: date.optional(),
    dates: z.array(date).min(1, 'expected at least one trading day'),
    sessions: z.array(z.object({ date, open: micros, close: micros })),
    universe: z
      .array(z.object({ symbol: z.string().min(1, 'expected a symbol'), sector: z.string() }))
      .min(1, 'expected at least one symbol'),
    datasets: z.record(z.string(), datasetEntry),
    planted_alpha: z.string().optional(),
  })
  .superRefine((m, ctx) => {
    const at = (path: PropertyKey[], message: string): void => void ctx.addIssue({ code: 'custom', path, message });
    m.dates.forEach((d, i) => {
      // Only between real dates: a malformed one is reported once, by its own issue.
      if (i > 0 && isDate(d) && isDate(m.dates[i - 1]!) && d <= m.dates[i - 1]!)
        at(['dates', i], `expected a date after ${m.dates[i - 1]} (dates in order, each once)`);
    });
    if (m.start !== undefined && m.dates[0] !== undefined && m.start !== m.dates[0])
      at(['start'], `expected the first trading day, dates[0] (${m.dates[0]})`);
    if (m.symbols !== undefined && m.symbols !== m.universe.length)
      at(['symbols'], `expected the number of symbols in the universe (${m.universe.length})`);
    if (m.sessions.length !== m.dates.length)
      at(['sessions'], `expected one session per date: ${m.sessions.length} session(s) for ${m.dates.length} date(s)`);
    m.sessions.forEach((s, i) => {
      const wanted = m.dates[i];
      if (wanted !== undefined && isDate(wanted) && s.date !== wanted) at(['sessions', i, 'date'], `expected ${wanted} (dates[${i}])`);
      else if (isDate(s.date) && (s.open < parseDate(s.date) || s.open >= parseDate(s.date) + DAY))
        at(['sessions', i, 'open'], `expected a time on ${s.date}`);
      if (s.close <= s.open) at(['sessions', i, 'close'], `expected a close after the open (${s.open})`);
      // A session with no end had the bar timers tick once a minute until it: a run that never ended.
      else if (s.close - s.open > DAY)
        at(['sessions', i, 'close'], `expected a close within a day of the open (${s.open} + ${DAY} at most)`);
      const prev = m.sessions[i - 1];
      if (prev && s.open < prev.close)
        at(['sessions', i, 'open'], `expected an open at or after the previous session's close (${prev.close})`);
    });
    const symbols = new Set<string>();
    m.universe.forEach((u, i) => {
      if (symbols.has(u.symbol)) at(['universe', i, 'symbol'], 'expected each symbol once');
      symbols.add(u.symbol);
    });
    if (Object.keys(m.datasets).length === 0) at(['datasets'], 'expected at least one dataset');
    // A file listed twice would be replayed as two days (or two datasets) holding the same records.
    const listed = new Map<string, string>();
    for (const [name, d] of Object.entries(m.datasets))
      d.files.forEach((f, i) => {
        const key = posix.normalize(f);
        const first = listed.get(key);
        if (first !== undefined) at(['datasets', name, 'files', i], `expected each file once: ${first} lists it already`);
        else listed.set(key, `datasets.${name}.files[${i}]`);
      });
    for (const [name, d] of Object.entries(m.datasets)) {
      if (d.files.length !== m.dates.length)
        at(['datasets', name, 'files'], `expected one file per date: ${d.files.length} file(s) for ${m.dates.length} date(s)`);
      if (d.sha256 && d.sha256.length !== d.files.length)
        at(['datasets', name, 'sha256'], `expected one sha256 per file: ${d.sha256.length} for ${d.files.length} file(s)`);
    }
  });

export interface DatasetManifest {
  format: 1;
  generator?: string;
  seed?: number;
  alpha?: number;
  /** The target IC `alpha` was derived from (`--ic`), when given. */
  ic?: number;
  /** Where trades print (`--trade-prices`), when given. */
  trade_prices?: string;
  /** Levels of the book in the `depth` dataset, the top included (`--depth`), when written. */
  depth?: number;
  symbols?: number;
  start?: string;
  dates: string[];
  sessions: (Session & { date: string })[];
  universe: UniverseMember[];
  /**
   * Dataset name → schema and files (relative to the folder), one per trading day in date order; when
   * given, `sha256` holds each file's hash (checked as it is read) and `rows` their total row count.
   */
  datasets: Record<string, { schema: string; files: string[]; sha256?: string[]; rows?: number; corrections?: number }>;
  planted_alpha?: string;
}

/** The largest manifest read: the generated ones are up to about 1.3 MB (20,000 symbol-days). */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/**
 * Reads and validates `DIR/manifest.json`, then checks every listed file: it must resolve (after
 * symlinks) inside DIR, be a regular file, not empty, of at most MAX_DATA_FILE_BYTES
 * (lib/io/data-file.ts), and be listed once (not under two names either).
 */
export function readManifest(dir: string): DatasetManifest {
  const file = join(dir, 'manifest.json');
  let text: string;
  try {
    text = new TextDecoder().decode(readDataBytes(file, { bytes: MAX_MANIFEST_BYTES, of: 'a manifest' }));
  } catch (err) {
    if (!(err instanceof DataFileMissing)) throw err; // a pipe, a folder, too large
    throw new DataError(file, 'dataset manifest not found — create a dataset with `alpha data generate --out DIR`');
  }
  const parsed = parseJsonText(text);
  if ('error' in parsed) throw new DataError(file, `not valid JSON (${parsed.error})`);
  const json = parsed.value;
  const manifest = validateManifest(file, json);
  // The same file under two names (a symlink or a hard link) would be replayed twice, as the same path would.
  const seen = new Map<string, string>();
  for (const [name, entry] of Object.entries(manifest.datasets)) {
    entry.files.forEach((f, i) => {
      const { problem, id } = dataFileIdentity(dir, f);
      if (problem) throw new DataError(file, `datasets.${name}.files[${i}] is ${JSON.stringify(f)}: ${problem}`);
      const first = seen.get(id!);
      if (first !== undefined)
        throw new DataError(
          file,
          `datasets.${name}.files[${i}] is ${JSON.stringify(f)}: the same file as ${first} (a link): expected each file once`,
        );
      seen.set(id!, `datasets.${name}.files[${i}]`);
    });
  }
  return manifest;
}

/** The manifest `json` read from `file`, validated, or a DataError listing every problem (one a line). */
export function validateManifest(file: string, json: unknown): DatasetManifest {
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new DataError(file, `is ${JSON.stringify(json)}: expected an object (a dataset manifest)`);
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const lines = describeIssues(file, json, parsed.error.issues);
    throw new DataError(file, lines.map((l) => l.slice(file.length + 2)).join(`\n${file}: `));
  }
  return parsed.data as DatasetManifest;
}

/**
 * The manifest of the trading days from `from` to `to` (YYYY-MM-DD, both inclusive, either open):
 * the sessions and each dataset's files of those days only. Records known on a day are in that day's
 * file, so nothing known after `to`'s session is read. A window without a trading day is an error.
 */
export function manifestWindow(dir: string, manifest: DatasetManifest, from?: string, to?: string): DatasetManifest {
  const file = join(dir, 'manifest.json');
  for (const [flag, date] of [
    ['--from', from],
    ['--to', to],
  ] as const) {
    if (date !== undefined && !isDate(date)) throw new DataError(file, `${flag} is "${date}": expected a real date YYYY-MM-DD`);
  }
  if (from !== undefined && to !== undefined && from > to) throw new DataError(file, `--from ${from} is after --to ${to}`);
  if (from === undefined && to === undefined) return manifest;
  const keep = manifest.dates.map((d) => (from === undefined || d >= from) && (to === undefined || d <= to));
  if (!keep.includes(true)) {
    throw new DataError(
      file,
      `no trading day from ${from ?? 'the start'} to ${to ?? 'the end'} (the dataset has ${manifest.dates[0]} … ${manifest.dates[manifest.dates.length - 1]})`,
    );
  }
  const datasets = Object.fromEntries(
    Object.entries(manifest.datasets).map(([name, d]) => {
      if (d.files.length !== manifest.dates.length)
        throw new DataError(file, `dataset "${name}" lists ${d.files.length} files for ${manifest.dates.length} dates`);
      // The row count is of every day: a window's files hold fewer.
      const { rows: _rows, ...rest } = d;
      const window = { ...rest, files: d.files.filter((_, i) => keep[i]) };
      return [name, d.sha256 ? { ...window, sha256: d.sha256.filter((_, i) => keep[i]) } : window];
    }),
  );
  return {
    ...manifest,
    dates: manifest.dates.filter((_, i) => keep[i]),
    sessions: manifest.sessions.filter((_, i) => keep[i]),
    datasets,
  };
}
