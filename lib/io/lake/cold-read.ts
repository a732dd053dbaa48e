/**
 * The cold tier as DuckDB reads it: the files of the dataset's cold manifest, fetched by the bounded
 * S3 client (object-store.ts) into a private folder of the lake, each checked against the size and
 * MD5 the manifest records, and read from there. The rows come with the table's column types and
 * their `date` partition (from the folder `date=YYYY-MM-DD`, so a filter on the date skips the other
 * files without opening them). The folder goes with the DuckDB session (`duck.close()`), or with the
 * process; one left by a process that was killed is removed by a later cold read of the lake, once a day old.
 *
 * Why not DuckDB's httpfs straight from the store: it trusts the server. A server ignoring Range and
 * announcing 2^50 bytes ran a query to 16.8 GB of memory, one sending headers and no body hung it, and
 * a substituted object (HEAD and GET both answering for another file) was read as if it were the one
 * archived — a short answer with exit 0. A HEAD check before the read would not help: the server can
 * answer HEAD truthfully and still send anything to the GETs. Fetching each object whole is what
 * lets its bytes be counted and hashed before a row of it is used; it costs the partitions a filter
 * would have skipped (`dates` below narrows what is fetched).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AlphaError } from '../../core/errors.ts';
import { type ColdEntry, coldView } from './cold-manifest.ts';
import { type Duck, ident, literal } from './duckdb.ts';
import { PARTITION, type TablePath } from './layout.ts';
import { inParallel } from '../../core/in-parallel.ts';
import { objectStoreConfig, openObjectStore } from './object-store.ts';
import { duckdbType, type LakeSchema } from './table-schema.ts';
import { processAlive } from '../../core/process-alive.ts';

export interface ColdSource {
  /** A SELECT of the cold rows with the table's columns (and `date`); undefined when no file is cold. */
  sql: string | undefined;
  entries: readonly ColdEntry[];
  /** The table version of the latest move: a read of an earlier version is refused. */
  sinceVersion: number;
}

/** Downloads at once (as the archive's transfers). */
const FETCHES_IN_FLIGHT = 4;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The dataset's cold rows in table version `version` for `duck`, or undefined when the dataset never
 * had a cold tier. The caller reads the warm table at the same version, found before this call, and
 * closes `duck`, which removes the fetched files. With `dates`, only the partitions in that range
 * (inclusive), or of those dates, are fetched and read: for a caller that reads no other date.
 */
export async function coldSource(
  duck: Duck,
  table: TablePath,
  schema: LakeSchema,
  version: number,
  dates: { from?: string; to?: string; only?: readonly string[] } = {},
): Promise<ColdSource | undefined> {
  const view = coldView(table, version);
  if (!view) return undefined;
  const only = dates.only === undefined ? undefined : new Set(dates.only);
  const entries = view.entries.filter(
    (e) =>
      (dates.from === undefined || e.date >= dates.from) &&
      (dates.to === undefined || e.date <= dates.to) &&
      (only === undefined || only.has(e.date)),
  );
  if (entries.length === 0) return { sql: undefined, entries: [], sinceVersion: view.sinceVersion };
  for (const e of entries)
    if (typeof e.date !== 'string' || !DATE.test(e.date))
      throw new AlphaError(
        `dataset "${table.dataset}": the cold tier's manifest gives ${JSON.stringify(e.path)} the date ${JSON.stringify(e.date)}: expected YYYY-MM-DD`,
      );
  const dir = privateFolder(table, duck);
  const files = await fetchAll(table, entries, dir);
  const columns = schema.columns
    .filter((c) => c.name !== PARTITION)
    .map((c) => `CAST(${ident(c.name)} AS ${duckdbType(c)}) AS ${ident(c.name)}`)
    .join(', ');
  return {
    sql: `SELECT ${columns}, ${ident(PARTITION)} FROM read_parquet([${files.map(literal).join(', ')}], hive_partitioning = true, hive_types = {${literal(PARTITION)}: DATE})`,
    entries,
    sinceVersion: view.sinceVersion,
  };
}

/** Each entry's object, checked, as `DIR/date=D/N.parquet`; on a failure none is left. */
async function fetchAll(table: TablePath, entries: readonly ColdEntry[], dir: string): Promise<string[]> {
  // The files are fetched whole before the query runs: refuse at once when the disk cannot hold them.
  const need = entries.reduce((n, e) => n + e.size, 0);
  const { bavail, bsize } = statfsSync(dir);
  if (need > bavail * bsize) {
    rmSync(dir, { recursive: true, force: true });
    throw new AlphaError(
      `dataset "${table.dataset}": reading its cold tier needs ${need.toLocaleString('en-US')} bytes in ${dir}, and ${(bavail * bsize).toLocaleString('en-US')} are free` +
        ' (free space there, or narrow the read: --as-of, or a replay of fewer dates)',
    );
  }
  const config = objectStoreConfig();
  const store = await openObjectStore(config);
  try {
    return await inParallel(
      entries.map((e, i) => ({ e, file: join(dir, `${PARTITION}=${e.date}`, `${i}.parquet`) })),
      FETCHES_IN_FLIGHT,
      async ({ e, file }) => {
        mkdirSync(join(file, '..'), { recursive: true });
        await store.getFile(e.bucket, e.key, file, { size: e.size, md5: e.md5 });
        return file;
      },
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const why = err instanceof Error ? err.message : String(err);
    // "the query failed": the words of a warm read's failure (query.ts), so both read alike.
    throw new AlphaError(`dataset "${table.dataset}": the query failed reading its cold tier: ${why}`);
  } finally {
    store.close();
  }
}

/**
 * A new folder `LAKE/.cold/read/PID-ID`, removed by `duck.close()` or at the process's exit, after
 * removing the folders of processes that no longer run.
 */
function privateFolder(table: TablePath, duck: Duck): string {
  const root = join(table.lake, '.cold', 'read');
  mkdirSync(root, { recursive: true });
  for (const name of readdirSync(root)) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    // A day old too: another host or container sharing the lake has PIDs of its own.
    if (Number.isSafeInteger(pid) && pid !== process.pid && !processAlive(pid) && olderThan(join(root, name), STALE_MS))
      rmSync(join(root, name), { recursive: true, force: true });
  }
  const dir = join(root, `${process.pid}-${randomUUID()}`);
  mkdirSync(dir);
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', remove);
  duck.onClose(() => {
    remove();
    process.removeListener('exit', remove);
  });
  return dir;
}

/** A fetch folder left by a process that is gone is removed once it is this old. */
const STALE_MS = 24 * 3600 * 1000;

function olderThan(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > ms;
  } catch {
    return false;
  }
}

/** Refuses a table version from before the latest move between tiers (its log names files that moved). */
export function checkVersion(cold: ColdSource | undefined, version: number | undefined, dataset: string): void {
  if (cold === undefined || version === undefined || version >= cold.sinceVersion) return;
  throw new AlphaError(
    `version ${version}: dataset "${dataset}" moved partitions between the warm and cold tiers at version ${cold.sinceVersion}; ` +
      `versions from ${cold.sinceVersion} on can be read with the cold tier`,
  );
}
