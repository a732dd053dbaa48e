/**
 * The rows of one input file of `alpha data ingest`, as text fields under a header: a CSV file (UTF-8),
 * a Parquet file (read by DuckDB, every column as text, timestamps as µs since the epoch), or an ITCH
 * 5.0 file (through colo's native book, as `alpha itch convert` does, then its quotes or trades as
 * Parquet). Files must be regular files of bounded size, outside the lake folder.
 */
import { closeSync, mkdtempSync, openSync, readSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AlphaError } from '../../lib/core/errors.ts';
import { ident, literal, message, openDuck } from '../../lib/io/lake/duckdb.ts';
import { MAX_DATA_FILE_BYTES, readDataBytes } from '../../lib/io/data-file.ts';
import { convertItch } from '../itch/convert.ts';
import { csvRecords } from './csv.ts';
import { removedOnSignal } from '../../lib/core/on-signal.ts';

export interface InputRows {
  header: string[];
  /** Data rows: their line (CSV) or row number (Parquet, ITCH), and fields, or why they could not be split. */
  rows: Iterable<{ line: number; fields: string[] | { problem: string } }>;
  /** Notes for the reject file that are about the file, not a row (ITCH: tops of book not taken). */
  notes: string[];
}

/** Refuses what may not be read as input: a missing file, not a regular file, too large, inside the lake. */
export function checkInput(file: string, lake: string): void {
  let real: string;
  try {
    real = realpathSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AlphaError(`${file}: ${code === 'ENOENT' || code === 'ENOTDIR' ? 'file not found' : `cannot read (${code})`}`);
  }
  const st = statSync(real);
  if (!st.isFile())
    throw new AlphaError(
      `${file}: not a regular file (a ${st.isDirectory() ? 'folder' : 'device, pipe or socket'}): expected a CSV, Parquet or ITCH file`,
    );
  if (st.size > MAX_DATA_FILE_BYTES)
    throw new AlphaError(`${file}: ${st.size} bytes, over the limit of ${MAX_DATA_FILE_BYTES} for an input file`);
  let lakeReal: string;
  try {
    lakeReal = realpathSync(lake);
  } catch {
    return;
  }
  const rel = relative(lakeReal, real);
  if (!(rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)))
    throw new AlphaError(`${file}: resolves to ${real}, inside the lake folder ${lake}: expected a file from outside the lake`);
}

/** A Parquet file starts with the magic bytes PAR1 (checkInput has made sure it is a regular file). */
export function isParquet(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = new Uint8Array(4);
    return readSync(fd, head, 0, 4, 0) === 4 && String.fromCharCode(...head) === 'PAR1';
  } finally {
    closeSync(fd);
  }
}

export function readCsv(file: string): InputRows {
  const bytes = readDataBytes(file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new AlphaError(`${file}: not UTF-8 text: expected a CSV file (UTF-8, a header line) or a Parquet file`);
  }
  if (text.includes('\0')) throw new AlphaError(`${file}: holds NUL bytes: expected a CSV file (UTF-8 text) or a Parquet file`);
  const records = csvRecords(text);
  const first = records.next();
  if (first.done) throw new AlphaError(`${file}: empty: expected a header line, then rows`);
  if (!Array.isArray(first.value.fields)) throw new AlphaError(`${file}:${first.value.line}: ${first.value.fields.problem}`);
  const header = first.value.fields;
  return { header, rows: { [Symbol.iterator]: () => records }, notes: [] };
}

/** The most rows read from one Parquet file: about 5 GB of rows as text, a CSV file's limit many times over. */
export const MAX_INGEST_ROWS = 20_000_000;

/** Every column of a Parquet file as text; `drop` leaves columns out (by name). */
export async function readParquet(file: string, drop: readonly string[] = []): Promise<InputRows> {
  const duck = await openDuck();
  try {
    const path = literal(resolve(file));
    let described: Record<string, unknown>[];
    try {
      described = (await duck.connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${path})`)).getRowObjectsJS();
    } catch (err) {
      throw new AlphaError(`${file}: not a readable Parquet file (${message(err)})`);
    }
    // Its rows are all read as text: a small file of repeated values can declare billions.
    let count: unknown;
    try {
      count = (await duck.connection.runAndReadAll(`SELECT count(*) FROM read_parquet(${path})`)).getRowsJS()[0]?.[0];
    } catch (err) {
      throw new AlphaError(`${file}: cannot count its rows (${message(err)})`);
    }
    if (Number(count) > MAX_INGEST_ROWS)
      throw new AlphaError(
        `${file}: ${Number(count)} rows: more than the ${MAX_INGEST_ROWS.toLocaleString('en-US')} an ingest takes from one file; split it by day`,
      );
    const columns = described
      .map((r) => ({ name: String(r['column_name']), type: String(r['column_type']) }))
      .filter((c) => !drop.includes(c.name));
    const select = columns
      .map((c) => (c.type.startsWith('TIMESTAMP') ? `CAST(epoch_us(${ident(c.name)}) AS VARCHAR)` : `CAST(${ident(c.name)} AS VARCHAR)`))
      .join(', ');
    let values: unknown[][];
    try {
      values = (await duck.connection.runAndReadAll(`SELECT ${select} FROM read_parquet(${path})`)).getRowsJS();
    } catch (err) {
      throw new AlphaError(`${file}: cannot read its rows (${message(err)})`);
    }
    const rows = values.map((v, i) => ({ line: i + 1, fields: v.map((x) => (x === null || x === undefined ? '' : String(x))) }));
    return { header: columns.map((c) => c.name), rows, notes: [] };
  } finally {
    duck.close();
  }
}

/** The quotes or trades of an ITCH file, through `alpha itch convert` into a temporary folder. */
export async function readItch(file: string, records: 'quotes' | 'trades', date: string | undefined): Promise<InputRows> {
  const dir = mkdtempSync(join(tmpdir(), 'alpha-ingest-itch-'));
  const forget = removedOnSignal(dir);
  try {
    const out = join(dir, 'day');
    let r: Awaited<ReturnType<typeof convertItch>>;
    try {
      // The symbols are mapped (--symbol-map) and checked here, after the converter: it keeps them all.
      r = await convertItch(file, { out, checkSymbols: false, ...(date !== undefined ? { date } : {}) });
    } catch (err) {
      // The converter's last line names its output, a temporary folder the user never gave.
      if (err instanceof AlphaError)
        throw new AlphaError(err.message.replace(`\nalpha: nothing written to ${out}`, '\nalpha: nothing ingested'));
      throw err;
    }
    // The converter numbers ids 1…n in each file; ingest gives records ids from their content instead,
    // so that two days' files do not share ids.
    const rows = await readParquet(join(out, records, `${r.date}.parquet`), ['id']);
    if (records === 'quotes' && r.skippedTops > 0)
      rows.notes.push(`${file}: ${r.skippedTops} tops of book one-sided, crossed or stubs, not quotes: not ingested`);
    if (records === 'trades' && r.skippedPrints > 0)
      rows.notes.push(`${file}: ${r.skippedPrints} prints without a price or shares: not ingested`);
    for (const e of r.report.bookErrors) rows.notes.push(`${file}: ${e.count} × ${e.kind} (counted and skipped by the book)`);
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    forget();
  }
}
