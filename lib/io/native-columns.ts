/**
 * A Parquet data file straight into the column batches of a schema, decoded natively
 * (native/parquet: arrow-rs's reader without the Arrow IPC stream and its parse in JavaScript).
 * Only for schemas whose fields are all numbers and strings, and only for files whose footer
 * parquet-wasm parses first (parquet.ts: footerParses) and the binding takes whole: anything else is
 * `undefined`, and the caller decodes the file with parquet-wasm (arrow-columns.ts), whose checks say
 * what is wrong with it.
 */
import { type ColumnKind, type ColumnSpec, type DecodedColumns, decodeColumns, decodeOpenFile } from '../../native/parquet/index.ts';
import { avroSchema } from '../../schemas/avro.ts';
import type { SchemaName, SchemaTypes } from '../../schemas/types.generated.ts';
import { ColumnBatch, type ColumnsOf } from '../core/column-batch.ts';
import { fieldKind, isMicros } from './arrow-columns.ts';
import { footerParses, parsedFooter } from './parquet.ts';

const specsOf = new Map<SchemaName, readonly ColumnSpec[] | null>();

/** The columns the binding reads for `schema`, or null when a field is not a number or a string. */
function columnSpecs(schema: SchemaName): readonly ColumnSpec[] | null {
  const known = specsOf.get(schema);
  if (known !== undefined) return known;
  const specs: ColumnSpec[] = [];
  for (const field of avroSchema(schema).fields) {
    const kind = fieldKind(field.type);
    if (kind === 'other') {
      specsOf.set(schema, null);
      return null;
    }
    const as: ColumnKind = kind === 'long' && isMicros(field.type) ? 'micros' : kind;
    specs.push({ name: field.name, kind: as });
  }
  specsOf.set(schema, specs);
  return specs;
}

/** The file's rows as column batches of `batchRows` rows (the last shorter), or undefined (see above). */
export function nativeColumnBatches<TName extends SchemaName>(
  bytes: Uint8Array,
  schema: TName,
  batchRows: number,
): ColumnBatch<SchemaTypes[TName]>[] | undefined {
  const specs = columnSpecs(schema);
  const decoded = specs && footerParses(bytes) ? decodeColumns(bytes, specs, batchRows) : undefined;
  return decoded && batchesOf<TName>(specs!, decoded);
}

/**
 * The same on libuv's thread pool, for the `size` bytes of the open data file `fd` (read there), with
 * their sha256 when `hash`. Bytes whose sha256 is not `expect` (when given) are not decoded. `bytes`:
 * the bytes read, when they were not decoded here (for parquet-wasm), and `rows`, the rows their
 * footer declares, when the binding read it; `problem`: why the file cannot be read, or is corrupt by
 * its own footer.
 */
export async function decodeNatively<TName extends SchemaName>(
  file: { fd: number; size: number },
  schema: TName,
  o: { batchRows: number; hash: boolean; expect?: string | undefined },
): Promise<{
  sha256: string | undefined;
  batches?: ColumnBatch<SchemaTypes[TName]>[];
  bytes?: Uint8Array;
  rows?: number;
  problem?: string;
}> {
  const specs = columnSpecs(schema);
  const footer = specs ? (parsedFooter(file.fd, file.size) ?? null) : null;
  const { decoded, ...rest } = await decodeOpenFile(file.fd, file.size, { ...o, footer, fields: specs });
  return decoded ? { sha256: rest.sha256, batches: batchesOf<TName>(specs!, decoded) } : rest;
}

function batchesOf<TName extends SchemaName>(specs: readonly ColumnSpec[], decoded: DecodedColumns): ColumnBatch<SchemaTypes[TName]>[] {
  const n = specs.length;
  let at = 0;
  // A file without rows is one empty batch, as parquet-wasm's Arrow stream gives it.
  const rowsOf = decoded.rows.length > 0 ? decoded.rows : [0];
  const dictionaries = decoded.rows.length > 0 ? decoded.dictionaries : specs.map(() => []);
  return rowsOf.map((rows, b) => {
    const columns: Record<string, unknown> = {};
    specs.forEach((spec, f) => {
      const values = decoded.columns[f]!.subarray(at, at + rows);
      columns[spec.name] = spec.kind === 'string' ? { codes: values, dictionary: dictionaries[b * n + f]! } : values;
    });
    at += rows;
    return ColumnBatch.of(rows, columns as ColumnsOf<SchemaTypes[TName]>);
  });
}
