/**
 * Appends Parquet files to a dataset's Delta table through DuckDB (`INSERT` into the attached table,
 * one per partition, in one transaction): one commit for all of them, or none. Each row goes to the
 * partition of its `ts_known` date.
 *
 * Idempotent: a row whose identity and version (e.g. `id`, `version`, `ts_known` of a Trade) the
 * table already holds is not added again, so re-running an append that was interrupted — before its
 * commit, which leaves the table at its previous version, or after it — adds each row once. Rows
 * with a NULL, or repeating another row's identity and version, refuse the whole append.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AlphaError } from '../../core/errors.ts';
import { isoTimeMicros } from '../../core/time.ts';
import { coldSource } from './cold-read.ts';
import { type Duck, ident, literal, message, openDuck } from './duckdb.ts';
import { lockPath, PARTITION, tablePath } from './layout.ts';
import { withLock } from './lock.ts';
import { tableSchema, tableVersion } from './table.ts';
import { duckdbType, type LakeSchema } from './table-schema.ts';

export interface AppendResult {
  /** Rows added by this append. */
  added: number;
  /** Rows the table held already (from an earlier run of the same append). */
  skipped: number;
  /** The table's version before and after (equal when nothing was added). */
  before: number;
  version: number;
  /** With `check`: how many rows of the files the table holds at `version` (all of them, unless something is wrong). */
  held?: number;
}

export interface AppendOptions {
  /** Called with the number of rows just before the commit is attempted (progress output). */
  onInsert?: (rows: number) => void;
  /** Called after the rows are inserted (data files written), just before the commit. */
  beforeCommit?: () => void;
  /** Afterwards, count the rows of the files that the table holds at its new version (`held`). */
  check?: boolean;
}

export async function appendFiles(
  lake: string,
  dataset: string,
  files: readonly string[],
  options: AppendOptions = {},
): Promise<AppendResult> {
  const table = tablePath(lake, dataset, true);
  if (files.length === 0) throw new AlphaError('expected at least one Parquet file to append');
  for (const f of files) {
    if (!existsSync(f)) throw new AlphaError(`${f}: file not found`);
    if (!statSync(f).isFile()) throw new AlphaError(`${f}: not a regular file`);
  }
  return withLock(lockPath(table), `dataset "${dataset}"`, async () => {
    const duck = await openDuck();
    try {
      const schema = await tableSchema(duck, table);
      const before = tableVersion(table);
      const rows = await stage(duck, schema, files);
      const identity = [...schema.key, ...schema.latest.filter((c) => !schema.key.includes(c))];
      await checkBatch(duck, schema, identity, `dataset "${dataset}", ${files.join(', ')}`);
      if (rows === 0) return { added: 0, skipped: 0, before, version: before, ...(options.check ? { held: 0 } : {}) };
      const held = async (version: number) => (options.check ? { held: await rowsHeld(duck, table.dir, identity, version) } : {});
      await duck.connection.run(`ATTACH ${literal(table.dir)} AS lake (TYPE delta)`);
      // Rows of archived partitions count as held too: the cold tier's files join the warm table's
      // (only those of the batch's dates are fetched).
      const batchDates = await datesOf(duck, 'batch');
      const cold = await coldSource(duck, table, schema, before, { only: batchDates });
      await duck.connection.run(`CREATE TEMP VIEW held AS SELECT * FROM lake${cold?.sql ? ` UNION ALL BY NAME ${cold.sql}` : ''}`);
      // The rows the table lacks, found before any write: the delta extension cannot scan a table
      // that the open transaction has written to.
      const same = identity.map((c) => `t.${ident(c)} = b.${ident(c)}`).join(' AND ');
      const inDates = `t.${ident(PARTITION)} IN (${batchDates.map((d) => `DATE ${literal(d)}`).join(', ')})`;
      await duck.connection.run(
        `CREATE TEMP TABLE fresh AS SELECT * FROM batch b WHERE NOT EXISTS (SELECT 1 FROM held t WHERE ${inDates} AND ${same})`,
      );
      const added = Number((await all(duck, 'SELECT count(*) AS n FROM fresh'))[0]?.['n'] ?? 0);
      if (added === 0) return { added: 0, skipped: rows, before, version: before, ...(await held(before)) };
      options.onInsert?.(added);
      // The partitions' files before the write: a failed one (a full disk) leaves files no commit names,
      // which are removed then (the lock keeps other writers out meanwhile).
      const partitions = (await datesOf(duck, 'fresh')).map((d) => join(table.dir, `${PARTITION}=${d}`));
      const earlier = filesIn(partitions);
      // One INSERT per partition (the extension writes one partition per statement), one transaction:
      // one Delta commit, written when the transaction commits, or none.
      try {
        await duck.connection.run('BEGIN TRANSACTION');
        for (const d of await datesOf(duck, 'fresh'))
          await duck.connection.run(`INSERT INTO lake BY NAME SELECT * FROM fresh WHERE ${ident(PARTITION)} = DATE ${literal(d)}`);
        options.beforeCommit?.();
        await duck.connection.run('COMMIT');
      } catch (err) {
        await duck.connection.run('ROLLBACK').catch(() => undefined);
        if (tableVersion(table) !== before)
          throw new AlphaError(
            `dataset "${dataset}": the append reported a failure after its commit (${message(err)}): check the table with alpha data lake info`,
          );
        const left = [...filesIn(partitions)].filter((f) => !earlier.has(f));
        for (const f of left) rmSync(f, { force: true });
        throw new AlphaError(
          `dataset "${dataset}": the append failed, the table stays at version ${before}${left.length > 0 ? ` (its ${left.length} uncommitted data file(s) removed)` : ''} (${message(err)})`,
        );
      }
      const version = tableVersion(table);
      return { added, skipped: rows - added, before, version, ...(await held(version)) };
    } finally {
      duck.close();
    }
  });
}

/** The files directly in each of `folders` (a folder not there has none). */
function filesIn(folders: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const dir of folders) {
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isFile()) out.add(join(dir, e.name));
  }
  return out;
}

/** The rows of the temp table `batch` that the table holds at `version`, matched by identity in their partitions. */
async function rowsHeld(duck: Duck, dir: string, identity: readonly string[], version: number): Promise<number> {
  const same = identity.map((c) => `t.${ident(c)} = b.${ident(c)}`).join(' AND ');
  const sql =
    `SELECT count(*) AS n FROM batch b WHERE EXISTS (SELECT 1 FROM delta_scan(${literal(dir)}, version => ${version}) t ` +
    `WHERE t.${ident(PARTITION)} = b.${ident(PARTITION)} AND ${same})`;
  return Number((await all(duck, sql))[0]?.['n'] ?? 0);
}

async function datesOf(duck: Duck, table: string): Promise<string[]> {
  const rows = await all(duck, `SELECT DISTINCT strftime(${ident(PARTITION)}, '%Y-%m-%d') AS d FROM ${table} ORDER BY d`);
  return rows.map((r) => String(r['d']));
}

async function all(duck: Duck, sql: string): Promise<Record<string, unknown>[]> {
  return (await duck.connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
}

/** Loads the files into the temp table `batch`, with the table's columns and types; returns its rows. */
async function stage(duck: Duck, schema: LakeSchema, files: readonly string[]): Promise<number> {
  const fields = schema.columns.filter((c) => c.name !== PARTITION);
  for (const f of files) {
    let have: Set<string>;
    try {
      have = new Set((await all(duck, `DESCRIBE SELECT * FROM read_parquet(${literal(f)})`)).map((r) => String(r['column_name'])));
    } catch (err) {
      throw new AlphaError(`${f}: not a readable Parquet file (${message(err)})`);
    }
    const missing = fields.filter((c) => !have.has(c.name)).map((c) => c.name);
    if (missing.length > 0)
      throw new AlphaError(
        `${f}: no column ${missing.join(', ')}: expected the fields of ${schema.name} (${fields.map((c) => c.name).join(', ')})`,
      );
  }
  const select = fields.map((c) => `CAST(${ident(c.name)} AS ${duckdbType(c)}) AS ${ident(c.name)}`).join(', ');
  try {
    await duck.connection.run(
      `CREATE TEMP TABLE batch AS SELECT ${select}, CAST(${ident('ts_known')} AS DATE) AS ${ident(PARTITION)} ` +
        `FROM read_parquet([${files.map(literal).join(', ')}])`,
    );
  } catch (err) {
    throw new AlphaError(`${files.join(', ')}: cannot read the rows as ${schema.name} (${message(err)})`);
  }
  return Number((await all(duck, 'SELECT count(*) AS n FROM batch'))[0]?.['n'] ?? 0);
}

async function checkBatch(duck: Duck, schema: LakeSchema, identity: readonly string[], where: string): Promise<void> {
  const anyNull = schema.columns.map((c) => `${ident(c.name)} IS NULL`).join(' OR ');
  const nulls = Number((await all(duck, `SELECT count(*) AS n FROM batch WHERE ${anyNull}`))[0]?.['n'] ?? 0);
  if (nulls > 0) throw new AlphaError(`${where}: ${nulls} row(s) with a NULL: expected a value in every column of ${schema.name}`);
  const keys = identity.map(ident).join(', ');
  // Times as µs since the epoch (a JS Date would drop the µs), shown in ISO µs.
  const timestamps = new Set(schema.columns.filter((c) => c.type === 'timestamp').map((c) => c.name));
  const shown = identity.map((c) => (timestamps.has(c) ? `epoch_us(${ident(c)}) AS ${ident(c)}` : ident(c))).join(', ');
  const repeated = await all(duck, `SELECT ${shown}, count(*) AS n FROM batch GROUP BY ${keys} HAVING count(*) > 1 LIMIT 1`);
  if (repeated.length > 0) {
    const r = repeated[0]!;
    const value = (c: string): string => (timestamps.has(c) ? isoTimeMicros(Number(r[c])) : String(r[c]));
    throw new AlphaError(
      `${where}: ${r['n']} rows with the same ${identity.map((c) => `${c} ${value(c)}`).join(', ')}: expected each version of a record once`,
    );
  }
}
