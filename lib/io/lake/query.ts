/**
 * Bitemporal reads of a dataset through DuckDB. Two times, two questions:
 * - `version`: transaction time, the table as it was after commit N (Delta time travel);
 * - `asOf`: knowledge time T, what had been learnt by T: of the rows with `ts_known ≤ T`, the latest
 *   version of each record (by the schema's identity and version ranking, lib/io/lake/table-schema.ts).
 * Without `allVersions` the answer has one row per record (the latest version known, as of T when
 * given); with it, every row version. Symbols and the `from`/`to` dates (UTC dates of `ts_event`) then
 * select records, after the latest version is chosen, so a correction is never mixed with an older
 * version of another date. Rows come in delivery order (ts_known, then seq or symbol).
 * Partitions archived to the object store (the cold tier) are read with the table's, transparently.
 */
import { renameSync, rmSync } from 'node:fs';
import { AlphaError } from '../../core/errors.ts';
import { formatDate, parseDate } from '../../core/dates.ts';
import { DAY } from '../../core/time.ts';
import { checkVersion, coldSource } from './cold-read.ts';
import { type Duck, ident, literal, message, openDuck } from './duckdb.ts';
import { PARTITION, tablePath } from './layout.ts';
import { tableSchema, tableVersion } from './table.ts';
import type { LakeColumn } from './table-schema.ts';
import { versionFiles } from './version-files.ts';

export interface LakeQuery {
  lake: string;
  dataset: string;
  /** Knowledge time T, µs since the epoch. */
  asOf?: number;
  /** Table version (transaction time). */
  version?: number;
  symbols?: readonly string[];
  /** First and last UTC date of ts_event, YYYY-MM-DD, inclusive. */
  from?: string;
  to?: string;
  allVersions?: boolean;
  limit?: number;
}

export interface QueryAnswer {
  /** The schema's columns (without the partition column); timestamps as µs since the epoch. */
  columns: readonly LakeColumn[];
  rows: unknown[][];
  /** The table version read. */
  version: number;
}

interface Planned {
  sql: string;
  params: (bigint | string)[];
  columns: LakeColumn[];
  version: number;
}

async function plan(duck: Duck, q: LakeQuery, timestampsAsMicros: boolean): Promise<Planned> {
  const table = tablePath(q.lake, q.dataset, true);
  const latest = tableVersion(table);
  if (q.version !== undefined && (!Number.isInteger(q.version) || q.version < 0 || q.version > latest))
    throw new AlphaError(`--version ${q.version}: dataset "${q.dataset}" has versions 0 to ${latest}`);
  const schema = await tableSchema(duck, table);
  const params: (bigint | string)[] = [];
  const param = (v: bigint | string): string => {
    params.push(v);
    return `$${params.length}`;
  };
  // With --as-of, the cold partitions past its date are not fetched: a partition is ts_known's date
  // (the filter below reads no later one either).
  const cold = await coldSource(duck, table, schema, q.version ?? latest, q.asOf !== undefined ? { to: formatDate(q.asOf) } : {});
  checkVersion(cold, q.version, q.dataset);
  // With a cold tier, the warm table is read at the version the cold entries were chosen for.
  const version = q.version ?? (cold ? latest : undefined);
  const warm = `delta_scan(${literal(table.dir)}${version !== undefined ? `, version => ${version}` : ''})`;
  // The cold tier's files join the warm table's: together they hold each row once (cold-manifest.ts).
  const scan = cold?.sql ? `(SELECT * FROM ${warm} UNION ALL BY NAME ${cold.sql})` : warm;
  const inner: string[] = [];
  if (q.asOf !== undefined) {
    const t = param(BigInt(q.asOf));
    // The partition is ts_known's date: only dates up to T's can hold what was known by T.
    inner.push(
      `${ident(PARTITION)} <= CAST(make_timestamp(${t}::BIGINT) AS DATE)`,
      `ts_known <= CAST(make_timestamp(${t}::BIGINT) AS TIMESTAMPTZ)`,
    );
  }
  const outer: string[] = [];
  if (q.symbols && q.symbols.length > 0) outer.push(`symbol IN (${q.symbols.map((s) => param(s)).join(', ')})`);
  if (q.from !== undefined) outer.push(`ts_event >= CAST(make_timestamp(${param(BigInt(parseDate(q.from)))}::BIGINT) AS TIMESTAMPTZ)`);
  if (q.to !== undefined) outer.push(`ts_event < CAST(make_timestamp(${param(BigInt(parseDate(q.to) + DAY))}::BIGINT) AS TIMESTAMPTZ)`);
  const rank = schema.latest.map((c) => `${ident(c)} DESC`).join(', ');
  const versions =
    `SELECT * FROM ${scan}${inner.length ? ` WHERE ${inner.join(' AND ')}` : ''}` +
    (q.allVersions ? '' : ` QUALIFY row_number() OVER (PARTITION BY ${schema.key.map(ident).join(', ')} ORDER BY ${rank}) = 1`);
  const columns = schema.columns.filter((c) => c.name !== PARTITION);
  const select = columns
    .map((c) => (c.type === 'timestamp' && timestampsAsMicros ? `epoch_us(${ident(c.name)}) AS ${ident(c.name)}` : ident(c.name)))
    .join(', ');
  const sql =
    `SELECT ${select} FROM (${versions})${outer.length ? ` WHERE ${outer.join(' AND ')}` : ''} ` +
    `ORDER BY ${schema.order.map(ident).join(', ')}${q.limit !== undefined ? ` LIMIT ${q.limit}` : ''}`;
  return { sql, params, columns, version: q.version ?? latest };
}

function failed(q: LakeQuery, version: number, err: unknown): AlphaError {
  if (err instanceof AlphaError) return err;
  return goneFiles(q, version) ?? new AlphaError(`dataset "${q.dataset}": the query failed (${message(err)})`);
}

/** Why `version` could not be read when files it needs are gone (a vacuum's doing, mostly), or undefined. */
function goneFiles(q: LakeQuery, version: number): AlphaError | undefined {
  const table = tablePath(q.lake, q.dataset, true);
  const latest = tableVersion(table);
  let files: ReturnType<typeof versionFiles>;
  try {
    files = versionFiles(table, version, latest);
  } catch {
    return undefined; // a log this cannot read: DuckDB's own message says more
  }
  if (!files || files.missing.length === 0) return undefined;
  const where = `${q.version !== undefined ? `--version ${version}` : `the latest version (${version})`} of dataset "${q.dataset}"`;
  const gone = `${files.missing.length} of ${files.needed} gone: ${files.missing[0]}${files.missing.length > 1 ? ', …' : ''}`;
  const why = files.vacuumed
    ? `a vacuum removed the data files it needs (${gone})`
    : `the data files it needs are missing from ${table.dir}, though no vacuum ran (${gone})`;
  const from = files.readableFrom;
  const readable =
    from === undefined
      ? 'no version has all its files, the latest included'
      : from === latest
        ? `only version ${latest} can be read`
        : `versions ${from} to ${latest} can be read`;
  return new AlphaError(`${where} can no longer be read: ${why}; ${readable}`);
}

/** The answer in memory, timestamps as µs (numbers), BIGINTs as numbers. */
export async function queryLake(q: LakeQuery): Promise<QueryAnswer> {
  const duck = await openDuck();
  try {
    const p = await plan(duck, q, true);
    let rows: unknown[][];
    try {
      rows = (await duck.connection.runAndReadAll(p.sql, p.params)).getRowsJS() as unknown[][];
    } catch (err) {
      throw failed(q, p.version, err);
    }
    for (const row of rows) for (let i = 0; i < row.length; i++) if (typeof row[i] === 'bigint') row[i] = Number(row[i]);
    return { columns: p.columns, rows, version: p.version };
  } finally {
    duck.close();
  }
}

/** Writes the answer as a Parquet file (TIMESTAMP(MICROS, UTC) columns), whole or not at all. */
export async function queryLakeToParquet(q: LakeQuery, out: string): Promise<{ rows: number; version: number }> {
  const duck = await openDuck();
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    const p = await plan(duck, q, false);
    let rows: number;
    try {
      const r = await duck.connection.runAndReadAll(`COPY (${p.sql}) TO ${literal(tmp)} (FORMAT parquet, COMPRESSION snappy)`, p.params);
      rows = Number(r.getRowsJS()[0]?.[0] ?? 0);
    } catch (err) {
      throw failed(q, p.version, err);
    }
    renameSync(tmp, out);
    return { rows, version: p.version };
  } finally {
    rmSync(tmp, { force: true });
    duck.close();
  }
}
