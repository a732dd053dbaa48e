/**
 * A replay's read of a dataset's Delta table: the rows of a range of `date` partitions (UTC dates of
 * ts_known), as known at T and in table version N when asked, in delivery order (ts_known, seq), as
 * column batches built from DuckDB's vectors (one typed array per field, strings as dictionary codes
 * that DuckDB computes by casting to an ENUM), never an object per row.
 *
 * One query per partition, in date order; the next partition's query runs in DuckDB's threads while
 * the caller works on this one. Each partition's rows come in batches of at most `batchRows`, as a
 * data folder's day file does (PARQUET_BATCH_ROWS), so a replay slices them the same way.
 *
 * Partitions archived to the object store (the cold tier) are read with the warm ones, transparently.
 *
 * Every row version with ts_known ≤ T is delivered (a correction after its original, at its own
 * ts_known), as a live feed would have delivered them; the latest-version view is `queryLake`'s.
 */
import { ColumnBatch } from '../../core/column-batch.ts';
import { AlphaError } from '../../core/errors.ts';
import { formatDate, isDate, parseDate } from '../../core/dates.ts';
import { isoMicros } from '../../core/instant.ts';
import { DAY } from '../../core/time.ts';
import type { DuckDBMaterializedResult } from '@duckdb/node-api';
import { checkVersion, coldSource } from './cold-read.ts';
import { type Duck, ident, literal, message, openDuck } from './duckdb.ts';
import { PARTITION, tablePath, type TablePath } from './layout.ts';
import { tableSchema, tableVersion } from './table.ts';
import type { LakeColumn } from './table-schema.ts';

export interface LakeReplayQuery {
  lake: string;
  dataset: string;
  /** The record schema the caller reads the table as (the table must hold it). */
  schema: string;
  /** First and last partition (UTC date of ts_known), YYYY-MM-DD, inclusive. */
  from: string;
  to: string;
  /** Knowledge time T, µs since the epoch: only rows with ts_known ≤ T. */
  asOf?: number;
  /** Table version (Delta time travel); default the latest. */
  version?: number;
  /** Most rows per batch (default 65,536). */
  batchRows?: number;
}

export interface LakeReplay<T> {
  next(): Promise<ColumnBatch<T> | null>;
  close(): Promise<void>;
  /** The table version read and the partitions it holds in the range (known after the first `next`). */
  readonly read: { version: number; dates: readonly string[] } | undefined;
}

const MAX_SAFE = '9007199254740991';

/** Opens the read; a bad dataset name, a missing table or a version the table lacks is refused here. */
export function openLakeReplay<T>(q: LakeReplayQuery): LakeReplay<T> {
  const table = tablePath(q.lake, q.dataset, true);
  const latest = tableVersion(table);
  if (q.version !== undefined && (!Number.isInteger(q.version) || q.version < 0 || q.version > latest))
    throw new AlphaError(`version ${q.version}: dataset "${q.dataset}" of the lake ${q.lake} has versions 0 to ${latest}`);
  for (const [what, d] of [
    ['from', q.from],
    ['to', q.to],
  ] as const)
    if (!isDate(d)) throw new AlphaError(`lake replay of "${q.dataset}": ${what} is "${d}": expected a real date YYYY-MM-DD`);
  let state: Promise<Opened> | undefined;
  let opened: Opened | undefined;
  let pending: ColumnBatch<T>[] = [];
  let read: LakeReplay<T>['read'];
  return {
    get read() {
      return read;
    },
    async next() {
      opened ??= await (state ??= open(table, q, latest));
      read ??= { version: q.version ?? latest, dates: opened.dates };
      while (pending.length === 0) {
        const batches = await opened.nextPartition();
        if (!batches) return null;
        pending = batches as ColumnBatch<T>[];
      }
      return pending.shift()!;
    },
    async close() {
      pending = [];
      const o = opened ?? (await state?.catch(() => undefined));
      await o?.close();
    },
  };
}

interface Opened {
  dates: readonly string[];
  nextPartition(): Promise<ColumnBatch<unknown>[] | null>;
  close(): Promise<void>;
}

async function open(table: TablePath, q: LakeReplayQuery, latest: number): Promise<Opened> {
  const duck = await openDuck();
  try {
    return await plan(duck, table, q, latest);
  } catch (err) {
    duck.close();
    throw err instanceof AlphaError ? err : new AlphaError(`dataset "${q.dataset}" of the lake: cannot read it (${message(err)})`);
  }
}

async function plan(duck: Duck, table: TablePath, q: LakeReplayQuery, latest: number): Promise<Opened> {
  const schema = await tableSchema(duck, table);
  if (schema.name !== q.schema)
    throw new AlphaError(`dataset "${q.dataset}" of the lake ${q.lake} holds ${schema.name} records: the replay reads it as ${q.schema}`);
  const version = q.version ?? latest;
  const last = q.asOf !== undefined && formatDate(q.asOf) < q.to ? formatDate(q.asOf) : q.to;
  // Only the cold partitions of the dates replayed are fetched.
  const cold = await coldSource(duck, table, schema, version, { from: q.from, to: last });
  checkVersion(cold, version, q.dataset);
  if (cold?.sql) {
    // Warm and cold partitions as one relation; a partition's query reads only its date's files of each.
    await duck.connection.run(`ATTACH ${literal(table.dir)} AS warm (TYPE delta, VERSION ${version})`);
    await duck.connection.run(`CREATE TEMP VIEW replayed AS SELECT * FROM warm UNION ALL BY NAME ${cold.sql}`);
  } else {
    await duck.connection.run(`ATTACH ${literal(table.dir)} AS replayed (TYPE delta, VERSION ${version})`);
  }
  const inRange = `${ident(PARTITION)} BETWEEN DATE ${literal(q.from)} AND DATE ${literal(last)}`;
  const known = q.asOf !== undefined ? ` AND ts_known <= make_timestamp(${BigInt(q.asOf)}::BIGINT)::TIMESTAMPTZ` : '';
  const all = async (sql: string): Promise<unknown[][]> => (await duck.connection.runAndReadAll(sql)).getRowsJS() as unknown[][];
  const dates = (await all(`SELECT DISTINCT strftime(${ident(PARTITION)}, '%Y-%m-%d') FROM replayed WHERE ${inRange} ORDER BY 1`)).map(
    (r) => String(r[0]),
  );
  const columns = schema.columns.filter((c) => c.name !== PARTITION);
  // Each string column's values in the range become an ENUM: DuckDB hands back its codes.
  const dictionaries = new Map<string, string[]>();
  for (const c of columns.filter((x) => x.type === 'string')) {
    const values = await all(`SELECT DISTINCT ${ident(c.name)} FROM replayed WHERE ${inRange} ORDER BY 1`);
    dictionaries.set(
      c.name,
      values.map((r) => String(r[0])),
    );
  }
  const select = columns.map((c) => `${nonNull(c, selectOf(c, dictionaries.get(c.name)))} AS ${ident(c.name)}`).join(', ');
  const order = schema.order.map(ident).join(', ');
  const batchRows = q.batchRows ?? 65_536;
  const query = (date: string): Promise<DuckDBMaterializedResult> =>
    duck.connection.run(`SELECT ${select} FROM replayed WHERE ${ident(PARTITION)} = DATE ${literal(date)}${known} ORDER BY ${order}`);
  let index = 0;
  let ahead: Promise<DuckDBMaterializedResult> | undefined;
  const request = (): Promise<DuckDBMaterializedResult> | undefined => {
    const date = dates[index];
    if (date === undefined) return undefined;
    const p = query(date);
    p.catch(() => {}); // reported when taken
    return p;
  };
  let closed = false;
  return {
    dates,
    async nextPartition() {
      const date = dates[index];
      if (date === undefined || closed) return null;
      let result: DuckDBMaterializedResult;
      try {
        result = await (ahead ?? request()!);
      } catch (err) {
        throw new AlphaError(`dataset "${q.dataset}" of the lake, partition ${PARTITION}=${date}: the read failed (${message(err)})`);
      }
      index++;
      ahead = request();
      const where = `dataset "${q.dataset}" of the lake, partition ${PARTITION}=${date}`;
      const batches = batchesOf(result, columns, dictionaries, batchRows, where);
      checkPartition(batches, date, where);
      return batches;
    },
    async close() {
      closed = true;
      // The next partition's query may still run in DuckDB's threads (a read refused or stopped
      // mid-way): closing the database under it ended the process (a native crash).
      await ahead?.catch(() => undefined);
      duck.close();
    },
  };
}

/**
 * The typed array a DOUBLE or INTEGER vector of @duckdb/node-api (pinned 1.5.5-r.5) reads its values
 * from, a view of DuckDB's own memory: its `items` field, which the package keeps private. Copying it
 * whole is 12–17× faster than `getItem` per value (which also tests a validity bit per value). Absent or
 * of another kind in another version of the package, the caller falls back to `getItem`.
 */
function itemsOf(vector: unknown): Float64Array | Int32Array | undefined {
  const items = (vector as { items?: unknown }).items;
  return items instanceof Float64Array || items instanceof Int32Array ? items : undefined;
}

/** A column that stops the query with a message naming it when a row holds a NULL. */
const nonNull = (c: LakeColumn, sql: string): string =>
  `CASE WHEN ${ident(c.name)} IS NULL THEN error('column ${c.name} holds a NULL: expected a value in every row') ELSE ${sql} END`;

/** The SQL of one column as the replay reads it: times as µs, longs as doubles (refused beyond ±2^53), strings as codes. */
function selectOf(c: LakeColumn, dictionary: readonly string[] | undefined): string {
  const name = ident(c.name);
  switch (c.type) {
    case 'timestamp':
      return `epoch_us(${name})::DOUBLE`;
    case 'long':
      return `CASE WHEN abs(${name}) > ${MAX_SAFE} THEN error('column ${c.name} holds ' || ${name} || ': beyond ±2^53, not exact as a number') ELSE ${name}::DOUBLE END`;
    case 'integer':
      return `${name}::INTEGER`;
    case 'double':
      return `${name}::DOUBLE`;
    case 'string':
      // An ENUM of no value cannot be declared; a range without rows has no string to code.
      return dictionary && dictionary.length > 0
        ? `enum_code(${name}::ENUM(${dictionary.map(literal).join(', ')}))::INTEGER`
        : `0::INTEGER`;
    case 'date':
      return `${name}`;
  }
}

/**
 * Each row must be in the partition of its ts_known's UTC date (the writer's layout, docs/lake.md): a
 * table written by another tool can hold a row of another day, which would be replayed inside a day
 * it does not belong to (one stamped years later had every later row refused as out of order).
 * Checked on the typed column: in SQL, the cast of each TIMESTAMPTZ to a DATE cost the read 30%.
 */
function checkPartition(batches: readonly ColumnBatch<unknown>[], date: string, where: string): void {
  const from = parseDate(date);
  const until = from + DAY;
  let row = 0;
  for (const b of batches) {
    const known = (b.columns as { ts_known: Float64Array }).ts_known;
    for (let i = b.start; i < b.end; i++) {
      const t = known[i]!;
      if (!(t >= from && t < until))
        throw new AlphaError(
          `${where}: row ${row + i - b.start} has ts_known ${isoMicros(t)}: expected each row in the partition of its ts_known's UTC date`,
        );
    }
    row += b.length;
  }
}

/** Column batches of at most `batchRows` rows from the result's chunks, each column copied once into its typed array. */
function batchesOf(
  result: DuckDBMaterializedResult,
  columns: readonly LakeColumn[],
  dictionaries: ReadonlyMap<string, string[]>,
  batchRows: number,
  where: string,
): ColumnBatch<unknown>[] {
  const chunks = Array.from({ length: result.chunkCount }, (_, i) => result.getChunk(i)).filter((c) => c.rowCount > 0);
  const total = chunks.reduce((n, c) => n + c.rowCount, 0);
  const out: ColumnBatch<unknown>[] = [];
  let chunk = 0;
  let offset = 0; // rows of `chunks[chunk]` already taken
  for (let start = 0; start < total; start += batchRows) {
    const rows = Math.min(batchRows, total - start);
    const arrays = columns.map((c) => (c.type === 'integer' || c.type === 'string' ? new Int32Array(rows) : new Float64Array(rows)));
    let filled = 0;
    while (filled < rows) {
      const ch = chunks[chunk]!;
      const take = Math.min(ch.rowCount - offset, rows - filled);
      for (let k = 0; k < columns.length; k++) {
        const vector = ch.getColumnVector(k);
        const into = arrays[k]!;
        const items = itemsOf(vector);
        if (items && items.constructor === into.constructor) {
          // NULLs were refused by the query (nonNull), so the values are the whole story.
          into.set(items.subarray(offset, offset + take), filled);
          continue;
        }
        for (let i = 0; i < take; i++) {
          const v = vector.getItem(offset + i);
          if (v === null) throw new AlphaError(`${where}: column ${columns[k]!.name} holds a NULL: expected a value in every row`);
          into[filled + i] = v as number;
        }
      }
      filled += take;
      offset += take;
      if (offset === ch.rowCount) {
        chunk++;
        offset = 0;
      }
    }
    const batch: Record<string, unknown> = {};
    columns.forEach((c, k) => {
      batch[c.name] = c.type === 'string' ? { codes: arrays[k], dictionary: dictionaries.get(c.name) ?? [] } : arrays[k];
    });
    out.push(ColumnBatch.of(rows, batch as never));
  }
  return out;
}
