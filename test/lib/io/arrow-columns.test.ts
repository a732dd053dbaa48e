import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { columnBatchOf } from '../../../lib/io/arrow-columns.ts';

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
      /column "ts_known" is Float64, expected a 64-bit integer or timestamp \(field ts_known of Quote\)/,
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
});
