/**
 * `npm run bench:lake-ingest`: `alpha data ingest` of CSV files into a lake table, in rows/s, beside
 * DuckDB reading the same CSV file in the same run (its `read_csv` into a table: parse and type every
 * column, the least an ingest must do). Ingest is timed from the file to the committed Delta version,
 * the table created beforehand (untimed): read, parse, per-row checks and ids, the staging Parquet
 * file, and the lake's idempotent append (the look-up of rows the table holds, then the INSERTs). A
 * second ingest of the same file (which adds nothing) is timed too.
 *
 * Files: a synthetic quote CSV (`--rows N`, default 1,000,000: 50 symbols, one quote a second from
 * 2024-01-02 14:30 UTC, seeded), and DowJones30 when `scripts/data/r-datasets.sh` has cached it.
 * Flags: --rows N (1 to 5,000,000)  --runs N (best of; default 3, up to 100)
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../lib/core/rng.ts';
import { createTable } from '../lib/io/lake/create.ts';
import { literal, openDuck } from '../lib/io/lake/duckdb.ts';
import { ingestFiles } from '../pipelines/ingest/ingest.ts';
import type { RowFormat } from '../pipelines/ingest/columns.ts';
import { timeParser } from '../pipelines/ingest/times.ts';
import { benchFlags, wholeNumber } from './flags.ts';

const flags = benchFlags('lake-ingest', {
  rows: { type: 'string', default: '1000000' },
  runs: { type: 'string', default: '3' },
});
/** At most 5M rows: the synthetic file is built as one string, which V8 caps at about 10M of these lines. */
const rows = wholeNumber(flags, 'rows', { max: 5_000_000 });
const runs = wholeNumber(flags, 'runs', { max: 100 });
const dir = mkdtempSync(join(tmpdir(), 'alpha-bench-ingest-'));

function syntheticQuotes(n: number): string {
  const rng = new Rng(1);
  const t0 = Date.UTC(2024, 0, 2, 14, 30);
  const mids = Array.from({ length: 50 }, () => 20 + 80 * rng.next());
  const lines = ['time,symbol,bid,ask,bid_size,ask_size'];
  for (let i = 0; i < n; i++) {
    const s = i % 50;
    mids[s]! *= 1 + 0.001 * (rng.next() - 0.5);
    const mid = mids[s]!;
    const t = new Date(t0 + Math.floor(i / 50) * 1000).toISOString().replace('T', ' ').slice(0, 19);
    lines.push(
      `${t},S${String(s).padStart(3, '0')},${(mid - 0.01).toFixed(2)},${(mid + 0.01).toFixed(2)},${100 + (i % 7) * 100},${200 + (i % 5) * 100}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const best = (xs: number[]): number => Math.min(...xs);
const rate = (n: number, s: number): string => `${Math.round(n / s).toLocaleString('en-US')} rows/s`;

async function duckRead(file: string): Promise<number> {
  const duck = await openDuck();
  try {
    const t = performance.now();
    await duck.connection.run(`CREATE TEMP TABLE t AS SELECT * FROM read_csv(${literal(file)})`);
    return (performance.now() - t) / 1000;
  } finally {
    duck.close();
  }
}

async function bench(name: string, file: string, format: RowFormat, schema: 'Quote' | 'Bar', tz: string, n: number): Promise<void> {
  const first: number[] = [];
  const again: number[] = [];
  const duck: number[] = [];
  for (let r = 0; r < runs; r++) {
    const lake = join(dir, `lake-${name}-${r}`);
    await createTable(lake, 'd', schema);
    const o = {
      lake,
      dataset: 'd',
      files: [file],
      format,
      times: timeParser(tz, 16 * 3600e6),
      symbols: new Map(),
      rejects: join(dir, 'rejects.txt'),
    };
    let t = performance.now();
    const res = await ingestFiles(o);
    first.push((performance.now() - t) / 1000);
    if (res.added !== n) throw new Error(`${name}: added ${res.added} of ${n} rows`);
    t = performance.now();
    const second = await ingestFiles(o);
    again.push((performance.now() - t) / 1000);
    if (second.added !== 0) throw new Error(`${name}: the second ingest added ${second.added}`);
    duck.push(await duckRead(file));
    rmSync(lake, { recursive: true, force: true });
  }
  const [f, a, d] = [best(first), best(again), best(duck)];
  console.log(
    `${name}: ${n.toLocaleString('en-US')} rows; ingest ${f.toFixed(2)} s = ${rate(n, f)}; again (adds nothing) ${a.toFixed(2)} s = ${rate(n, a)}; ` +
      `DuckDB read_csv into a table ${d.toFixed(3)} s = ${rate(n, d)}; ingest / DuckDB = ${(d / f).toFixed(3)}× (best of ${runs})`,
  );
}

try {
  const quotes = join(dir, 'quotes.csv');
  writeFileSync(quotes, syntheticQuotes(rows));
  await bench('synthetic quotes', quotes, 'quotes', 'Quote', 'UTC', rows);
  const dj = join(process.env['SERVICES_CACHE_DIR'] ?? '.services/cache', 'r-data', 'dowjones30.csv');
  if (existsSync(dj)) await bench('DowJones30 (daily bars)', dj, 'ohlcv', 'Bar', 'America/New_York', 75_870);
  else console.log(`DowJones30: not cached (${dj}): run bash scripts/data/r-datasets.sh`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
