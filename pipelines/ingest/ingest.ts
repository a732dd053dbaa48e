/**
 * `alpha data ingest FILE… --dataset NAME --format quotes|trades|ohlcv|fundamentals|corporate-actions|itch`: real files into a dataset's
 * Delta table (created with the format's schema when missing). Each row becomes a record or a line
 * `file:line: reason` of the reject file; the good rows land in one append.
 *
 * Idempotent: a record's identity comes from the file's content. A Quote or Trade without an `id`
 * column gets `id` = 52 bits of the SHA-256 of its fields (and of how many identical rows came before
 * it in the file) and `seq` = its row number; a Bar is identified by (symbol, ts_event, ts_known), a Fundamental or
 * CorporateAction by its schema's identity fields and ts_known; the
 * lake's append skips what the table holds, so ingesting the same file again adds nothing.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { AlphaError } from '../../lib/core/errors.ts';
import { appendFiles } from '../../lib/io/lake/append.ts';
import { createTable } from '../../lib/io/lake/create.ts';
import { openDuck } from '../../lib/io/lake/duckdb.ts';
import { tablePath } from '../../lib/io/lake/layout.ts';
import { tableSchema } from '../../lib/io/lake/table.ts';
import { lakeSchema } from '../../lib/io/lake/table-schema.ts';
import { writeRecordsParquet } from '../../lib/io/parquet.ts';
import { writeFileAtomically } from '../io/write-file.ts';
import { type IngestFormat, mapHeader, type Row, type RowFormat, SCHEMA_OF, toRecord } from './columns.ts';
import { checkInput, type InputRows, isParquet, readCsv, readItch, readParquet } from './read-input.ts';
import type { TimeParser } from './times.ts';
import { removedOnSignal } from '../../lib/core/on-signal.ts';

export interface IngestOptions {
  lake: string;
  dataset: string;
  files: readonly string[];
  format: IngestFormat;
  times: TimeParser;
  /** Source symbol → dataset symbol (`--symbol-map`). */
  symbols: ReadonlyMap<string, string>;
  /** The reject file, written whole (empty when nothing was rejected). */
  rejects: string;
  /** ITCH: which records to take, and the session date when the file name does not say it. */
  itchRecords?: 'quotes' | 'trades';
  itchDate?: string;
  onInsert?: (rows: number) => void;
}

export interface IngestResult {
  rows: number;
  /** Rows refused (lines of the reject file about one row; the others are about a file). */
  rejected: number;
  added: number;
  skipped: number;
  created: boolean;
  before: number;
  version: number;
}

const FIELD_SEP = '\u001f';

export async function ingestFiles(o: IngestOptions): Promise<IngestResult> {
  if (o.files.length === 0) throw new AlphaError('expected at least one file to ingest');
  const rowFormat: RowFormat = o.format === 'itch' ? (o.itchRecords ?? 'quotes') : o.format;
  const schema = SCHEMA_OF[rowFormat];
  const table = tablePath(o.lake, o.dataset, false);
  checkRejects(o.rejects, table.lake);
  for (const f of o.files) {
    checkInput(f, table.lake);
    if (existsSync(o.rejects) && realpathSync(f) === realpathSync(o.rejects))
      throw new AlphaError(`--rejects ${o.rejects}: is the input file ${f}: expected another file (it is written whole)`);
  }
  // It is written whole: an existing file is replaced only when its name says it is a reject file (an
  // earlier ingest's), not a file given by mistake (a topology, a manifest).
  if (existsSync(o.rejects) && !basename(o.rejects).includes('rejects'))
    throw new AlphaError(
      `--rejects ${o.rejects}: exists and is not a reject file: expected a new file, or one whose name holds "rejects" (an earlier ingest's, replaced whole)`,
    );
  const exists = existsSync(join(table.dir, '_delta_log'));
  if (exists) {
    const duck = await openDuck();
    try {
      const have = (await tableSchema(duck, table)).name;
      if (have !== schema)
        throw new AlphaError(
          `--dataset ${o.dataset}: its table holds ${have} records: --format ${o.format} gives ${schema} (ingest into another dataset)`,
        );
    } finally {
      duck.close();
    }
  }

  // A row version's identity in the file: id and version, or the schema's identity fields and ts_known.
  const withId = schema === 'Quote' || schema === 'Trade';
  const identity = withId ? ['id', 'version'] : [...lakeSchema(schema).key, 'ts_known'];
  const identityText = `${identity.slice(0, -1).join(', ')} and ${identity.at(-1)}`;
  const rejects = new RejectLines();
  const good: Row[] = [];
  const seen = new Map<string, string>();
  let rows = 0;
  for (const file of o.files) {
    const input = await readInput(file, o);
    for (const note of input.notes) rejects.note(note);
    const map = mapHeader(file, rowFormat, input.header);
    const occurrences = new Map<string, number>();
    for (const { line, fields } of input.rows) {
      rows++;
      const at = `${file}:${line}`;
      if (!Array.isArray(fields)) {
        rejects.row(`${at}: ${fields.problem}`);
        continue;
      }
      if (fields.length !== input.header.length) {
        rejects.row(`${at}: ${fields.length} fields: expected ${input.header.length}, as in the header`);
        continue;
      }
      const r = toRecord(rowFormat, map, fields, { times: o.times, symbols: o.symbols });
      if (typeof r === 'string') {
        rejects.row(`${at}: ${r}`);
        continue;
      }
      if (withId) {
        if (r['id'] === undefined) r['id'] = contentId(schema, r, occurrences);
        r['seq'] ??= line;
      }
      const key = identity.map((c) => r[c]).join(FIELD_SEP);
      const first = seen.get(key);
      if (first !== undefined) {
        rejects.row(`${at}: the same ${identityText} as ${first}: expected each record version once`);
        continue;
      }
      seen.set(key, at);
      good.push(r);
    }
  }
  writeFileAtomically('--rejects', o.rejects, new TextEncoder().encode(rejects.text()));
  const rejected = rejects.rows;
  if (good.length === 0)
    throw new AlphaError(
      rows === 0
        ? `${o.files.join(', ')}: no rows to ingest`
        : `no row of ${o.files.join(', ')} could be ingested: ${rejected} rejected, see ${o.rejects}`,
    );

  let created = false;
  if (!exists) {
    await createTable(o.lake, o.dataset, schema);
    created = true;
  }
  const staging = mkdtempSync(join(tmpdir(), 'alpha-ingest-'));
  const forget = removedOnSignal(staging);
  try {
    const file = join(staging, `${o.dataset}.parquet`);
    writeRecordsParquet(file, schema, good);
    const r = await appendFiles(o.lake, o.dataset, [file], o.onInsert ? { onInsert: o.onInsert } : {});
    return { rows, rejected, added: r.added, skipped: r.skipped, created, before: r.before, version: r.version };
  } finally {
    rmSync(staging, { recursive: true, force: true });
    forget();
  }
}

async function readInput(file: string, o: IngestOptions): Promise<InputRows> {
  if (o.format === 'itch') return readItch(file, o.itchRecords ?? 'quotes', o.itchDate);
  return isParquet(file) ? readParquet(file) : readCsv(file);
}

/** 52 bits of the SHA-256 of the record's fields and of how many identical rows the file had before it. */
function contentId(schema: string, r: Row, occurrences: Map<string, number>): number {
  const fields = Object.keys(r)
    .filter((k) => k !== 'seq' && k !== 'id')
    .sort()
    .map((k) => `${k}=${r[k]}`);
  const text = [schema, ...fields].join(FIELD_SEP);
  const n = occurrences.get(text) ?? 0;
  occurrences.set(text, n + 1);
  const digest = createHash('sha256').update(`${text}${FIELD_SEP}${n}`).digest();
  return digest.readUIntBE(0, 6) * 16 + (digest[6]! >> 4);
}

/** The reject file: a file (not a folder) in an existing folder, outside the lake. */
/** Lines of the reject file kept, and the longest line: a file of millions of bad rows, or of one huge field, gives a reject file of bounded size. */
const MAX_REJECT_LINES = 100_000;
const MAX_REJECT_LINE = 500;

/** The reject file's lines: one per refused row and per note about a file, the first MAX_REJECT_LINES of them, each cut at MAX_REJECT_LINE characters. */
class RejectLines {
  private readonly lines: string[] = [];
  private left = 0;
  /** Rows refused (whether or not their line was kept). */
  rows = 0;
  row(line: string): void {
    this.rows++;
    this.add(line);
  }
  note(line: string): void {
    this.add(line);
  }
  private add(line: string): void {
    if (this.lines.length >= MAX_REJECT_LINES) {
      this.left++;
      return;
    }
    this.lines.push(line.length > MAX_REJECT_LINE ? `${line.slice(0, MAX_REJECT_LINE - 1)}…` : line);
  }
  text(): string {
    const more = this.left > 0 ? [`… and ${this.left} more line(s), not listed (the first ${MAX_REJECT_LINES} are above)`] : [];
    return [...this.lines, ...more].map((l) => `${l}\n`).join('');
  }
}

function checkRejects(path: string, lake: string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new AlphaError(`--rejects ${path}: the folder ${dir} does not exist`);
  if (existsSync(path) && !statSync(path).isFile()) throw new AlphaError(`--rejects ${path}: not a regular file`);

  if (`${resolve(path)}/`.startsWith(`${lake}/`))
    throw new AlphaError(`--rejects ${path}: inside the lake folder ${lake}: expected a file outside it `);
}
