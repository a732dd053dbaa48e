/**
 * Records of one schema gathered column by column as they arrive, so that a sink holding a whole run's
 * output keeps typed arrays (8 bytes a number, 4 a dictionary code) rather than record objects (a
 * portfolio state's 40 positions are 40 objects and 120 boxed numbers). `table()` is the Arrow table
 * `tableFromRecords` makes of the same records, so the same Parquet bytes: each column takes the fast
 * path `columnData` would take, and a column whose values stop fitting it (a value of another kind)
 * falls back to keeping the values themselves and handing them all to `columnData` at the end.
 */
import * as arrow from 'apache-arrow';
import type { IpcStream } from './parquet.ts';
import {
  arrowSchema,
  columnData,
  isListOfPlainStructs,
  listOfStructsData,
  pluck,
  structFiller,
  tableOfChildren,
  utf8Vector,
} from './avro-arrow.ts';

const PENDING_ROWS = 1024;

interface Column {
  append(values: readonly unknown[]): void;
  data(): arrow.Data;
  /** Empties the column, giving its memory back. */
  release(): void;
}

export class RecordColumns {
  private readonly schema: arrow.Schema;
  private readonly columns: Column[];
  private rows = 0;
  private pending: Record<string, unknown>[] = [];

  constructor(schemaName: string) {
    this.schema = arrowSchema(schemaName);
    this.columns = this.schema.fields.map(columnFor);
  }

  get length(): number {
    return this.rows + this.pending.length;
  }

  /** Appends records; they reach the columns PENDING_ROWS at a time (a portfolio state comes alone, and each append has a cost per column). */
  append(records: readonly Record<string, unknown>[]): void {
    for (const r of records) this.pending.push(r);
    if (this.pending.length >= PENDING_ROWS) this.flush();
  }

  private flush(): void {
    const records = this.pending;
    if (records.length === 0) return;
    this.pending = [];
    const fields = this.schema.fields;
    for (let k = 0; k < fields.length; k++) this.columns[k]!.append(pluck(records, fields[k]!.name));
    this.rows += records.length;
  }

  /**
   * The records as an Arrow IPC stream, the columns given back as soon as it is written (their pages
   * return to the system at once, not at the collector's next pass): the columns are empty after. The
   * stream's own memory goes back the same way when its reader calls `release()`.
   */
  ipc(): IpcStream {
    const bytes = new IpcBytes();
    const writer = new arrow.RecordBatchStreamWriter({ compressionType: null });
    writer.reset(bytes);
    writer.writeAll(this.table());
    for (const c of this.columns) c.release();
    this.rows = 0;
    return bytes.stream();
  }

  /** The records as an Arrow table whose columns view this one's: valid until `ipc()` empties them. */
  table(): arrow.Table {
    this.flush();
    return tableOfChildren(
      this.schema,
      this.columns.map((c) => c.data()),
      this.rows,
    );
  }
}

/** The column kind that mirrors the branch `columnData` takes for the field's type. */
function columnFor(f: arrow.Field): Column {
  const t = f.type;
  if (t instanceof arrow.Timestamp || t instanceof arrow.Int64) return new Numbers(f, true);
  if (!f.nullable) {
    if (t instanceof arrow.Float64) return new Numbers(f, false);
    if (t instanceof arrow.Dictionary && t.dictionary instanceof arrow.Utf8) return new Codes(f);
    if (isListOfPlainStructs(t)) return new StructLists(f, t);
  }
  return new Values(f);
}

/** Values kept as they came, for `columnData` at the end. */
class Values implements Column {
  private values: unknown[] = [];
  constructor(private readonly field: arrow.Field) {}
  append(values: readonly unknown[]): void {
    for (const v of values) this.values.push(v);
  }
  data(): arrow.Data {
    return columnData(this.field, this.values);
  }
  release(): void {
    this.values = [];
  }
}

/** The most bytes one column may take: 128M doubles (Arrow's int32 offsets cap a list column below that). */
const MAX_COLUMN_BYTES = 2 ** 30;

type NumberArray = Float64Array | Int32Array | Uint8Array;
type ResizableBuffer = ArrayBuffer & { resize(bytes: number): void };
/** ES2024's resizable ArrayBuffer (Node ≥ 20), which the project's TypeScript lib does not declare yet. */
const Resizable = ArrayBuffer as unknown as new (bytes: number, options: { maxByteLength: number }) => ResizableBuffer;

/**
 * Numbers in an ArrayBuffer that grows in place (a resizable buffer reserves its address space up
 * front and commits pages as it grows): a sink grows all run long, and growing by copying would leave
 * each outgrown copy to the collector, in the same allocator as the run's decoded files.
 */
class Growing<TArray extends NumberArray> {
  private readonly buffer: ResizableBuffer;
  private view: TArray;
  private n = 0;
  constructor(
    private readonly make: (buffer: ArrayBuffer, length?: number) => TArray,
    private readonly maxBytes = MAX_COLUMN_BYTES,
  ) {
    this.buffer = new Resizable(0, { maxByteLength: maxBytes });
    this.view = make(this.buffer, 0);
  }
  get length(): number {
    return this.n;
  }
  at(i: number): number {
    return this.view[i]!;
  }
  append(values: ArrayLike<number>): void {
    this.room(values.length);
    // One copy by the engine, whatever the array kind (a loop here would store into three kinds of array).
    this.view.set(values, this.n);
    this.n += values.length;
  }
  /** Empties the array and decommits its pages (views taken before are then empty). */
  release(): void {
    this.n = 0;
    this.buffer.resize(0);
    this.view = this.make(this.buffer, 0);
  }
  /** The numbers so far, as an array of exactly their count (a view: appending after it is not allowed). */
  values(): TArray {
    return this.make(this.buffer, this.n);
  }
  private room(more: number): void {
    const size = this.view.BYTES_PER_ELEMENT;
    const need = (this.n + more) * size;
    if (need <= this.buffer.byteLength) return;
    if (need > this.maxBytes) throw new RangeError(`more than ${this.maxBytes / size} values in one column or stream: too large to write`);
    this.buffer.resize(Math.min(this.maxBytes, Math.max(need, Math.ceil(this.buffer.byteLength * 1.5), 65536)));
    this.view = this.make(this.buffer, this.buffer.byteLength / size);
  }
}

/** The largest IPC stream: 2 GiB (parquet-wasm holds it twice in its 4 GiB memory while decoding it). */
const MAX_IPC_BYTES = 2 ** 31;

/** Where an Arrow IPC writer writes: the bytes go into a growing buffer, not a queue of chunks to join. */
class IpcBytes extends arrow.AsyncByteQueue {
  private readonly bytes = new Growing((b, n) => new Uint8Array(b, 0, n), MAX_IPC_BYTES);
  override write(value: Uint8Array): void {
    this.bytes.append(value);
  }
  stream(): IpcStream {
    return { bytes: this.bytes.values(), release: () => this.bytes.release() };
  }
}

const float64s = (): Growing<Float64Array> => new Growing((b, n) => new Float64Array(b, 0, n));
const int32s = (): Growing<Int32Array> => new Growing((b, n) => new Int32Array(b, 0, n));

const isNumber = (v: unknown): boolean => typeof v === 'number';
const isString = (v: unknown): boolean => typeof v === 'string';

/** Doubles, timestamps and longs (microseconds), in a Float64Array: JS numbers hold them exactly. */
class Numbers implements Column {
  private readonly values = float64s();
  private kept: Values | undefined;
  constructor(
    private readonly field: arrow.Field,
    private readonly asBigInt: boolean,
  ) {}
  append(values: readonly unknown[]): void {
    if (!this.kept && !values.every(isNumber)) {
      this.kept = new Values(this.field);
      this.kept.append(Array.from(this.values.values()));
    }
    if (this.kept) this.kept.append(values);
    else this.values.append(values as number[]);
  }
  data(): arrow.Data {
    if (this.kept) return this.kept.data();
    const values = this.values.values();
    if (!this.asBigInt) return arrow.makeData({ type: this.field.type as arrow.Float64, length: values.length, data: values });
    return columnData(this.field, values as unknown as readonly unknown[]);
  }
  release(): void {
    this.values.release();
    this.kept = undefined;
  }
}

/** Dictionary-encoded strings: codes in order of first appearance, as columnData assigns them. */
class Codes implements Column {
  private readonly codes = int32s();
  private readonly dictionary = new Map<string, number>();
  private kept: Values | undefined;
  constructor(private readonly field: arrow.Field) {}
  append(values: readonly unknown[]): void {
    if (!this.kept && !values.every(isString)) {
      const names = [...this.dictionary.keys()];
      this.kept = new Values(this.field);
      this.kept.append(Array.from(this.codes.values(), (c) => names[c]));
    }
    if (this.kept) {
      this.kept.append(values);
      return;
    }
    const codes = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as string;
      let c = this.dictionary.get(v);
      if (c === undefined) this.dictionary.set(v, (c = this.dictionary.size));
      codes[i] = c;
    }
    this.codes.append(codes);
  }
  data(): arrow.Data {
    if (this.kept) return this.kept.data();
    const codes = this.codes.values();
    const dictionary = utf8Vector([...this.dictionary.keys()]);
    return arrow.makeData({
      type: this.field.type as arrow.Dictionary<arrow.Utf8, arrow.Int32>,
      length: codes.length,
      data: codes,
      dictionary,
    });
  }
  release(): void {
    this.codes.release();
    this.dictionary.clear();
    this.kept = undefined;
  }
}

/** Lists of structs of doubles and dictionary strings (positions), filled by avro-arrow's struct filler. */
class StructLists implements Column {
  private readonly fields: readonly arrow.Field[];
  /** Where each list ends among the items (a list starts where the one before it ends, the first at 0). */
  private readonly ends = int32s();
  private readonly columns: Growing<Float64Array | Int32Array>[];
  private readonly dictionaries: Map<string, number>[];
  private items = 0;
  private kept: Values | undefined;
  constructor(
    private readonly field: arrow.Field,
    private readonly type: arrow.List<arrow.Struct>,
  ) {
    this.fields = type.children[0]!.type.children;
    this.columns = this.fields.map((f) =>
      f.type instanceof arrow.Float64 ? (float64s() as Growing<Float64Array | Int32Array>) : int32s(),
    );
    this.dictionaries = this.fields.map(() => new Map());
  }
  append(values: readonly unknown[]): void {
    if (!this.kept && !this.filled(values)) {
      this.kept = new Values(this.field);
      this.kept.append(this.asRecords());
    }
    this.kept?.append(values);
  }
  /** Appends `values` when every one is a list of fitting structs; false (nothing appended) when not. */
  private filled(values: readonly unknown[]): boolean {
    let items = 0;
    for (const list of values) {
      if (!Array.isArray(list)) return false;
      items += list.length;
    }
    const batch = this.fields.map((f) => (f.type instanceof arrow.Float64 ? new Float64Array(items) : new Int32Array(items)));
    const offsets = new Int32Array(values.length + 1);
    // New dictionary entries from a batch that fails are harmless: codes already stored stay as they were.
    if (!structFiller(this.fields)(values, batch, this.dictionaries, offsets)) return false;
    this.columns.forEach((c, k) => c.append(batch[k]!));
    const ends = offsets.subarray(1);
    for (let i = 0; i < ends.length; i++) ends[i] = ends[i]! + this.items;
    this.ends.append(ends);
    this.items += items;
    return true;
  }
  /** The lists appended so far as plain records again, for the fallback. */
  private asRecords(): unknown[] {
    const names = this.dictionaries.map((d) => [...d.keys()]);
    const out: unknown[] = [];
    let start = 0;
    for (let i = 0; i < this.ends.length; i++) {
      const end = this.ends.at(i);
      const list: Record<string, unknown>[] = [];
      for (let j = start; j < end; j++) {
        const item: Record<string, unknown> = {};
        this.fields.forEach((f, k) => {
          const v = this.columns[k]!.at(j);
          item[f.name] = f.type instanceof arrow.Float64 ? v : names[k]![v];
        });
        list.push(item);
      }
      out.push(list);
      start = end;
    }
    return out;
  }
  data(): arrow.Data {
    if (this.kept) return this.kept.data();
    const ends = this.ends.values();
    const offsets = new Int32Array(ends.length + 1);
    offsets.set(ends, 1);
    return listOfStructsData(
      this.type,
      offsets,
      this.columns.map((c) => c.values()),
      this.dictionaries.map((d) => [...d.keys()]),
    );
  }
  release(): void {
    this.ends.release();
    for (const c of this.columns) c.release();
    for (const d of this.dictionaries) d.clear();
    this.items = 0;
    this.kept = undefined;
  }
}
