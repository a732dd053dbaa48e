import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { checkColumns, columnBatchOf } from '../../../lib/io/arrow-columns.ts';

const batchOf = (columns: Record<string, unknown>): arrow.RecordBatch =>
  arrow.tableFromArrays(columns as Parameters<typeof arrow.tableFromArrays>[0]).batches[0]! as arrow.RecordBatch;

const quotes = (over: Record<string, unknown> = {}): arrow.RecordBatch =>
  batchOf({
    ts_event: BigInt64Array.of(1n, 2n, 2n ** 40n),
    ts_known: BigInt64Array.of(1n, 2n, 2n ** 40n),
    symbol: ['A', 'B', 'A'],
    seq: BigInt64Array.of(1n, 2n, 3n),
    id: BigInt64Array.of(7n, 8n, 9n),
    version: Int32Array.of(1, 1, 2),
    bid: Float64Array.of(1, 2, 3),
    ask: Float64Array.of(2, 3, 4),
    bid_size: Float64Array.of(5, 6, 7),
    ask_size: Float64Array.of(8, 9, 10),
    ...over,
  });

describe('columnBatchOf', () => {
  it('reads every field of the schema, 64-bit integers as exact numbers, strings as dictionary codes', () => {
    const batch = columnBatchOf(quotes(), 'Quote');
    expect(batch.length).toBe(3);
    expect([...batch.columns.ts_known]).toEqual([1, 2, 2 ** 40]);
    expect(batch.toRecords()[2]).toEqual({
      ts_event: 2 ** 40,
      ts_known: 2 ** 40,
      symbol: 'A',
      seq: 3,
      id: 9,
      version: 2,
      bid: 3,
      ask: 4,
      bid_size: 7,
      ask_size: 10,
    });
    // The row view reads the same values without copying them.
    const row = batch.row(1);
    expect([row.symbol, row.bid, row.version]).toEqual(['B', 2, 1]);
  });

  it('refuses a column of another type than the schema says, naming the column and both types', () => {
    expect(() => columnBatchOf(quotes({ ts_known: Float64Array.of(1, 2, 3) }), 'Quote')).toThrow(
      /column "ts_known" is Float64, expected a timestamp in microseconds \(TIMESTAMP\(MICROS\) or INT64\) \(field ts_known of Quote\)/,
    );
    expect(() => columnBatchOf(quotes({ bid: ['1', '2', '3'] }), 'Quote')).toThrow(
      /column "bid" is Dictionary<Int32, Utf8>, expected a floating-point number/,
    );
  });

  it('refuses a missing column and nulls in a field that is not nullable', () => {
    const { bid: _bid, ...rest } = {
      bid: 0,
      ts_event: BigInt64Array.of(1n),
      ts_known: BigInt64Array.of(1n),
      symbol: ['A'],
      seq: BigInt64Array.of(1n),
      id: BigInt64Array.of(1n),
      version: Int32Array.of(1),
      ask: Float64Array.of(1),
      bid_size: Float64Array.of(1),
      ask_size: Float64Array.of(1),
    };
    expect(() => columnBatchOf(batchOf(rest), 'Quote')).toThrow(/column "bid" missing/);
    const withNull = batchOf({ ...rest, bid: arrow.vectorFromArray([null], new arrow.Float64()) });
    expect(() => columnBatchOf(withNull, 'Quote')).toThrow(/column "bid" has 1 null value\(s\)/);
  });

  it('refuses timestamps in another unit than microseconds instead of reinterpreting them', () => {
    // The same instant in milliseconds would read as a time 1000 times too early if taken as micros.
    for (const type of [new arrow.TimestampMillisecond(), new arrow.TimestampNanosecond(), new arrow.TimestampSecond()]) {
      const batch = quotes({ ts_known: arrow.vectorFromArray([1000, 2000, 3000], type) });
      expect(() => columnBatchOf(batch, 'Quote')).toThrow(/column "ts_known" is Timestamp<\w+>, expected a timestamp in microseconds/);
      expect(() => checkColumns(batch.schema, 'Quote')).toThrow(/column "ts_known" is Timestamp/);
    }
    // Arrow's builder takes milliseconds and stores microseconds: the stored values are read as they are.
    const micros = quotes({ ts_known: arrow.vectorFromArray([1, 2, 2 ** 40], new arrow.TimestampMicrosecond()) });
    expect([...columnBatchOf(micros, 'Quote').columns.ts_known]).toEqual([1000, 2000, 2 ** 40 * 1000]);
  });

  it('refuses unsigned or narrower integers where the schema says a signed one, and numbers as strings', () => {
    expect(() => columnBatchOf(quotes({ seq: BigUint64Array.of(1n, 2n, 3n) }), 'Quote')).toThrow(
      /column "seq" is Uint64, expected a signed 64-bit integer/,
    );
    expect(() => columnBatchOf(quotes({ version: Int16Array.of(1, 1, 2) }), 'Quote')).toThrow(
      /column "version" is Int16, expected a signed 32-bit integer/,
    );
    expect(() => checkColumns(quotes({ ask: ['2', '3', '4'] }).schema, 'Quote')).toThrow(
      /column "ask" is Dictionary<Int32, Utf8>, expected a floating-point number/,
    );
  });

  it('refuses 64-bit integers beyond 2^53 instead of rounding them', () => {
    // 2^53 + 1 has no exact double; 2^53 - 1 does.
    expect(() => columnBatchOf(quotes({ id: BigInt64Array.of(1n, 2n, 2n ** 53n + 1n) }), 'Quote')).toThrow(
      /column "id" row 2 is 9007199254740993: beyond/,
    );
    expect(() => columnBatchOf(quotes({ id: BigInt64Array.of(1n, 2n, -(2n ** 53n)) }), 'Quote')).toThrow(/column "id" row 2/);
    expect([...columnBatchOf(quotes({ id: BigInt64Array.of(-(2n ** 53n) + 1n, 0n, 2n ** 53n - 1n) }), 'Quote').columns.id]).toEqual([
      -(2 ** 53) + 1,
      0,
      2 ** 53 - 1,
    ]);
  });

  it('checkColumns names a missing column with the columns there are', () => {
    const { bid: _bid, ...rest } = Object.fromEntries(quotes().schema.fields.map((f) => [f.name, quotes().getChild(f.name)!]));
    expect(() => checkColumns(new arrow.Table(rest).schema, 'Quote')).toThrow(
      /column "bid" missing: field bid of Quote \(columns: ts_event, /,
    );
  });
});
