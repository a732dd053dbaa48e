/**
 * A BookDepth row is identified in the lake by (symbol, ts_event, side, level): the levels of one
 * picture of the book are so many records, and a picture stated again at a later ts_known supersedes
 * the earlier one level by level. Expected rows are the levels the test writes, the latest chosen
 * here by hand.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendFiles } from '../../../../lib/io/lake/append.ts';
import { createTable } from '../../../../lib/io/lake/create.ts';
import { queryLake } from '../../../../lib/io/lake/query.ts';
import { writeRecordsParquet } from '../../../../lib/io/parquet.ts';
import { MINUTE } from '../../../../lib/core/time.ts';
import type { BookDepth } from '../../../../schemas/types.generated.ts';
import { asObjects, tempLake } from '../../../helpers/lake.ts';

const lake = tempLake('lake-depth');
afterAll(() => lake.remove());
const dir = join(lake.dir, 'lake');

const T = Date.UTC(2024, 0, 2, 15) * 1000;
/** One picture of AAA's book at T known at `known`: bids at levels 2…4, asks at 2…3, in seq order. */
const picture = (known: number, seq0: number, shift: number): BookDepth[] =>
  [
    ...[2, 3, 4].map((level, i) => ({ side: 'BID' as const, level, price: 99.99 - i / 100 + shift, size: 100 * level })),
    ...[2, 3].map((level, i) => ({ side: 'ASK' as const, level, price: 100.02 + i / 100 + shift, size: 50 * level })),
  ].map((l, i) => ({ ts_event: T, ts_known: known, symbol: 'AAA', seq: seq0 + i, ...l }));
const file = (name: string, rows: readonly BookDepth[]): string => {
  const path = join(lake.dir, `${name}.parquet`);
  writeRecordsParquet(path, 'BookDepth', rows as unknown as Record<string, unknown>[]);
  return path;
};

describe('a BookDepth row in the lake is identified by symbol, ts_event, side and level', () => {
  it('keeps every level of a picture in the latest view; the picture written again later supersedes it level by level', async () => {
    const first = picture(T + 1, 10, 0);
    await createTable(dir, 'depth', 'BookDepth');
    expect(await appendFiles(dir, 'depth', [file('one', first)])).toEqual({ added: 5, skipped: 0, before: 0, version: 1 });
    // The same file again: every level already there.
    expect(await appendFiles(dir, 'depth', [file('again', first)])).toEqual({ added: 0, skipped: 5, before: 1, version: 1 });
    expect(asObjects(await queryLake({ lake: dir, dataset: 'depth' }))).toEqual(first.map((r) => ({ ...r })));

    // The picture of T stated again a minute later, every price a cent up: it replaces the first.
    const restated = picture(T + MINUTE, 20, 0.01);
    await appendFiles(dir, 'depth', [file('restated', restated)]);
    expect(asObjects(await queryLake({ lake: dir, dataset: 'depth' }))).toEqual(restated.map((r) => ({ ...r })));
    expect(asObjects(await queryLake({ lake: dir, dataset: 'depth', asOf: T + 1 }))).toEqual(first.map((r) => ({ ...r })));
    expect(asObjects(await queryLake({ lake: dir, dataset: 'depth', allVersions: true }))).toHaveLength(10);
  });
});
