/**
 * The lake replay reads each row from the partition of its ts_known's UTC date, as the project writes
 * them (docs/lake.md). A table written by another tool may hold a row in another day's partition: the
 * replay refuses it, naming the partition and the row's time, instead of replaying it inside a day it
 * does not belong to (one stamped years later had every later row refused as out of order).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendFiles } from '../../../../lib/io/lake/append.ts';
import { createTable } from '../../../../lib/io/lake/create.ts';
import { lakeInstall } from '../../../../lib/io/lake/install.ts';
import { tablePath } from '../../../../lib/io/lake/layout.ts';
import { openLakeReplay } from '../../../../lib/io/lake/replay.ts';
import { writeRecordsParquet } from '../../../../lib/io/parquet.ts';
import { SECOND } from '../../../../lib/core/time.ts';
import type { Trade } from '../../../../schemas/types.generated.ts';
import { deltaRs, tempLake } from '../../../helpers/lake.ts';

const lake = tempLake('lake-partition-check');
afterAll(() => lake.remove());

const DAY0 = Date.UTC(2024, 0, 2, 14, 30) * 1000;

const trade = (id: number, at: number): Trade => ({
  ts_event: at,
  ts_known: at + 300,
  symbol: 'AAA',
  seq: id,
  id,
  version: 1,
  price: 100,
  size: 100,
  aggressor: 'BUY',
});

async function readAll(dir: string): Promise<number> {
  const r = openLakeReplay<Trade>({ lake: dir, dataset: 'trades', schema: 'Trade', from: '2024-01-02', to: '2024-01-03' });
  let rows = 0;
  try {
    for (let b = await r.next(); b; b = await r.next()) rows += b.length;
  } finally {
    await r.close();
  }
  return rows;
}

describe('lake replay partitions', () => {
  const dir = join(lake.dir, 'lake');

  it('reads rows from their own partitions, and refuses a row written into another day’s', async () => {
    await createTable(dir, 'trades', 'Trade');
    const good = join(lake.dir, 'good.parquet');
    writeRecordsParquet(good, 'Trade', [trade(1, DAY0), trade(2, DAY0 + 86_400 * SECOND)] as unknown as Record<string, unknown>[]);
    await appendFiles(dir, 'trades', [good]);
    expect(await readAll(dir)).toBe(2);

    // delta-rs appends a file as given when it carries the partition column: a row known in 2030 put
    // into date=2024-01-02, as another writer could.
    const stray = join(lake.dir, 'stray.parquet');
    const later = Date.UTC(2030, 0, 2, 15) * 1000;
    writeRecordsParquet(join(lake.dir, 'stray-rows.parquet'), 'Trade', [trade(3, later)] as unknown as Record<string, unknown>[]);
    execFileSync(lakeInstall().python, [
      '-c',
      'import sys, datetime, pyarrow as pa, pyarrow.parquet as pq\n' +
        't = pq.read_table(sys.argv[1])\n' +
        "t = t.append_column('date', pa.array([datetime.date(2024, 1, 2)] * t.num_rows, pa.date32()))\n" +
        'pq.write_table(t, sys.argv[2])',
      join(lake.dir, 'stray-rows.parquet'),
      stray,
    ]);
    deltaRs('append', ['--table', tablePath(dir, 'trades', true).dir, '--file', stray]);

    await expect(readAll(dir)).rejects.toThrow(
      /partition date=2024-01-02: row 1 has ts_known 2030-01-02T15:00:00\.000300Z: expected each row in the partition of its ts_known's UTC date/,
    );
  });
});
