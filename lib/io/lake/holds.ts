/**
 * How many rows of Parquet files a Delta table holds at a version: each row looked up by its
 * identity and version (as the append matches them), in the partitions of the files' rows only.
 * The end-of-day flush asks this before it removes the rows from the hot tier.
 */
import { AlphaError } from '../../core/errors.ts';
import { ident, literal, message, openDuck } from './duckdb.ts';
import { PARTITION, tablePath } from './layout.ts';
import { tableSchema } from './table.ts';

export async function rowsHeld(
  lake: string,
  dataset: string,
  files: readonly string[],
  version: number,
): Promise<{ rows: number; held: number }> {
  const table = tablePath(lake, dataset, true);
  const duck = await openDuck();
  try {
    const schema = await tableSchema(duck, table);
    const identity = [...schema.key, ...schema.latest.filter((c) => !schema.key.includes(c))];
    const same = identity.map((c) => `t.${ident(c)} = b.${ident(c)}`).join(' AND ');
    const batch = `(SELECT *, CAST(${ident('ts_known')} AS DATE) AS ${ident(PARTITION)} FROM read_parquet([${files.map(literal).join(', ')}]))`;
    const sql =
      `SELECT (SELECT count(*) FROM ${batch}) AS rows, ` +
      `(SELECT count(*) FROM ${batch} b WHERE EXISTS (SELECT 1 FROM delta_scan(${literal(table.dir)}, version => ${version}) t ` +
      `WHERE t.${ident(PARTITION)} = b.${ident(PARTITION)} AND ${same})) AS held`;
    let row: Record<string, unknown> | undefined;
    try {
      row = (await duck.connection.runAndReadAll(sql)).getRowObjectsJS()[0] as Record<string, unknown> | undefined;
    } catch (err) {
      throw new AlphaError(
        `dataset "${dataset}": cannot compare ${files.join(', ')} with the table at version ${version} (${message(err)})`,
      );
    }
    return { rows: Number(row?.['rows'] ?? 0), held: Number(row?.['held'] ?? 0) };
  } finally {
    duck.close();
  }
}
