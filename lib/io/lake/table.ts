/**
 * What a lake table is: its latest version (from the commit files of `_delta_log`) and its schema
 * (the lake schema whose columns the table has, read through DuckDB).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AlphaError } from '../../core/errors.ts';
import { type Duck, literal, message } from './duckdb.ts';
import type { TablePath } from './layout.ts';
import { type LakeSchema, schemaOfColumns } from './table-schema.ts';

const COMMIT = /^(\d{20})\.json$/;

/** The latest committed version: the highest `_delta_log/NNN….json` (a commit is that file, written whole). */
export function tableVersion(table: TablePath): number {
  let latest = -1;
  for (const f of readdirSync(join(table.dir, '_delta_log'))) {
    const m = COMMIT.exec(f);
    if (m) latest = Math.max(latest, Number(m[1]));
  }
  if (latest < 0) throw new AlphaError(`dataset "${table.dataset}": ${table.dir}/_delta_log holds no commit`);
  return latest;
}

/** The lake schema of the table, from its columns. */
export async function tableSchema(duck: Duck, table: TablePath): Promise<LakeSchema> {
  let columns: string[];
  try {
    const r = await duck.connection.runAndReadAll(`DESCRIBE SELECT * FROM delta_scan(${literal(table.dir)})`);
    columns = r.getRowObjectsJS().map((row) => String(row['column_name']));
  } catch (err) {
    throw new AlphaError(`dataset "${table.dataset}": cannot read the Delta table at ${table.dir} (${message(err)})`);
  }
  const schema = schemaOfColumns(columns);
  if (!schema) throw new AlphaError(`dataset "${table.dataset}": its columns (${columns.join(', ')}) are not those of a lake schema`);
  return schema;
}
