/**
 * Column batches: the records of one batch held as one typed array per field, for tick-rate paths
 * where an object per record costs more than the work done on it. Numbers are `Float64Array` (times
 * and integers exact up to 2^53) or `Int32Array`; strings and enums are dictionary codes; any other
 * field (nullable, list, nested record) is a plain array of its values. `row(i)` is a cheap view of
 * one record (it reads the columns; it copies nothing), `toRecords()` materialises them all.
 *
 * @example
 * const batch = ColumnBatch.of<{ symbol: string; bid: number }>(2, {
 *   symbol: { codes: Int32Array.of(0, 0), dictionary: ['AAPL'] },
 *   bid: Float64Array.of(10, 11),
 * });
 * batch.row(1).bid; // 11
 */

/** A string or enum column: row i is `dictionary[codes[i]]`. */
export interface StringColumn<T extends string = string> {
  readonly codes: Int32Array;
  readonly dictionary: readonly T[];
}

export type NumberColumn = Float64Array | Int32Array;

/** The column type of each field of a record type. */
export type ColumnsOf<T> = {
  readonly [K in keyof T]: [T[K]] extends [number] ? NumberColumn : [T[K]] extends [string] ? StringColumn<T[K]> : readonly T[K][];
};

function isStringColumn(column: unknown): column is StringColumn {
  return column !== null && typeof column === 'object' && 'codes' in column && 'dictionary' in column;
}

export class ColumnBatch<T> {
  private viewClass: (new (i: number) => T) | undefined;

  private constructor(
    readonly length: number,
    readonly columns: ColumnsOf<T>,
    readonly fields: readonly (keyof T & string)[],
  ) {}

  /** Checks that every column has `length` rows. */
  static of<T>(length: number, columns: ColumnsOf<T>): ColumnBatch<T> {
    const fields = Object.keys(columns) as (keyof T & string)[];
    for (const f of fields) {
      const c = columns[f] as unknown;
      const n = isStringColumn(c) ? c.codes.length : (c as ArrayLike<unknown>).length;
      if (n !== length) throw new RangeError(`column "${f}" has ${n} rows, the batch ${length}`);
    }
    return new ColumnBatch(length, columns, fields);
  }

  /** A view of row `i`: its fields read the columns when accessed. */
  row(i: number): T {
    this.viewClass ??= this.makeViewClass();
    return new this.viewClass(i);
  }

  /** Every row as a plain record (a copy). */
  toRecords(): T[] {
    const out: T[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.record(i);
    return out;
  }

  /** Row `i` as a plain record (a copy). */
  record(i: number): T {
    const r: Record<string, unknown> = {};
    for (const f of this.fields) r[f] = this.value(f, i);
    return r as T;
  }

  value<K extends keyof T & string>(field: K, i: number): T[K] {
    const c = this.columns[field] as unknown;
    if (isStringColumn(c)) return c.dictionary[c.codes[i]!] as T[K];
    return (c as ArrayLike<T[K]>)[i]!;
  }

  private makeViewClass(): new (i: number) => T {
    const columns = this.columns as unknown as Record<string, unknown>;
    class View {
      constructor(readonly i: number) {}
    }
    for (const f of this.fields) {
      const column = columns[f];
      const get = isStringColumn(column)
        ? function (this: View) {
            return column.dictionary[column.codes[this.i]!];
          }
        : function (this: View) {
            return (column as ArrayLike<unknown>)[this.i];
          };
      Object.defineProperty(View.prototype, f, { enumerable: true, get });
    }
    return View as unknown as new (
      i: number,
    ) => T;
  }
}
