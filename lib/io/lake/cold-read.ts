/**
 * The cold tier as DuckDB reads it: the files of the dataset's cold manifest, straight from the
 * object store through the httpfs extension (loaded from the project's extension folder like delta),
 * with the credentials in a temporary DuckDB secret (endpoint on loopback, path-style URLs, no TLS).
 * The rows come with the table's column types and its `date` partition (from the key's
 * `date=YYYY-MM-DD` folder, so a filter on the date skips the other files without opening them).
 */
import { AlphaError } from '../../core/errors.ts';
import { type ColdEntry, coldView } from './cold-manifest.ts';
import { type Duck, ident, literal, message } from './duckdb.ts';
import { PARTITION, type TablePath } from './layout.ts';
import { objectStoreConfig } from './object-store.ts';
import { duckdbType, type LakeSchema } from './table-schema.ts';

export interface ColdSource {
  /** A SELECT of the cold rows with the table's columns (and `date`); undefined when no file is cold. */
  sql: string | undefined;
  entries: readonly ColdEntry[];
  /** The table version of the latest move: a read of an earlier version is refused. */
  sinceVersion: number;
}

/**
 * The dataset's cold rows in table version `version` for `duck`, or undefined when the dataset never
 * had a cold tier. The caller reads the warm table at the same version, found before this call.
 */
export async function coldSource(duck: Duck, table: TablePath, schema: LakeSchema, version: number): Promise<ColdSource | undefined> {
  const view = coldView(table, version);
  if (!view) return undefined;
  if (view.entries.length === 0) return { sql: undefined, entries: [], sinceVersion: view.sinceVersion };
  const config = objectStoreConfig();
  try {
    await duck.connection.run('LOAD httpfs');
  } catch (err) {
    throw new AlphaError(`cannot load DuckDB's httpfs extension (${message(err)}): run bash scripts/lake/setup.sh --force`);
  }
  try {
    await duck.connection.run(
      `CREATE OR REPLACE TEMPORARY SECRET alpha_cold (TYPE s3, KEY_ID ${literal(config.accessKeyId)}, SECRET ${literal(config.secretAccessKey)}, ` +
        `ENDPOINT ${literal(config.hostPort)}, URL_STYLE 'path', USE_SSL false, REGION ${literal(config.region)})`,
    );
  } catch {
    // DuckDB's message may quote the statement, which holds the secret.
    throw new AlphaError('cannot give DuckDB the object store credentials (CREATE SECRET failed)');
  }
  const urls = view.entries.map((e) => literal(`s3://${e.bucket}/${e.key}`)).join(', ');
  const columns = schema.columns
    .filter((c) => c.name !== PARTITION)
    .map((c) => `CAST(${ident(c.name)} AS ${duckdbType(c)}) AS ${ident(c.name)}`)
    .join(', ');
  return {
    sql: `SELECT ${columns}, ${ident(PARTITION)} FROM read_parquet([${urls}], hive_partitioning = true, hive_types = {${literal(PARTITION)}: DATE})`,
    entries: view.entries,
    sinceVersion: view.sinceVersion,
  };
}

/** Refuses a table version from before the latest move between tiers (its log names files that moved). */
export function checkVersion(cold: ColdSource | undefined, version: number | undefined, dataset: string): void {
  if (cold === undefined || version === undefined || version >= cold.sinceVersion) return;
  throw new AlphaError(
    `version ${version}: dataset "${dataset}" moved partitions between the warm and cold tiers at version ${cold.sinceVersion}; ` +
      `versions from ${cold.sinceVersion} on can be read with the cold tier`,
  );
}
