/**
 * Delta tables written by the project, read back by an independent reader, and the other way round:
 * the table is created by delta-rs, appended to by DuckDB (the runtime path), read by delta-rs (the
 * Python `deltalake` package) with identical rows, at the latest version and, through time travel,
 * at the earlier ones; rows delta-rs appends are read by DuckDB; a Z-order keeps every row and every
 * earlier version; the protocol stays reader 1 / writer 2 throughout (readable by any Spark with Delta).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendFiles } from '../../../../lib/io/lake/append.ts';
import { createTable } from '../../../../lib/io/lake/create.ts';
import { tablePath } from '../../../../lib/io/lake/layout.ts';
import { optimizeTable, tableInfo } from '../../../../lib/io/lake/maintain.ts';
import { queryLake } from '../../../../lib/io/lake/query.ts';
import { tableVersion } from '../../../../lib/io/lake/table.ts';
import { writeRecordsParquet } from '../../../../lib/io/parquet.ts';
import { MINUTE, SECOND } from '../../../../lib/core/time.ts';
import type { Trade } from '../../../../schemas/types.generated.ts';
import { asObjects, deltaRs, deltaRsRows, sortTrades, tempLake, tradeRow } from '../../../helpers/lake.ts';

const lake = tempLake('lake-round-trip');
afterAll(() => lake.remove());

const DAY0 = Date.UTC(2024, 0, 2, 14, 30) * 1000;
const SYMBOLS = ['AAA', 'BBB', 'CCC', 'DDD'];

/** n trades from `firstId`, one per second from `start`, known 300 µs after they happen. */
function trades(firstId: number, n: number, start: number): Trade[] {
  return Array.from({ length: n }, (_, i) => ({
    ts_event: start + i * SECOND,
    ts_known: start + i * SECOND + 300,
    symbol: SYMBOLS[i % SYMBOLS.length]!,
    seq: firstId + i,
    id: firstId + i,
    version: 1,
    price: 100 + ((i * 7) % 13) / 4,
    size: 100 * (1 + (i % 5)),
    aggressor: i % 3 === 0 ? 'SELL' : 'BUY',
  }));
}

const day1 = trades(1, 500, DAY0);
const day2 = trades(501, 400, DAY0 + 86_400 * SECOND);
// Corrections of ten day-1 trades, known 20 minutes later (same id, version 2, smaller size).
const corrections: Trade[] = day1
  .slice(0, 10)
  .map((t, i) => ({ ...t, ts_known: t.ts_known + 20 * MINUTE, seq: 10_000 + i, version: 2, size: t.size - 50 }));
const file = (name: string, rows: Trade[]): string => {
  const path = join(lake.dir, `${name}.parquet`);
  writeRecordsParquet(path, 'Trade', rows as unknown as Record<string, unknown>[]);
  return path;
};

describe('lake tables across DuckDB and delta-rs', () => {
  const dir = join(lake.dir, 'lake');
  const table = (): string => tablePath(dir, 'trades', true).dir;

  it('creates a table that DuckDB appends to and delta-rs reads back row for row, at every version', async () => {
    const created = await createTable(dir, 'trades', 'Trade');
    expect(created).toMatchObject({ version: 0, min_reader_version: 1, min_writer_version: 2 });

    const a = await appendFiles(dir, 'trades', [file('day1', day1)]);
    expect(a).toEqual({ added: 500, skipped: 0, before: 0, version: 1 });
    const b = await appendFiles(dir, 'trades', [file('day2', day2), file('corrections', corrections)]);
    expect(b).toEqual({ added: 410, skipped: 0, before: 1, version: 2 });

    // Every row version, as written (the Parquet files went through parquet-wasm, the table through DuckDB).
    expect(deltaRsRows(table())).toEqual(sortTrades([...day1, ...day2, ...corrections].map(tradeRow)));
    // Time travel: version 1 is day 1 alone, version 0 the empty table.
    expect(deltaRsRows(table(), { version: 1 })).toEqual(sortTrades(day1.map(tradeRow)));
    expect(deltaRsRows(table(), { version: 0 })).toEqual([]);
    // DuckDB agrees, version by version.
    const duck1 = asObjects(await queryLake({ lake: dir, dataset: 'trades', version: 1, allVersions: true }));
    expect(sortTrades(duck1)).toEqual(sortTrades(day1.map(tradeRow)));

    // Each row is in the partition of its ts_known's UTC date (the corrections too: known the same day).
    const dates = deltaRs<{ records: { date: string; id: number }[] }>('read', ['--table', table()]).records;
    expect(new Set(dates.filter((r) => r.id <= 500).map((r) => r.date))).toEqual(new Set(['2024-01-02']));
    expect(new Set(dates.filter((r) => r.id > 500).map((r) => r.date))).toEqual(new Set(['2024-01-03']));
  });

  it('the latest version of each record is the same through DuckDB and delta-rs', async () => {
    // Latest view: day 1 with the ten corrections in place of their originals, and day 2.
    const expected = sortTrades([...corrections, ...day1.slice(10), ...day2].map(tradeRow));
    expect(sortTrades(asObjects(await queryLake({ lake: dir, dataset: 'trades' })))).toEqual(expected);
    expect(deltaRsRows(table(), { asOf: Number.MAX_SAFE_INTEGER })).toEqual(expected);
  });

  it('DuckDB reads what delta-rs appended', async () => {
    const extra = trades(2001, 50, DAY0 + 2 * 86_400 * SECOND);
    const r = deltaRs<{ version: number; rows: number }>('append', ['--table', table(), '--file', file('extra', extra)]);
    expect(r).toEqual({ version: 3, rows: 50 });
    const read = asObjects(await queryLake({ lake: dir, dataset: 'trades', from: '2024-01-04', allVersions: true }));
    expect(sortTrades(read)).toEqual(extra.map(tradeRow));
    // And DuckDB's own appends after delta-rs's still work (the next version).
    expect(await appendFiles(dir, 'trades', [file('day1', day1)])).toEqual({ added: 0, skipped: 500, before: 3, version: 3 });
  });

  it('Z-order rewrites the files, keeps every row and every earlier version, and the protocol', async () => {
    const before = deltaRsRows(table());
    const v = tableVersion(tablePath(dir, 'trades', true));
    const r = await optimizeTable(dir, 'trades');
    expect(r.version).toBe(v + 1);
    expect(Number(r.metrics['numFilesRemoved'])).toBeGreaterThan(0);
    expect(deltaRsRows(table())).toEqual(before);
    expect(sortTrades(asObjects(await queryLake({ lake: dir, dataset: 'trades', allVersions: true })))).toEqual(before);
    expect(sortTrades(asObjects(await queryLake({ lake: dir, dataset: 'trades', version: 1, allVersions: true })))).toEqual(
      sortTrades(day1.map(tradeRow)),
    );
    const info = await tableInfo(dir, 'trades');
    expect(info).toMatchObject({
      min_reader_version: 1,
      min_writer_version: 2,
      reader_features: null,
      writer_features: null,
      partition_columns: ['date'],
    });
    expect((info['history'] as { operation: string }[]).map((h) => h.operation)).toEqual([
      'OPTIMIZE',
      'WRITE',
      'UNKNOWN',
      'UNKNOWN',
      'CREATE TABLE',
    ]);
  });
});
