/**
 * Typed wrapper around the native Parquet column decoder (./parquet.node, built by `napi build`, see
 * README.md): a flat data file's fields decoded by arrow-rs straight into typed arrays that JavaScript
 * allocated, or `undefined` when the binding does not take the file whole (another type, a null, a
 * long beyond ±2^53, a corrupt file), which the caller then decodes with parquet-wasm, whose checks say
 * what is wrong.
 *
 * @example
 * declare const bytes: Uint8Array; // a Parquet file's bytes
 * const decoded = decodeColumns(bytes, [{ name: 'ts_known', kind: 'micros' }, { name: 'symbol', kind: 'string' }], 65536);
 * decoded?.columns[0]; // Float64Array: ts_known of every row; batch b is rows b * 65536 … of it
 */
import { addonLoader } from '../load.ts';

/** micros: TIMESTAMP(MICROS) or INT64; long: INT64; int: INT32; double: DOUBLE; string: UTF8, plain or dictionary. */
export type ColumnKind = 'micros' | 'long' | 'int' | 'double' | 'string';
export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
}

/** A file's columns, whole: batch b is the `rows[b]` rows after the earlier batches' in every column. */
export interface DecodedColumns {
  /** Rows in each batch. */
  rows: number[];
  /** One per field: numbers as Float64Array, ints and the codes of strings as Int32Array. */
  columns: (Float64Array | Int32Array)[];
  /** The dictionary of string column f in batch b at `b * fields + f` (its codes index it); empty for other columns. */
  dictionaries: string[][];
}

type Columns = (Float64Array | Int32Array)[];
interface Decoded {
  rows: number[];
  dictionaries: string[][];
}
/** A file's bytes, read and held by the binding for heldBytes. */
type HeldFile = { readonly __held: unique symbol };
interface Binding {
  parquetRows(bytes: Uint8Array): number | null;
  decodeColumns(bytes: Uint8Array, fields: ColumnSpec[], batchRows: number, columns: Columns): Decoded | null;
  footerRows(footer: Uint8Array): { rows?: number | null; problem?: string | null } | null;
  readFile(
    fd: number,
    size: number,
    hash: boolean,
    expect: string | null,
    footer: Uint8Array | null,
    rows: number | null,
    fields: ColumnSpec[] | null,
    batchRows: number,
    columns: Columns | null,
  ): Promise<{ sha256?: string | null; problem?: string | null; decoded?: Decoded | null; file?: HeldFile | null }>;
  heldBytes(file: HeldFile): Uint8Array;
}

const binding = addonLoader<Binding>(new URL('./parquet.node', import.meta.url), 'the Parquet column decoder', 'needs cargo');

/**
 * Decoded columns may take this many times the file's bytes (plus 16 MiB) before the file is left to
 * parquet-wasm: a footer that claims more rows than the bytes can plausibly hold allocates nothing here.
 */
const EXPANSION = 64;

/** Arrays for `rows` rows of `fields`, or undefined when that is implausibly many for a file of `fileBytes`. */
function columnsFor(rows: number, fields: readonly ColumnSpec[], fileBytes: number): Columns | undefined {
  const rowBytes = fields.reduce((n, f) => n + (f.kind === 'int' || f.kind === 'string' ? 4 : 8), 0);
  if (!Number.isSafeInteger(rows) || rows < 0 || rows * rowBytes > EXPANSION * fileBytes + 16 * 2 ** 20) return undefined;
  return fields.map((f) => (f.kind === 'int' || f.kind === 'string' ? new Int32Array(rows) : new Float64Array(rows)));
}

/** `fields` of the Parquet file in `bytes`, in batches of `batchRows` rows, or undefined (see above). */
export function decodeColumns(bytes: Uint8Array, fields: readonly ColumnSpec[], batchRows: number): DecodedColumns | undefined {
  const rows = binding().parquetRows(bytes);
  const columns = rows === null ? undefined : columnsFor(rows, fields, bytes.length);
  const decoded = columns && binding().decodeColumns(bytes, fields as ColumnSpec[], batchRows, columns);
  return decoded ? { rows: decoded.rows, columns: columns!, dictionaries: decoded.dictionaries } : undefined;
}

/**
 * The same on libuv's thread pool, for the `size` bytes of the open regular file `fd` (read there;
 * the descriptor may be closed once this returns), with their sha256 when `hash`, in one task: read,
 * hash and decode. The columns are decoded only when `footer` is given and the bytes end with it (the
 * footer parquet-wasm parsed: lib/io/native-columns.ts), and, when `expect` is given, the bytes have
 * that sha256. `bytes`: the bytes read, when they are the expected ones and were not decoded here (for
 * parquet-wasm). `problem`: why the file cannot be read, or is corrupt by its own footer (its row
 * groups do not add up to its row count).
 */
export async function decodeOpenFile(
  fd: number,
  size: number,
  o: { hash: boolean; expect?: string | undefined; footer: Uint8Array | null; fields: readonly ColumnSpec[] | null; batchRows: number },
): Promise<{ sha256: string | undefined; decoded?: DecodedColumns; bytes?: Uint8Array; problem?: string }> {
  const b = binding();
  const declared = o.fields && o.footer ? b.footerRows(o.footer) : null;
  const rows = declared?.rows ?? null;
  const columns = (o.fields && rows !== null && columnsFor(rows, o.fields, size)) || null;
  const read = columns
    ? await b.readFile(fd, size, o.hash, o.expect ?? null, o.footer, rows, o.fields as ColumnSpec[], o.batchRows, columns)
    : await b.readFile(fd, size, o.hash, o.expect ?? null, null, null, null, 1, null);
  const sha256 = read.sha256 ?? undefined;
  if (read.problem) return { sha256, problem: read.problem };
  if (read.decoded) return { sha256, decoded: { rows: read.decoded.rows, columns: columns!, dictionaries: read.decoded.dictionaries } };
  if (!read.file) return { sha256 }; // not the expected bytes
  // The footer's own contradiction, once the bytes are known to be the expected ones.
  if (declared?.problem) return { sha256, problem: declared.problem };
  return { sha256, bytes: b.heldBytes(read.file) };
}
