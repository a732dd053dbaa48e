/**
 * Typed wrapper around the native Parquet column decoder (./parquet.node, built by `napi build`, see
 * README.md): a flat data file's fields decoded by arrow-rs straight into typed arrays, or `undefined`
 * when the binding does not take the file whole (another type, a null, a long beyond ±2^53, a corrupt
 * file), which the caller then decodes with parquet-wasm, whose checks say what is wrong.
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

interface Binding {
  fixMmapThreshold(bytes: number): boolean;
  decodeColumns(bytes: Uint8Array, fields: ColumnSpec[], batchRows: number): DecodedColumns | null;
  parquetOfIpc(ipc: Uint8Array, createdBy: string): Promise<Uint8Array>;
  readFile(
    fd: number,
    size: number,
    hash: boolean,
    expect: string | null,
    footer: Uint8Array | null,
    fields: ColumnSpec[] | null,
    batchRows: number,
  ): Promise<{
    sha256?: string | null;
    problem?: string | null;
    decoded?: DecodedColumns | null;
    bytes?: Uint8Array | null;
    rows?: number | null;
  }>;
}

const binding = addonLoader<Binding>(new URL('./parquet.node', import.meta.url), 'the Parquet column decoder', 'needs cargo');

/**
 * Fixes glibc's mmap threshold for the whole process (see src/lib.rs): called first thing by the
 * `alpha` command. False where it does not apply (another C library) or the addon is not built (its
 * first real use says so).
 */
export function fixMmapThreshold(bytes: number): boolean {
  try {
    return binding().fixMmapThreshold(bytes);
  } catch {
    return false;
  }
}

/** `fields` of the Parquet file in `bytes`, in batches of `batchRows` rows, or undefined (see above). */
export function decodeColumns(bytes: Uint8Array, fields: readonly ColumnSpec[], batchRows: number): DecodedColumns | undefined {
  return binding().decodeColumns(bytes, fields as ColumnSpec[], batchRows) ?? undefined;
}

/**
 * The same on libuv's thread pool, for the `size` bytes of the open regular file `fd` (read there;
 * the descriptor may be closed once this returns), with their sha256 when `hash`, in one task: read,
 * hash and decode. The columns are decoded only when `footer` and `fields` are given and the bytes end
 * with that footer (the one parquet-wasm parsed: lib/io/native-columns.ts), and, when `expect` is
 * given, the bytes have that sha256. `bytes`: the bytes read, when they are the expected ones and were
 * not decoded here (for parquet-wasm), with the `rows` their footer declares when it was read here
 * (parquet-wasm must find as many). `problem`: why the file cannot be read, or is corrupt by its own
 * footer (its row groups, or its pages, hold other rows than it counts).
 */
export async function decodeOpenFile(
  fd: number,
  size: number,
  o: { hash: boolean; expect?: string | undefined; footer: Uint8Array | null; fields: readonly ColumnSpec[] | null; batchRows: number },
): Promise<{ sha256: string | undefined; decoded?: DecodedColumns; bytes?: Uint8Array; rows?: number; problem?: string }> {
  const read = await binding().readFile(fd, size, o.hash, o.expect ?? null, o.footer, o.fields as ColumnSpec[] | null, o.batchRows);
  const sha256 = read.sha256 ?? undefined;
  if (read.problem) return { sha256, problem: read.problem };
  if (read.decoded) return { sha256, decoded: read.decoded };
  if (!read.bytes) return { sha256 }; // not the expected bytes
  return { sha256, bytes: read.bytes, ...(read.rows != null ? { rows: read.rows } : {}) };
}

/**
 * The Parquet bytes of an Arrow IPC stream, encoded by arrow-rs's writer on libuv's thread pool
 * (src/write.rs): parquet-wasm's settings (snappy, `createdBy` in the footer) but no dictionary for
 * floating-point columns inside lists. `ipc`
 * is copied before this returns; a stream the writer cannot take (cut, forged lengths) is a rejection.
 */
export function parquetOfIpcOnPool(ipc: Uint8Array, createdBy: string): Promise<Uint8Array> {
  return binding().parquetOfIpc(ipc, createdBy);
}
