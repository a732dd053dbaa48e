/**
 * A Fill is identified in the lake by its `fill_id`: one taker order that sweeps two resting orders
 * gives two fills of one symbol at one instant (same ts_event and ts_known), and the table keeps both,
 * whether they come in one append or in two split between them; the same fills appended again add
 * nothing. A file that repeats one fill is refused in one line that names the fill, its time in ISO µs,
 * the dataset and the file. Expected rows are the fills the test writes; delta-rs reads them back.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendFiles } from '../../../../lib/io/lake/append.ts';
import { createTable } from '../../../../lib/io/lake/create.ts';
import { tablePath } from '../../../../lib/io/lake/layout.ts';
import { queryLake } from '../../../../lib/io/lake/query.ts';
import { writeRecordsParquet } from '../../../../lib/io/parquet.ts';
import { SECOND } from '../../../../lib/core/time.ts';
import type { Fill } from '../../../../schemas/types.generated.ts';
import { asObjects, deltaRs, tempLake } from '../../../helpers/lake.ts';
import { fill } from '../../../helpers/records.ts';

const lake = tempLake('lake-fills');
afterAll(() => lake.remove());
const dir = join(lake.dir, 'lake');

const T = Date.UTC(2024, 0, 2, 14, 45, 17) * 1000 + 123_456;
const at = (t: number): Partial<Fill> => ({ ts_event: t, ts_known: t + 250 });

// A run's fills, in the order the run made them. Order O7 sweeps two resting orders at T: two fills
// of SYM000 with the same ts_event and ts_known (400 and 709 shares at 32.97), told apart only by fill_id.
const fills: Fill[] = [
  fill('SYM001', 'SELL', 100, 51.2, { ...at(T - SECOND), fill_id: 'O6#1', order_id: 'O6' }),
  fill('SYM000', 'BUY', 400, 32.97, { ...at(T), fill_id: 'O7#1', order_id: 'O7' }),
  fill('SYM000', 'BUY', 709, 32.97, { ...at(T), fill_id: 'O7#2', order_id: 'O7' }),
  fill('SYM000', 'SELL', 50, 33.01, { ...at(T + SECOND), fill_id: 'O8#1', order_id: 'O8' }),
];

const file = (name: string, rows: readonly Fill[]): string => {
  const path = join(lake.dir, `${name}.parquet`);
  writeRecordsParquet(path, 'Fill', rows as unknown as Record<string, unknown>[]);
  return path;
};

const byId = (rows: Record<string, unknown>[]): Record<string, unknown>[] =>
  [...rows].sort((a, b) => String(a['fill_id']).localeCompare(String(b['fill_id'])));
/** The table's rows as delta-rs reads them (every row, without the partition column), by fill_id. */
const deltaRsFills = (dataset: string): Record<string, unknown>[] =>
  byId(
    deltaRs<{ records: Record<string, unknown>[] }>('read', ['--table', tablePath(dir, dataset, true).dir]).records.map(
      ({ date: _d, ...r }) => r,
    ),
  );
const expected = byId(fills.map((f) => ({ ...f })));

describe('a Fill in the lake is identified by its fill_id', () => {
  it('keeps both fills of a sweep when they come in two appends, and skips the same fills appended again', async () => {
    await createTable(dir, 'fills', 'Fill');
    // Split inside the sweep: O7#1 in the first append, O7#2 in the second.
    const first = await appendFiles(dir, 'fills', [file('part1', fills.slice(0, 2))]);
    expect(first).toEqual({ added: 2, skipped: 0, before: 0, version: 1 });
    const second = await appendFiles(dir, 'fills', [file('part2', fills.slice(2))]);
    expect(second).toEqual({ added: 2, skipped: 0, before: 1, version: 2 });
    expect(deltaRsFills('fills')).toEqual(expected);
    // The latest version of each record is each fill: the two of the sweep are two records.
    expect(byId(asObjects(await queryLake({ lake: dir, dataset: 'fills' })))).toEqual(expected);

    // The whole run again, in one file: every fill is there already.
    const again = await appendFiles(dir, 'fills', [file('all', fills)], { check: true });
    expect(again).toEqual({ added: 0, skipped: fills.length, before: 2, version: 2, held: fills.length });
    expect(deltaRsFills('fills')).toEqual(expected);
  });

  it("takes a run's fills in one append (a sweep inside one file)", async () => {
    await createTable(dir, 'fills_once', 'Fill');
    const r = await appendFiles(dir, 'fills_once', [file('once', fills)]);
    expect(r).toEqual({ added: fills.length, skipped: 0, before: 0, version: 1 });
    expect(deltaRsFills('fills_once')).toEqual(expected);
  });

  it('refuses a file that holds one fill twice, naming the fill, its time in ISO µs, the dataset and the file', async () => {
    await createTable(dir, 'fills_twice', 'Fill');
    const twice = file('twice', [...fills, fills[2]!]);
    const refused = appendFiles(dir, 'fills_twice', [twice]);
    // ts_known of O7#2 is T + 250 µs: 14:45:17.123456 + 250 µs.
    await expect(refused).rejects.toThrow(
      `dataset "fills_twice", ${twice}: 2 rows with the same symbol SYM000, ts_event 2024-01-02T14:45:17.123456Z, fill_id O7#2, ` +
        'ts_known 2024-01-02T14:45:17.123706Z: expected each version of a record once',
    );
    await expect(appendFiles(dir, 'fills_twice', [twice])).rejects.not.toThrow(/\n/);
  });
});
