/**
 * `alpha data flush --date D`: the end-of-day move of one UTC day from the Redis hot tier into the
 * lake's Delta tables (the warm tier), then out of Redis. Per dataset, holding the flush lock:
 *
 *   1. read the day's entries of every stream of the dataset (lib/io/redis/hot-day.ts);
 *   2. stage them as one Parquet file, `LAKE/.flush/DATASET/DATE.parquet` (written whole, renamed);
 *   3. append it to the table (lib/io/lake/append.ts: one Delta commit, or none; rows the table
 *      already holds, by identity and version, are skipped — so a commit made by a run that died
 *      before it could record it is found in the table, not repeated);
 *   4. check that the table at the version it is now at holds every staged row, and record that in
 *      the ledger `LAKE/.flush/DATASET/DATE.json` (state `committed`, the Delta version);
 *   5. remove exactly the entries read from Redis, then mark the ledger `trimmed` and drop the stage.
 *
 * A run killed anywhere leaves either the entries in Redis (before 5) or the rows in the lake (from
 * 3 on), and a rerun completes it: each record ends in the table once, and none is lost. A second
 * run after a complete one finds nothing of the day in Redis and adds nothing.
 *
 * ALPHA_FLUSH_CRASH_AT=<point> kills the process (SIGKILL) at that point; only the crash test sets
 * it (points: before-write, after-data, after-commit, before-trim, mid-trim).
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { AlphaError } from '../../lib/core/errors.ts';
import { readJsonFile } from '../../lib/io/data-file.ts';
import { nameProblem, nameRule } from '../../lib/core/names.ts';
import { appendFiles } from '../../lib/io/lake/append.ts';
import { createTable } from '../../lib/io/lake/create.ts';
import { tablePath } from '../../lib/io/lake/layout.ts';
import { withLock } from '../../lib/io/lake/lock.ts';
import { lakeSchemas } from '../../lib/io/lake/table-schema.ts';
import { tableFromColumns, typedColumnsOf } from '../../lib/io/avro-arrow.ts';
import { writeParquetFile } from '../../lib/io/parquet.ts';
import { hotDatasets, hotSchema, readHotDay, removeHotDay } from '../../lib/io/redis/hot-day.ts';
import { HOT_SCHEMAS, type HotSchema } from '../../lib/io/redis/hot-streams.ts';

export const CRASH_POINTS = ['before-write', 'after-data', 'after-commit', 'before-trim', 'mid-trim'] as const;

function crashPoint(name: (typeof CRASH_POINTS)[number]): void {
  if (process.env['ALPHA_FLUSH_CRASH_AT'] === name) process.kill(process.pid, 'SIGKILL');
}

export interface FlushLedger {
  flush_id: string;
  dataset: string;
  date: string;
  schema: string;
  state: 'committed' | 'trimmed';
  /** Records of the day read from Redis by the run that wrote this. */
  rows: number;
  added: number;
  /** Rows the table already held (a rerun after a commit). */
  skipped: number;
  version_before: number;
  /** The table version that holds every row of the flush. */
  version: number;
  /** Entries removed from Redis (once trimmed). */
  removed?: number;
}

export interface FlushResult {
  dataset: string;
  schema: string;
  rows: number;
  added: number;
  skipped: number;
  undecodable: number;
  /** The first of those entries (lib/io/redis/hot-day.ts UNDECODABLE_NAMED), left in Redis. */
  undecodable_entries: { stream: string; id: string }[];
  removed: number;
  created: boolean;
  version: number | undefined;
  /** The ledger of an earlier run of this day, when Redis held nothing of it any more. */
  earlier: FlushLedger | undefined;
}

export interface FlushOptions {
  lake: string;
  date: string;
  /** Datasets to flush; default: every dataset in Redis whose schema can be a lake table. */
  datasets?: readonly string[];
  onDataset?: (dataset: string, rows: number) => void;
  /** Told of each dataset's result as it is flushed (before a later dataset can fail). */
  onResult?: (result: FlushResult) => void;
}

const flushDir = (lake: string, dataset: string): string => join(lake, '.flush', dataset);

function readLedger(path: string): FlushLedger | undefined {
  if (!existsSync(path)) return undefined;
  const refused = (why: string): AlphaError => new AlphaError(`${path}: not a flush ledger (${why}); move it away to flush this day again`);
  // Bounded and never blocking: a ledger is a few hundred bytes.
  const parsed = readJsonFile(path, { bytes: 64 * 1024, of: 'a flush ledger' });
  if ('error' in parsed) throw refused(parsed.error);
  const ledger = parsed.value as FlushLedger | null;
  if (ledger === null || typeof ledger !== 'object' || typeof ledger.state !== 'string') throw refused('no state');
  return ledger;
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** The datasets to flush, each with its schema; one whose schema cannot be a lake table is refused. */
async function chooseDatasets(redis: Redis, wanted: readonly string[] | undefined): Promise<[string, HotSchema][]> {
  const lakeable = lakeSchemas();
  if (wanted === undefined)
    return [...(await hotDatasets(redis))]
      .filter((d): d is [string, HotSchema] => lakeable.has(d[1]) && (HOT_SCHEMAS as readonly string[]).includes(d[1]))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out: [string, HotSchema][] = [];
  for (const dataset of wanted) {
    const problem = nameProblem(dataset);
    if (problem) throw new AlphaError(`--dataset "${dataset}" ${problem.replace(/ \(.*\)$/, '')}: expected ${nameRule()}`);
    const schema = await hotSchema(redis, dataset);
    if (!lakeable.has(schema))
      throw new AlphaError(
        `dataset "${dataset}" holds ${schema} records, which cannot be a lake table: expected ${[...lakeable.keys()].join(', ')}`,
      );
    out.push([dataset, schema]);
  }
  return out;
}

/**
 * Flushes each dataset in turn. One that fails does not stop the others (a dataset refused by the lake
 * left every later one in Redis): the failures are thrown together once the rest are flushed, each
 * naming its dataset; a single dataset's failure is thrown as it is.
 */
export async function flushDay(redis: Redis, o: FlushOptions): Promise<FlushResult[]> {
  const results: FlushResult[] = [];
  const chosen = await chooseDatasets(redis, o.datasets);
  const failures: { dataset: string; error: unknown }[] = [];
  for (const [dataset, schema] of chosen) {
    try {
      const table = tablePath(o.lake, dataset, false);
      const dir = flushDir(table.lake, dataset);
      mkdirSync(dir, { recursive: true });
      const result = await withLock(join(table.lake, '.locks', `${dataset}.flush.lock`), `the flush of dataset "${dataset}"`, () =>
        flushDataset(redis, o, dataset, schema, dir),
      );
      results.push(result);
      o.onResult?.(result);
    } catch (error) {
      if (chosen.length === 1) throw error;
      failures.push({ dataset, error });
    }
  }
  if (failures.length > 0) {
    const flushed = results.map((r) => `"${r.dataset}"`).join(', ') || 'none';
    throw new AlphaError(
      `${failures.length} of ${chosen.length} datasets failed to flush for ${o.date} (flushed: ${flushed}): ` +
        failures.map((f) => `"${f.dataset}": ${f.error instanceof Error ? f.error.message : String(f.error)}`).join('; '),
    );
  }
  return results;
}

async function flushDataset(redis: Redis, o: FlushOptions, dataset: string, schema: HotSchema, dir: string): Promise<FlushResult> {
  const ledgerPath = join(dir, `${o.date}.json`);
  const stage = join(dir, `${o.date}.parquet`);
  const earlier = readLedger(ledgerPath);
  const day = await readHotDay<Record<string, unknown>>(redis, dataset, schema, o.date);
  const result: FlushResult = {
    dataset,
    schema,
    rows: day.records.length,
    added: 0,
    skipped: 0,
    undecodable: day.undecodable,
    undecodable_entries: day.undecodableEntries,
    removed: 0,
    created: false,
    version: earlier?.version,
    earlier: undefined,
  };
  if (day.records.length === 0) {
    rmSync(stage, { force: true });
    return { ...result, earlier };
  }
  o.onDataset?.(dataset, day.records.length);

  writeParquetFile(`${stage}.tmp`, tableFromColumns(schema, typedColumnsOf(schema, day.records), day.records.length));
  renameSync(`${stage}.tmp`, stage);
  crashPoint('before-write');

  const table = tablePath(o.lake, dataset, false);
  if (!existsSync(join(table.dir, '_delta_log'))) {
    await createTable(o.lake, dataset, schema);
    result.created = true;
  }
  // Redis is trimmed only once the table is seen to hold every row of the day (`check`).
  const appended = await appendFiles(o.lake, dataset, [stage], { beforeCommit: () => crashPoint('after-data'), check: true });
  crashPoint('after-commit');
  const rows = appended.added + appended.skipped;
  const held = appended.held ?? 0;
  if (rows !== day.records.length || held !== rows)
    throw new AlphaError(
      `dataset "${dataset}", ${o.date}: the table at version ${appended.version} holds ${held} of the ${rows} rows flushed; Redis is left as it was`,
    );
  const ledger: FlushLedger = {
    flush_id: `flush:${dataset}:${o.date}`,
    dataset,
    date: o.date,
    schema,
    state: 'committed',
    rows,
    added: appended.added,
    skipped: appended.skipped,
    version_before: appended.before,
    version: appended.version,
  };
  writeAtomic(ledgerPath, `${JSON.stringify(ledger, null, 2)}\n`);
  crashPoint('before-trim');

  let streams = 0;
  const removed = await removeHotDay(redis, day, () => {
    if (++streams === 1) crashPoint('mid-trim');
  });
  writeAtomic(ledgerPath, `${JSON.stringify({ ...ledger, state: 'trimmed', removed }, null, 2)}\n`);
  rmSync(stage, { force: true });
  return { ...result, added: appended.added, skipped: appended.skipped, removed, version: appended.version };
}
