/**
 * Column batches: the records of one batch held as one typed array per field, for tick-rate paths
 * where an object per record costs more than the work done on it. Numbers are `Float64Array` (times
 * and integers exact up to 2^53) or `Int32Array`; strings and enums are dictionary codes; any other
 * field (nullable, list, nested record) is a plain array of its values.
 *
 * A batch is rows `start … end − 1` of its columns: `slice` makes another batch over the same
 * columns (one small object, no copy), so a replay cut into many short runs shares one set of
 * columns. Loops over the columns run `for (let i = b.start; i < b.end; i++)`. `row(i)` is a cheap
 * view of the batch's row i (it reads the columns), `records()` materialises every row once and
 * shares the result among every reader of the batch and of its slices.
 *
 * @example
 * const batch = ColumnBatch.of<{ symbol: string; bid: number }>(2, {
 *   symbol: { codes: Int32Array.of(0, 0), dictionary: ['AAPL'] },
 *   bid: Float64Array.of(10, 11),
 * });
 * batch.row(1).bid; // 11
 * batch.slice(1, 2).records(); // [{ symbol: 'AAPL', bid: 11 }]
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

/** What every slice of one set of columns shares: the records, once materialised, and the row view class. */
class Shared<T> {
  records: T[] | undefined;
  viewClass: (new (i: number) => T) | undefined;
  recordFn: ((i: number) => T) | undefined;
  constructor(
    readonly fields: readonly string[],
    readonly rows: number,
  ) {}
}

export class ColumnBatch<T> {
  /** Rows in the batch: `end − start`. */
  readonly length: number;
  private sliceRecords: readonly T[] | undefined;

  private constructor(
    readonly columns: ColumnsOf<T>,
    readonly start: number,
    readonly end: number,
    private readonly shared: Shared<T>,
  ) {
    this.length = end - start;
  }

  /** A batch of every row of `columns`; checks that each column has `length` rows. */
  static of<T>(length: number, columns: ColumnsOf<T>): ColumnBatch<T> {
    const fields = Object.keys(columns) as (keyof T & string)[];
    for (const f of fields) {
      const n = columnLength(columns[f]);
      if (n !== length) throw new RangeError(`column "${f}" has ${n} rows, the batch ${length}`);
    }
    return new ColumnBatch(columns, 0, length, new Shared(fields, length));
  }

  /**
   * Records as columns: a field whose values in these records are all numbers becomes a
   * `Float64Array`, all strings a string column, anything else (null, a list, a mix) a plain array.
   * `fields` gives the field order (default: the first record's).
   */
  static fromRecords<T extends object>(records: readonly T[], fields?: readonly (keyof T & string)[]): ColumnBatch<T> {
    const names = fields ?? (records.length > 0 ? (Object.keys(records[0]!) as (keyof T & string)[]) : []);
    const columns: Record<string, unknown> = {};
    for (const f of names) columns[f] = columnOf(records.map((r) => r[f]));
    return ColumnBatch.of(records.length, columns as ColumnsOf<T>);
  }

  /** Rows `from … to − 1` of this batch (indices relative to it), sharing its columns. */
  slice(from: number, to: number = this.length): ColumnBatch<T> {
    if (!(from >= 0 && from <= to && to <= this.length)) throw new RangeError(`slice ${from}…${to} of a batch of ${this.length} rows`);
    if (from === 0 && to === this.length) return this;
    return new ColumnBatch(this.columns, this.start + from, this.start + to, this.shared);
  }

  /** A new batch of the given rows (absolute indices, ascending), copied out of these columns. */
  /** The rows for which `keep(i)` is true: the batch itself when every row is, else a copy of them. */
  where(keep: (i: number) => boolean): ColumnBatch<T> {
    let kept: number[] | undefined;
    for (let i = this.start; i < this.end; i++) {
      if (keep(i)) kept?.push(i);
      else kept ??= Array.from({ length: i - this.start }, (_, k) => this.start + k);
    }
    return kept ? this.pick(kept) : this;
  }

  pick(rows: ArrayLike<number>): ColumnBatch<T> {
    const n = rows.length;
    // Plain loops: TypedArray.from with a map function is several times slower in V8.
    const gather = <A extends Float64Array | Int32Array>(from: A, to: A): A => {
      for (let k = 0; k < n; k++) to[k] = from[rows[k]!]!;
      return to;
    };
    const columns: Record<string, unknown> = {};
    for (const f of this.shared.fields) {
      const c = (this.columns as Record<string, unknown>)[f];
      if (isStringColumn(c)) columns[f] = { codes: gather(c.codes, new Int32Array(n)), dictionary: c.dictionary };
      else if (c instanceof Float64Array) columns[f] = gather(c, new Float64Array(n));
      else if (c instanceof Int32Array) columns[f] = gather(c, new Int32Array(n));
      else columns[f] = Array.from({ length: n }, (_, k) => (c as readonly unknown[])[rows[k]!]);
    }
    return ColumnBatch.of(n, columns as ColumnsOf<T>);
  }

  /** The batch's rows as plain records, built once for all the slices of these columns and then shared: do not modify them. */
  records(): readonly T[] {
    if (this.sliceRecords) return this.sliceRecords;
    const shared = this.shared;
    if (!shared.records) {
      const all: T[] = new Array(shared.rows);
      for (let i = 0; i < shared.rows; i++) all[i] = this.record(i);
      shared.records = all;
    }
    this.sliceRecords = this.start === 0 && this.end === shared.rows ? shared.records : shared.records.slice(this.start, this.end);
    return this.sliceRecords;
  }

  /** Every row as a fresh plain record (a copy the caller owns). */
  toRecords(): T[] {
    const out: T[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.record(this.start + i);
    return out;
  }

  /** A view of the batch's row `i` (0 … length − 1): its fields read the columns when accessed. */
  row(i: number): T {
    this.shared.viewClass ??= this.makeViewClass();
    return new this.shared.viewClass(this.start + i);
  }

  /** Field `field` of column row `at` (an absolute index, `start` … `end − 1`). */
  value<K extends keyof T & string>(field: K, at: number): T[K] {
    const c = this.columns[field] as unknown;
    if (isStringColumn(c)) return c.dictionary[c.codes[at]!] as T[K];
    return (c as ArrayLike<T[K]>)[at]!;
  }

  /** Column row `at` (absolute) as a plain record. */
  record(at: number): T {
    this.shared.recordFn ??= this.makeRecordFn();
    return this.shared.recordFn(at);
  }

  /**
   * A function building row i as an object literal of the fields in order: records of one schema then
   * share one hidden class, as if a hand-written decoder had built them, so their readers stay fast.
   */
  private makeRecordFn(): (i: number) => T {
    const fields = this.shared.fields;
    const columns = fields.map((f) => (this.columns as Record<string, unknown>)[f]);
    const body = fields
      .map((f, k) => `${JSON.stringify(f)}: ${isStringColumn(columns[k]) ? `c[${k}].dictionary[c[${k}].codes[i]]` : `c[${k}][i]`}`)
      .join(', ');
    const make = new Function('c', `return (i) => ({ ${body} });`) as (c: unknown[]) => (i: number) => T;
    return make(columns);
  }

  private makeViewClass(): new (i: number) => T {
    const columns = this.columns as unknown as Record<string, unknown>;
    class View {
      constructor(readonly i: number) {}
    }
    for (const f of this.shared.fields) {
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

function columnLength(column: unknown): number {
  return isStringColumn(column) ? column.codes.length : (column as ArrayLike<unknown>).length;
}

function columnOf(values: unknown[]): unknown {
  if (values.every((v) => typeof v === 'number')) return Float64Array.from(values as number[]);
  if (values.every((v) => typeof v === 'string')) {
    const dictionary: string[] = [];
    const lookup = new Map<string, number>();
    const codes = new Int32Array(values.length);
    values.forEach((v, i) => {
      let k = lookup.get(v as string);
      if (k === undefined) lookup.set(v as string, (k = dictionary.push(v as string) - 1));
      codes[i] = k;
    });
    return { codes, dictionary };
  }
  return values;
}

/** What an edge carries: records, or (on tick-rate edges) their columns. */
export type EdgeBatch<T> = readonly T[] | ColumnBatch<T>;

/** The records of an edge batch (materialised once per column batch, shared by every reader). */
export function rowsOf<T>(batch: EdgeBatch<T>): readonly T[] {
  return batch instanceof ColumnBatch ? batch.records() : batch;
}

/** The columns of an edge batch (records are turned into columns, see {@link ColumnBatch.fromRecords}). */
export function columnsOf<T>(batch: EdgeBatch<T>): ColumnBatch<T> {
  return batch instanceof ColumnBatch ? batch : (ColumnBatch.fromRecords(batch as readonly (T & object)[]) as ColumnBatch<T>);
}
