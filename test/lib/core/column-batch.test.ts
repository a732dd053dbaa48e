import { describe, expect, it } from 'vitest';
import { ColumnBatch, columnsOf, rowsOf } from '../../../lib/core/column-batch.ts';

interface Row {
  symbol: string;
  bid: number;
  note: string | null;
}

const rows: Row[] = [
  { symbol: 'A', bid: 10, note: null },
  { symbol: 'B', bid: 11, note: 'x' },
  { symbol: 'A', bid: 12, note: null },
  { symbol: 'C', bid: 13, note: 'y' },
];

describe('ColumnBatch', () => {
  it('turns records into columns by what their values are, and back into the same records', () => {
    const batch = ColumnBatch.fromRecords(rows);
    expect(batch.columns.bid).toBeInstanceOf(Float64Array);
    expect(batch.columns.symbol).toEqual({ codes: Int32Array.of(0, 1, 0, 2), dictionary: ['A', 'B', 'C'] });
    expect(batch.columns.note).toEqual([null, 'x', null, 'y']); // a nullable field stays a plain array
    expect(batch.toRecords()).toEqual(rows);
    expect(Object.keys(batch.records()[0]!)).toEqual(['symbol', 'bid', 'note']); // the fields' order
  });

  it('slices without copying, and a slice reads its own rows (views, records, values)', () => {
    const batch = ColumnBatch.fromRecords(rows);
    const tail = batch.slice(1, 3);
    expect(tail.columns).toBe(batch.columns);
    expect([tail.start, tail.end, tail.length]).toEqual([1, 3, 2]);
    expect(tail.records()).toEqual(rows.slice(1, 3));
    const view = tail.row(1);
    expect([view.symbol, view.bid, view.note]).toEqual(['A', 12, null]);
    expect(tail.value('bid', tail.start)).toBe(11);
    expect(tail.slice(1).records()).toEqual([rows[2]]);
    expect(batch.slice(0, 4)).toBe(batch);
    expect(() => batch.slice(3, 5)).toThrow(RangeError);
    expect(() => batch.slice(2, 1)).toThrow(RangeError);
  });

  it('materialises records once for all its slices and readers', () => {
    const batch = ColumnBatch.fromRecords(rows);
    const a = batch.slice(0, 2).records();
    const b = batch.records();
    expect(b.slice(0, 2)).toEqual(a);
    expect(b[0]).toBe(a[0]); // the same objects, not copies
    expect(batch.records()).toBe(b);
  });

  it('picks rows into a new batch of their own', () => {
    const picked = ColumnBatch.fromRecords(rows).pick([0, 3]);
    expect([picked.start, picked.length]).toEqual([0, 2]);
    expect(picked.toRecords()).toEqual([rows[0], rows[3]]);
  });

  it('checks every column has the batch length', () => {
    expect(() => ColumnBatch.of<{ a: number; b: number }>(2, { a: Float64Array.of(1, 2), b: Float64Array.of(1) })).toThrow(
      /column "b" has 1 rows, the batch 2/,
    );
  });

  it('reads edge batches either way: rowsOf and columnsOf', () => {
    const batch = ColumnBatch.fromRecords(rows);
    expect(rowsOf(batch)).toBe(batch.records());
    expect(rowsOf(rows)).toBe(rows);
    expect(columnsOf(batch)).toBe(batch);
    expect(columnsOf(rows).toRecords()).toEqual(rows);
  });
});
