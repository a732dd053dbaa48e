/**
 * The Avro↔Arrow mapping: Arrow schemas derived from the Avro schemas of `schemas/`, and Arrow tables
 * built from records or columns of those schemas. Timestamps are TIMESTAMP(MICROS, UTC); symbols and
 * enums are dictionary-encoded.
 */
import * as arrow from 'apache-arrow';
import { avroSchema, type AvroType } from '../../schemas/avro.ts';

const TIMESTAMP = new arrow.Timestamp(arrow.TimeUnit.MICROSECOND, 'UTC');

function arrowType(type: AvroType): { type: arrow.DataType; nullable: boolean } {
  if (Array.isArray(type)) {
    const rest = type.filter((t) => t !== 'null');
    if (rest.length !== 1) throw new Error(`unsupported Avro union ${JSON.stringify(type)}`);
    return { type: arrowType(rest[0]!).type, nullable: true };
  }
  if (typeof type === 'string') {
    switch (type) {
      case 'int':
        return { type: new arrow.Int32(), nullable: false };
      case 'long':
        return { type: new arrow.Int64(), nullable: false };
      case 'double':
        return { type: new arrow.Float64(), nullable: false };
      case 'float':
        return { type: new arrow.Float32(), nullable: false };
      case 'boolean':
        return { type: new arrow.Bool(), nullable: false };
      case 'string':
        return { type: new arrow.Utf8(), nullable: false };
      default:
        throw new Error(`unsupported Avro type "${type}"`);
    }
  }
  switch (type.type) {
    case 'long':
      return { type: TIMESTAMP, nullable: false };
    case 'enum':
      return { type: new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()), nullable: false };
    case 'array': {
      const item = arrowType(type.items);
      return { type: new arrow.List(new arrow.Field('item', item.type, item.nullable)), nullable: false };
    }
    case 'record':
      return { type: new arrow.Struct(type.fields.map((f) => field(f.name, f.type))), nullable: false };
  }
}

function field(name: string, type: AvroType): arrow.Field {
  const t = arrowType(type);
  // Symbols repeat: dictionary-encode them.
  const dataType = name === 'symbol' && t.type instanceof arrow.Utf8 ? new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()) : t.type;
  return new arrow.Field(name, dataType, t.nullable);
}

/** Arrow schema of an Avro record schema, e.g. `arrowSchema('Fill')`. */
export function arrowSchema(schemaName: string): arrow.Schema {
  return new arrow.Schema(avroSchema(schemaName).fields.map((f) => field(f.name, f.type)));
}

/** A dictionary-encoded string column: `dictionary[indices[i]]` is row i. */
export interface DictionaryColumn {
  indices: Int32Array;
  dictionary: readonly string[];
}
type Column = ArrayLike<unknown> | Float64Array | DictionaryColumn;

function isDictionaryColumn(c: Column): c is DictionaryColumn {
  return (c as DictionaryColumn).indices instanceof Int32Array && Array.isArray((c as DictionaryColumn).dictionary);
}

/** Builds an Arrow table from columns (plain arrays or typed arrays) in the schema's field order. */
export function tableFromColumns(schemaName: string, columns: Record<string, Column>, length: number): arrow.Table {
  const schema = arrowSchema(schemaName);
  const children = schema.fields.map((f) => {
    const values = columns[f.name];
    if (!values) throw new Error(`column "${f.name}" missing for ${schemaName}`);
    if (isDictionaryColumn(values)) {
      if (!(f.type instanceof arrow.Dictionary)) throw new Error(`column "${f.name}" is not dictionary-encoded`);
      const dictionary = utf8Vector([...values.dictionary]);
      return arrow.makeData({ type: f.type, length, data: values.indices, dictionary });
    }
    if (values.length !== length) throw new Error(`column "${f.name}" has ${values.length} values, expected ${length}`);
    if (f.type instanceof arrow.Timestamp || f.type instanceof arrow.Int64) {
      const big = new BigInt64Array(length);
      for (let i = 0; i < length; i++) big[i] = BigInt(values[i] as number);
      return arrow.makeData({ type: f.type as arrow.Int64, length, data: big });
    }
    if (f.type instanceof arrow.Float64 && values instanceof Float64Array) {
      return arrow.makeData({ type: f.type, length, data: values });
    }
    if (f.type instanceof arrow.Int32 && values instanceof Int32Array) {
      return arrow.makeData({ type: f.type, length, data: values });
    }
    return arrow.vectorFromArray(Array.from(values), f.type).data[0]!;
  });
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children });
  return new arrow.Table(schema, new arrow.RecordBatch(schema, struct));
}

/** Builds an Arrow table from records shaped like the schema's TypeScript type. */
export function tableFromRecords(schemaName: string, records: readonly Record<string, unknown>[]): arrow.Table {
  const schema = arrowSchema(schemaName);
  return tableOfChildren(
    schema,
    schema.fields.map((f) => columnData(f, pluck(records, f.name))),
    records.length,
  );
}

/** A one-batch table of `schema` from its columns' data, each of `length` rows. */
export function tableOfChildren(schema: arrow.Schema, children: arrow.Data[], length: number): arrow.Table {
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children });
  return new arrow.Table(schema, new arrow.RecordBatch(schema, struct));
}

/**
 * One column of record values as Arrow data. Required numbers, strings, dictionary strings and lists
 * of structs of those (a portfolio state's positions) are laid out directly in typed arrays; anything
 * else (nullable fields, booleans, strings that are not ASCII, a value of an unexpected kind) goes
 * through Arrow's generic builders, which cost several times more per value: a run's outputs have
 * tens of thousands of fills and states. Both give the same data, so the same Parquet bytes.
 */
export function columnData(f: arrow.Field, values: readonly unknown[]): arrow.Data {
  const n = values.length;
  const t = f.type;
  if (t instanceof arrow.Timestamp || t instanceof arrow.Int64) {
    // Arrow's builder reads a timestamp as milliseconds: microseconds go in as they are.
    const big = new BigInt64Array(n);
    for (let i = 0; i < n; i++) big[i] = BigInt(values[i] as number);
    return arrow.makeData({ type: t as arrow.Int64, length: n, data: big });
  }
  if (!f.nullable) {
    if (t instanceof arrow.Float64 && values.every(isNumber)) {
      return arrow.makeData({ type: t, length: n, data: Float64Array.from(values as number[]) });
    }
    if (t instanceof arrow.Dictionary && t.dictionary instanceof arrow.Utf8 && values.every(isString)) {
      const codes = new Map<string, number>();
      const indices = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i] as string;
        let c = codes.get(v);
        if (c === undefined) codes.set(v, (c = codes.size));
        indices[i] = c;
      }
      const dictionary = utf8Vector([...codes.keys()]);
      return arrow.makeData({ type: t, length: n, data: indices, dictionary });
    }
    if (t instanceof arrow.Utf8 && values.every(isString)) {
      const utf8 = asciiColumn(values as string[]);
      if (utf8) return arrow.makeData({ type: t, length: n, nullCount: 0, valueOffsets: utf8.offsets, data: utf8.bytes });
    }
    if (t instanceof arrow.List) {
      const data = listOfStructs(t, values);
      if (data) return data;
    }
  } else if (t instanceof arrow.Utf8 || t instanceof arrow.Float64) {
    const data = nullableColumn(t, values);
    if (data) return data;
  }
  return arrow.vectorFromArray(values as unknown[], t).data[0]!;
}

/**
 * A nullable string or double column (a reason, a limit price) as Arrow's builder makes it, without
 * the builder's cost per value (40 ms for 60,000 strings): ASCII strings from one encoding of their
 * concatenation. Undefined when a value is neither null nor of the column's kind (undefined included:
 * the builder makes a double of it, not a null), or a string not ASCII: the builder takes those.
 */
function nullableColumn(t: arrow.Utf8 | arrow.Float64, values: readonly unknown[]): arrow.Data | undefined {
  const n = values.length;
  const valid = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  const isValue = t instanceof arrow.Utf8 ? isString : isNumber;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) nulls++;
    else if (isValue(v)) valid[i >> 3]! |= 1 << (i & 7);
    else return undefined;
  }
  const nullBitmap = nulls > 0 ? valid : undefined;
  if (t instanceof arrow.Float64) {
    const data = new Float64Array(n);
    for (let i = 0; i < n; i++) if (typeof values[i] === 'number') data[i] = values[i] as number;
    return arrow.makeData({ type: t, length: n, nullCount: nulls, nullBitmap, data });
  }
  const utf8 = asciiColumn(values.map((v) => (typeof v === 'string' ? v : '')));
  if (!utf8) return undefined;
  return arrow.makeData({ type: t, length: n, nullCount: nulls, nullBitmap, valueOffsets: utf8.offsets, data: utf8.bytes });
}

const ENCODER = new TextEncoder();

/**
 * Strings as an Arrow Utf8 vector (a dictionary's values, say): ASCII ones from one encoding of their
 * concatenation, others through Arrow's builder, which encodes each string on its own.
 */
export function utf8Vector(values: readonly string[]): arrow.Vector<arrow.Utf8> {
  const utf8 = asciiColumn(values);
  if (!utf8) return arrow.vectorFromArray(values as string[], new arrow.Utf8());
  const type = new arrow.Utf8();
  return arrow.makeVector(arrow.makeData({ type, length: values.length, nullCount: 0, valueOffsets: utf8.offsets, data: utf8.bytes }));
}

/**
 * ASCII strings (ids) as one UTF-8 buffer and its offsets, from one encoding of their concatenation
 * rather than one per string; undefined when any is not ASCII (its UTF-8 is longer than its length).
 */
function asciiColumn(values: readonly string[]): { offsets: Int32Array; bytes: Uint8Array } | undefined {
  const bytes = ENCODER.encode(values.join(''));
  const offsets = new Int32Array(values.length + 1);
  for (let i = 0; i < values.length; i++) offsets[i + 1] = offsets[i]! + values[i]!.length;
  return bytes.length === offsets[values.length] ? { offsets, bytes } : undefined;
}

const pluckers = new Map<string, (records: readonly Record<string, unknown>[]) => unknown[]>();

/**
 * `records.map((r) => r[name])`, by a function written for the one name: its property read then sees
 * one or two shapes of record and stays fast, where one read shared by every field of every schema
 * turns megamorphic.
 */
export function pluck(records: readonly Record<string, unknown>[], name: string): unknown[] {
  let f = pluckers.get(name);
  if (!f) {
    const body = `const n = r.length, out = new Array(n); for (let i = 0; i < n; i++) out[i] = r[i][${JSON.stringify(name)}]; return out;`;
    f = new Function('r', body) as (records: readonly Record<string, unknown>[]) => unknown[];
    pluckers.set(name, f);
  }
  return f(records);
}

const isNumber = (v: unknown): boolean => typeof v === 'number';
const isString = (v: unknown): boolean => typeof v === 'string';
/**
 * The columns of records for {@link tableFromColumns}, typed by the schema's Arrow types (Float64Array,
 * Int32Array, dictionary codes for dictionary-encoded strings): for large batches, where
 * {@link tableFromRecords}' generic Arrow builders cost more than the data.
 */
export function typedColumnsOf(schemaName: string, records: readonly Record<string, unknown>[]): Record<string, Column> {
  const n = records.length;
  const out: Record<string, Column> = {};
  for (const f of arrowSchema(schemaName).fields) {
    const name = f.name;
    if (f.type instanceof arrow.Dictionary) {
      const codes = new Map<string, number>();
      const indices = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = records[i]![name] as string;
        let c = codes.get(v);
        if (c === undefined) codes.set(v, (c = codes.size));
        indices[i] = c;
      }
      out[name] = { indices, dictionary: [...codes.keys()] };
    } else if (f.type instanceof arrow.Float64 || f.type instanceof arrow.Timestamp || f.type instanceof arrow.Int64) {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = records[i]![name] as number;
      out[name] = values;
    } else if (f.type instanceof arrow.Int32) {
      const values = new Int32Array(n);
      for (let i = 0; i < n; i++) values[i] = records[i]![name] as number;
      out[name] = values;
    } else {
      out[name] = records.map((r) => r[name]);
    }
  }
  return out;
}

const isUtf8Dictionary = (t: arrow.DataType): boolean => t instanceof arrow.Dictionary && t.dictionary instanceof arrow.Utf8;

type StructFiller = (
  lists: readonly unknown[],
  columns: (Float64Array | Int32Array)[],
  codes: Map<string, number>[],
  offsets: Int32Array,
) => boolean;
const structFillers = new Map<string, StructFiller>();

/**
 * A list of structs whose fields are required doubles or dictionary strings (a portfolio state's
 * positions: 40 per state, 800,000 in a run), filled into typed columns in one pass by a function
 * written for the struct's fields; undefined when the type or any value is of another kind.
 */
function listOfStructs(t: arrow.List, lists: readonly unknown[]): arrow.Data | undefined {
  if (!isListOfPlainStructs(t)) return undefined;
  const fields = t.children[0]!.type.children;
  let total = 0;
  for (const list of lists) {
    if (!Array.isArray(list)) return undefined;
    total += list.length;
  }
  const columns = fields.map((f) => (f.type instanceof arrow.Float64 ? new Float64Array(total) : new Int32Array(total)));
  const codes = fields.map(() => new Map<string, number>());
  const offsets = new Int32Array(lists.length + 1);
  if (!structFiller(fields)(lists, columns, codes, offsets)) return undefined;
  return listOfStructsData(
    t,
    offsets,
    columns,
    codes.map((c) => [...c.keys()]),
  );
}

/** True when `t` is a list of required structs whose fields are all required doubles or dictionary strings. */
export function isListOfPlainStructs(t: arrow.DataType): t is arrow.List<arrow.Struct> {
  if (!(t instanceof arrow.List)) return false;
  const item = t.children[0]!;
  if (!(item.type instanceof arrow.Struct) || item.nullable) return false;
  return (item.type as arrow.Struct).children.every((f) => !f.nullable && (f.type instanceof arrow.Float64 || isUtf8Dictionary(f.type)));
}

/**
 * A list of structs as Arrow data from its filled columns: `offsets` (one more than the lists), one
 * column per struct field of `offsets.at(-1)` values (doubles, or codes into that field's `dictionaries` entry).
 */
export function listOfStructsData(
  t: arrow.List,
  offsets: Int32Array,
  columns: readonly (Float64Array | Int32Array)[],
  dictionaries: readonly (readonly string[])[],
): arrow.Data {
  const type = t.children[0]!.type as arrow.Struct;
  const total = offsets[offsets.length - 1]!;
  const children = type.children.map((f, k) =>
    f.type instanceof arrow.Float64
      ? arrow.makeData({ type: f.type, length: total, data: columns[k] as Float64Array })
      : arrow.makeData({
          type: f.type as arrow.Dictionary<arrow.Utf8, arrow.Int32>,
          length: total,
          data: columns[k] as Int32Array,
          dictionary: utf8Vector([...dictionaries[k]!]),
        }),
  );
  const child = arrow.makeData({ type, length: total, nullCount: 0, children });
  return arrow.makeData({ type: t, length: offsets.length - 1, nullCount: 0, valueOffsets: offsets, child });
}

export function structFiller(fields: readonly arrow.Field[]): StructFiller {
  const key = fields.map((f) => `${f.name}:${f.type instanceof arrow.Float64 ? 'f' : 'd'}`).join(',');
  let fill = structFillers.get(key);
  if (!fill) {
    const body = fields
      .map((f, k) =>
        f.type instanceof arrow.Float64
          ? `v = x[${JSON.stringify(f.name)}]; if (typeof v !== 'number') return false; c[${k}][n] = v;`
          : `v = x[${JSON.stringify(f.name)}]; if (typeof v !== 'string') return false; ` +
            `d = m[${k}].get(v); if (d === undefined) m[${k}].set(v, (d = m[${k}].size)); c[${k}][n] = d;`,
      )
      .join('\n');
    fill = new Function(
      'lists',
      'c',
      'm',
      'o',
      `let n = 0, v, d;
      for (let i = 0; i < lists.length; i++) {
        const list = lists[i];
        for (let j = 0; j < list.length; j++) {
          const x = list[j];
          if (typeof x !== 'object' || x === null) return false;
          ${body}
          n++;
        }
        o[i + 1] = n;
      }
      return true;`,
    ) as StructFiller;
    structFillers.set(key, fill);
  }
  return fill;
}
