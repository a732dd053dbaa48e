/**
 * `npm run bench:lake`: the lake (Delta warm tier) against DuckDB on the same files, in one run.
 *
 * On a generated sample (default 40 symbols × 20 days, seed 1, as `npm start`'s), in a temporary lake:
 * - ingest: `appendFiles` of the quotes' day files into an empty Delta table (one commit), rows/s;
 *   reference: DuckDB writing the same rows as date-partitioned Parquet (`COPY … PARTITION_BY`), no log;
 * - as-of queries on one connection, p50/p99 over --queries runs: a symbol-day (one symbol's quotes of
 *   one day as known at the day's close, latest version of each record) and a cross-section at T (each
 *   symbol's last quote known by T, from T's partition); reference: the same SQL over `read_parquet` of
 *   the table's own data files (DuckDB scanning the same files without the Delta log);
 * - replay: quotes + trades of the whole sample as column batches, from the lake (lib/io/lake/replay.ts)
 *   and from the flat day files (pipelines/io/dataset.ts), events/s; reference: DuckDB scanning and
 *   sorting the same lake files by (ts_known, seq) with every chunk fetched but not converted;
 * - Z-order: `alpha data optimize`'s delta-rs Z-order of the quotes table; reference: DuckDB rewriting
 *   the same rows sorted by (symbol, ts_event) into date partitions; then the replay again, on the
 *   Z-ordered files.
 *
 * Flags: --data DIR (an existing sample; default: generated into a temporary folder)  --queries 50 (1 to 100,000)  --runs 3 (1 to 1,000)
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendFiles } from '../lib/io/lake/append.ts';
import { createTable } from '../lib/io/lake/create.ts';
import { type Duck, ident, literal, openDuck } from '../lib/io/lake/duckdb.ts';
import { optimizeTable } from '../lib/io/lake/maintain.ts';
import { openLakeReplay } from '../lib/io/lake/replay.ts';
import { generateDataset } from '../pipelines/data/generate.ts';
import { type DatasetManifest, readManifest } from '../pipelines/data/manifest.ts';
import { openDataset } from '../pipelines/io/dataset.ts';
import { benchFlags, refuse, wholeNumber } from './flags.ts';

const flags = benchFlags('lake', {
  data: { type: 'string' },
  queries: { type: 'string', default: '50' },
  runs: { type: 'string', default: '3' },
});
const queries = wholeNumber(flags, 'queries', { max: 100_000 });
const runs = wholeNumber(flags, 'runs', { max: 1000 });
/** The sample `--data` names, checked before the lake is made; undefined when one is to be generated. */
const given = flags.values.data === undefined ? undefined : sample(flags.values.data);

/** `--data DIR`'s manifest, with the quotes and trades the bench reads, or one line saying why not. */
function sample(dir: string): { dir: string; manifest: DatasetManifest } {
  let manifest: DatasetManifest;
  try {
    manifest = readManifest(dir);
  } catch (err) {
    return refuse('lake', `--data '${dir}': ${err instanceof Error ? err.message : String(err)}`);
  }
  for (const dataset of ['quotes', 'trades'])
    if (!manifest.datasets[dataset])
      refuse('lake', `--data '${dir}': its manifest lists no ${dataset} (the bench reads quotes and trades)`);
  return { dir, manifest };
}
const work = mkdtempSync(join(tmpdir(), 'alpha-bench-lake-'));
const lake = join(work, 'lake');

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (s: number): string => `${(s * 1000).toFixed(1)} ms`;
const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

/** The data files a table's latest version names, from DuckDB's delta scan (the files the reference reads). */
async function tableFiles(duck: Duck, dataset: string): Promise<string[]> {
  const dir = join(lake, dataset);
  const files: string[] = [];
  for (const d of readdirSync(dir).filter((x) => x.startsWith('date=')))
    for (const f of readdirSync(join(dir, d))) files.push(join(dir, d, f));
  // A Z-order leaves the old files beside the new ones: keep those the latest version names.
  const named = await duck.connection.runAndReadAll(`SELECT DISTINCT filename FROM delta_scan(${literal(dir)}, filename = true)`);
  const live = new Set(named.getRowsJS().map((r) => String(r[0]).replace(/^file:\/\//, '')));
  return files.filter((f) => live.has(f));
}

async function timeSql(duck: Duck, sql: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await duck.connection.stream(sql);
  for (;;) {
    const c = await r.fetchChunk();
    if (!c || c.rowCount === 0) break;
  }
  return seconds(t0);
}

async function replayLake(manifest: DatasetManifest): Promise<{ rows: number; s: number }> {
  const t0 = process.hrtime.bigint();
  let rows = 0;
  for (const [dataset, schema] of [
    ['quotes', 'Quote'],
    ['trades', 'Trade'],
  ] as const) {
    const r = openLakeReplay({ lake, dataset, schema, from: manifest.dates[0]!, to: manifest.dates.at(-1)! });
    for (let b = await r.next(); b; b = await r.next()) rows += b.length;
    await r.close();
  }
  return { rows, s: seconds(t0) };
}

async function replayFiles(dir: string, manifest: DatasetManifest): Promise<{ rows: number; s: number }> {
  const t0 = process.hrtime.bigint();
  let rows = 0;
  for (const [dataset, schema] of [
    ['quotes', 'Quote'],
    ['trades', 'Trade'],
  ] as const) {
    const r = openDataset(dir, manifest, dataset, schema);
    for (let b = await r.next(); b; b = await r.next()) rows += b.length;
    await r.close();
  }
  return { rows, s: seconds(t0) };
}

async function replayDuck(duck: Duck): Promise<{ rows: number; s: number }> {
  let s = 0;
  let rows = 0;
  for (const dataset of ['quotes', 'trades']) {
    const files = (await tableFiles(duck, dataset)).map(literal).join(', ');
    s += await timeSql(duck, `SELECT * FROM read_parquet([${files}]) ORDER BY ts_known, seq`);
    rows += Number((await duck.connection.runAndReadAll(`SELECT count(*) FROM read_parquet([${files}])`)).getRowsJS()[0]![0]);
  }
  return { rows, s };
}

const best = async (f: () => Promise<{ rows: number; s: number }>): Promise<{ rows: number; s: number }> => {
  let out = await f();
  for (let i = 1; i < runs; i++) {
    const r = await f();
    if (r.s < out.s) out = r;
  }
  return out;
};

const lines: string[][] = [];
const row = (what: string, lakeFigure: string, reference: string, ratio: string): void =>
  void lines.push([what, lakeFigure, reference, ratio]);

async function main(): Promise<void> {
  let data = given?.dir;
  if (data === undefined) {
    data = join(work, 'sample');
    process.stderr.write('generating the sample (40 symbols × 20 days)…\n');
    await generateDataset({ out: data });
  }
  const manifest = given?.manifest ?? readManifest(data);
  const quoteFiles = manifest.datasets['quotes']!.files.map((f) => join(data, f));
  const tradeFiles = manifest.datasets['trades']!.files.map((f) => join(data, f));

  // Ingest.
  await createTable(lake, 'quotes', 'Quote');
  await createTable(lake, 'trades', 'Trade');
  let t0 = process.hrtime.bigint();
  const appended = await appendFiles(lake, 'quotes', quoteFiles);
  const ingestS = seconds(t0);
  await appendFiles(lake, 'trades', tradeFiles);
  const duck = await openDuck();
  const copyDir = join(work, 'duckdb-copy');
  t0 = process.hrtime.bigint();
  await duck.connection.run(
    `COPY (SELECT *, CAST(ts_known AS DATE) AS date FROM read_parquet([${quoteFiles.map(literal).join(', ')}])) TO ${literal(copyDir)} (FORMAT parquet, PARTITION_BY (date))`,
  );
  const copyS = seconds(t0);
  row(
    'ingest: quotes appended (rows/s)',
    `${fmt(appended.added / ingestS)} (${appended.added.toLocaleString('en-US')} rows in ${ingestS.toFixed(2)} s)`,
    `${fmt(appended.added / copyS)} (DuckDB COPY … PARTITION_BY, ${copyS.toFixed(2)} s)`,
    `${(copyS / ingestS).toFixed(2)}×`,
  );

  // As-of queries: the latest version of each record known by T.
  const quotes = join(lake, 'quotes');
  const files = `read_parquet([${(await tableFiles(duck, 'quotes')).map(literal).join(', ')}], hive_partitioning = true)`;
  const scan = `delta_scan(${literal(quotes)})`;
  const universe = manifest.universe.map((u) => u.symbol);
  const asOfQuery = async (source: string, i: number, kind: 'symbol-day' | 'cross-section'): Promise<number> => {
    const day = i % manifest.sessions.length;
    const session = manifest.sessions[day]!;
    const date = manifest.dates[day]!;
    if (kind === 'symbol-day') {
      const symbol = universe[i % universe.length]!;
      return timeSql(
        duck,
        `SELECT * FROM ${source} WHERE ${ident('date')} = DATE ${literal(date)} AND ts_known <= make_timestamp(${session.close}::BIGINT)::TIMESTAMPTZ AND symbol = ${literal(symbol)} ` +
          `QUALIFY row_number() OVER (PARTITION BY id ORDER BY version DESC, ts_known DESC, seq DESC) = 1 ORDER BY ts_known, seq`,
      );
    }
    const T = session.open + Math.floor((((i * 7919) % 1000) / 1000) * (session.close - session.open));
    return timeSql(
      duck,
      `SELECT * FROM ${source} WHERE ${ident('date')} = DATE ${literal(date)} AND ts_known <= make_timestamp(${T}::BIGINT)::TIMESTAMPTZ ` +
        `QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY ts_known DESC, seq DESC) = 1 ORDER BY symbol`,
    );
  };
  for (const kind of ['symbol-day', 'cross-section'] as const) {
    const onLake: number[] = [];
    const onFiles: number[] = [];
    for (let i = 0; i < 3; i++) {
      await asOfQuery(scan, i, kind);
      await asOfQuery(files, i, kind);
    }
    for (let i = 0; i < queries; i++) {
      onLake.push(await asOfQuery(scan, i, kind));
      onFiles.push(await asOfQuery(files, i, kind));
    }
    const p50 = quantile(onLake, 0.5);
    const r50 = quantile(onFiles, 0.5);
    row(
      `as-of query, ${kind === 'symbol-day' ? 'one symbol-day (latest versions known at the close)' : "cross-section at T (each symbol's last quote known by T)"}`,
      `p50 ${ms(p50)}, p99 ${ms(quantile(onLake, 0.99))}`,
      `p50 ${ms(r50)}, p99 ${ms(quantile(onFiles, 0.99))} (read_parquet of the table's files)`,
      `${(p50 / r50).toFixed(2)}× the time`,
    );
  }

  // Replay, then Z-order and replay again.
  const replayRows = async (label: string): Promise<void> => {
    const fromLake = await best(() => replayLake(manifest));
    const fromFiles = await best(() => replayFiles(data, manifest));
    const native = await best(() => replayDuck(duck));
    row(
      `replay ${label}: quotes + trades as column batches (events/s)`,
      `${fmt(fromLake.rows / fromLake.s)} (${fromLake.rows.toLocaleString('en-US')} in ${fromLake.s.toFixed(2)} s)`,
      `flat files ${fmt(fromFiles.rows / fromFiles.s)}; DuckDB scan + sort of the lake files ${fmt(native.rows / native.s)}`,
      `${(fromFiles.s / fromLake.s).toFixed(2)}× flat, ${(native.s / fromLake.s).toFixed(2)}× DuckDB`,
    );
  };
  await replayRows('from the appended table');
  t0 = process.hrtime.bigint();
  await optimizeTable(lake, 'quotes');
  const zS = seconds(t0);
  const sortedDir = join(work, 'duckdb-sorted');
  t0 = process.hrtime.bigint();
  await duck.connection.run(
    `COPY (SELECT * FROM ${scan} ORDER BY symbol, ts_event) TO ${literal(sortedDir)} (FORMAT parquet, PARTITION_BY (date))`,
  );
  const sortS = seconds(t0);
  row(
    'Z-order of the quotes table (alpha data optimize, delta-rs)',
    `${zS.toFixed(2)} s`,
    `${sortS.toFixed(2)} s (DuckDB rewriting the rows sorted by symbol, ts_event)`,
    `${(zS / sortS).toFixed(2)}× the time`,
  );
  await replayRows('from the Z-ordered table');
  duck.close();

  const widths = [0, 1, 2, 3].map((k) => Math.max(...lines.map((l) => l[k]!.length), 10));
  process.stdout.write(
    `lake benchmark (${manifest.universe.length} symbols × ${manifest.dates.length} days, best of ${runs} replays, ${queries} queries each)\n`,
  );
  for (const l of lines) process.stdout.write(`${l.map((c, k) => c.padEnd(widths[k]!)).join('  ')}\n`);
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`alpha bench:lake: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(work, { recursive: true, force: true }));
