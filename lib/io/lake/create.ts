/**
 * Creates a dataset's Delta table (through delta-rs: DuckDB's delta extension cannot create tables):
 * the columns of its schema, partitioned by `date`, `delta.appendOnly`, protocol reader 1 / writer 2
 * (no table features), which every Spark with Delta Lake reads. It holds the dataset's lock, as every
 * writer does: two creates at once both committed a CREATE (a table at version 1) without it.
 */
import { mkdirSync } from 'node:fs';
import { runLakeTool } from './lake-tool.ts';
import { lockPath, PARTITION, tablePath } from './layout.ts';
import { withLock } from './lock.ts';
import { lakeSchema } from './table-schema.ts';

export interface CreatedTable {
  dir: string;
  version: number;
  min_reader_version: number;
  min_writer_version: number;
}

export async function createTable(lake: string, dataset: string, schemaName: string): Promise<CreatedTable> {
  const schema = lakeSchema(schemaName);
  const table = tablePath(lake, dataset, false);
  mkdirSync(table.lake, { recursive: true });
  const r = await withLock(lockPath(table), `dataset "${dataset}"`, () =>
    runLakeTool<Omit<CreatedTable, 'dir'>>('create', [
      '--table',
      table.dir,
      '--columns',
      JSON.stringify(schema.columns),
      '--partition',
      PARTITION,
      '--name',
      dataset,
      '--description',
      `alpha.schema=${schema.name}`,
    ]),
  );
  return { dir: table.dir, ...r };
}
