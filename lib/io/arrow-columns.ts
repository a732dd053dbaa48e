/** Reading Arrow record batches column by column, fast: the replay's decoding path. */
import { DataType, type Field, type RecordBatch, type Schema, TimeUnit, type Vector } from 'apache-arrow';
import { avroSchema, type AvroField, type AvroType } from '../../schemas/avro.ts';
import type { SchemaName, SchemaTypes } from '../../schemas/types.generated.ts';
import { ColumnBatch, type ColumnsOf } from '../core/column-batch.ts';

/** A TIMESTAMP(MICROS) or INT64 column of one record batch as exact JS numbers; a value beyond ±2^53 is an error. */
export function int64Column(batch: RecordBatch, name: string): Float64Array {
  const data = requireColumn(batch, name).data[0]!;
  // A builder's buffers may be longer than the data (padding): read `length` values only.
  const values = (data.values as BigInt64Array).subarray(0, data.length);
  const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  const out = new Float64Array(values.length);
  for (let i = 0; i < out.length; i++) {
    const high = words[2 * i + 1]!;
    // |value| < 2^53 exactly when the high word is in [-2^21, 2^21) (and not -2^53 itself).
    if (high >= 0x200000 || high < -0x200000 || (high === -0x200000 && words[2 * i] === 0))
      throw new RangeError(`column "${name}" row ${i} is ${values[i]}: beyond ±2^53, not exact as a number`);
    out[i] = high * 4294967296 + (words[2 * i]! >>> 0);
  }
  return out;
}

export function float64Column(batch: RecordBatch, name: string): Float64Array {
  const vector = requireColumn(batch, name);
  const data = vector.data[0]!;
  if (data.values instanceof Float64Array && data.nullCount === 0) return data.values.subarray(0, data.length);
  return Float64Array.from(vector.toArray() as ArrayLike<number>);
}

/** A dictionary-encoded string column as (indices, dictionary), or a plain string column as both. */
export function stringColumn(batch: RecordBatch, name: string): { indices: Int32Array; dictionary: string[] } {
  const vector = requireColumn(batch, name);
  const data = vector.data[0]!;
  if (data.dictionary)
    return { indices: (data.values as Int32Array).subarray(0, data.length), dictionary: data.dictionary.toArray() as string[] };
  const values = vector.toArray() as string[];
  const dictionary: string[] = [];
  const lookup = new Map<string, number>();
  const indices = new Int32Array(values.length);
  values.forEach((v, i) => {
    let k = lookup.get(v);
    if (k === undefined) lookup.set(v, (k = dictionary.push(v) - 1));
    indices[i] = k;
  });
  return { indices, dictionary };
}

function requireColumn(batch: RecordBatch, name: string): Vector {
  const vector = batch.getChild(name);
  if (!vector) throw new Error(`column "${name}" missing (columns: ${batch.schema.fields.map((f) => f.name).join(', ')})`);
  return vector;
}

/**
 * Checks a file's columns against the named schema before any row is read: every field has a column
 * of its type (a timestamp-micros field: TIMESTAMP(MICROSECOND) or INT64, never another unit; a long:
 * a signed 64-bit integer; an int: a signed 32-bit integer; a double: a float; a string or enum: a
 * string). A TypeError names the column, what it is and what was expected.
 */
export function checkColumns(schema: Schema, schemaName: SchemaName): void {
  for (const field of avroSchema(schemaName).fields) {
    const column = schema.fields.find((f: Field) => f.name === field.name);
    if (!column)
      throw new TypeError(
        `column "${field.name}" missing: field ${field.name} of ${schemaName} (columns: ${schema.fields.map((f) => f.name).join(', ')})`,
      );
    checkType(field, column.type as DataType, schemaName);
  }
}

function checkType(field: AvroField, type: DataType, schemaName: string): void {
  const wanted = expectedType(field.type, type);
  if (wanted) throw new TypeError(`column "${field.name}" is ${String(type)}, expected ${wanted} (field ${field.name} of ${schemaName})`);
}

/** What `type` should have been for an Avro field of `avro`, or undefined when it fits. */
function expectedType(avro: AvroType, type: DataType): string | undefined {
  const micros = isMicros(avro);
  const int64 = DataType.isInt(type) && type.bitWidth === 64 && type.isSigned;
  switch (fieldKind(avro)) {
    case 'long':
      if (micros)
        return (DataType.isTimestamp(type) && type.unit === TimeUnit.MICROSECOND) || int64
          ? undefined
          : 'a timestamp in microseconds (TIMESTAMP(MICROS) or INT64)';
      return int64 ? undefined : 'a signed 64-bit integer';
    case 'int':
      return DataType.isInt(type) && type.bitWidth === 32 && type.isSigned ? undefined : 'a signed 32-bit integer';
    case 'double':
      return DataType.isFloat(type) ? undefined : 'a floating-point number';
    case 'string':
      return DataType.isUtf8(type) || (DataType.isDictionary(type) && DataType.isUtf8(type.dictionary)) ? undefined : 'a string';
    case 'other':
      return undefined;
  }
}

/** Whether an Avro field type is a timestamp in microseconds. */
export function isMicros(avro: AvroType): boolean {
  return typeof avro === 'object' && !Array.isArray(avro) && (avro as { logicalType?: string }).logicalType === 'timestamp-micros';
}

/**
 * A record batch as a column batch of the named schema: each field of the Avro schema read from its
 * column (longs and timestamps as exact numbers, ints as Int32Array, doubles as Float64Array, strings
 * and enums as dictionary codes). A missing column, one of another type (see {@link checkColumns}), or
 * a null in a field that is not nullable is an error naming it.
 */
export function columnBatchOf<TName extends SchemaName>(batch: RecordBatch, schemaName: TName): ColumnBatch<SchemaTypes[TName]> {
  const columns: Record<string, unknown> = {};
  for (const field of avroSchema(schemaName).fields) {
    const kind = fieldKind(field.type);
    const vector = requireColumn(batch, field.name);
    checkType(field, vector.type as DataType, schemaName);
    if (kind !== 'other' && vector.nullCount > 0) {
      throw new TypeError(
        `column "${field.name}" has ${vector.nullCount} null value(s); field ${field.name} of ${schemaName} is not nullable`,
      );
    }
    switch (kind) {
      case 'long':
        columns[field.name] = int64Column(batch, field.name);
        break;
      case 'int':
        columns[field.name] = int32Column(vector);
        break;
      case 'double':
        columns[field.name] = float64Column(batch, field.name);
        break;
      case 'string': {
        const { indices, dictionary } = stringColumn(batch, field.name);
        columns[field.name] = { codes: indices, dictionary };
        break;
      }
      case 'other':
        columns[field.name] = vector.toArray();
        break;
    }
  }
  return ColumnBatch.of(batch.numRows, columns as ColumnsOf<SchemaTypes[TName]>);
}

/** How a field of an Avro schema is held in a column batch. */
export function fieldKind(type: AvroType): 'long' | 'int' | 'double' | 'string' | 'other' {
  if (typeof type === 'string') {
    if (type === 'long') return 'long';
    if (type === 'int') return 'int';
    if (type === 'double' || type === 'float') return 'double';
    if (type === 'string') return 'string';
    return 'other';
  }
  if (Array.isArray(type)) return 'other';
  if (type.type === 'long') return 'long';
  if (type.type === 'enum') return 'string';
  return 'other';
}

function int32Column(vector: Vector): Int32Array {
  const data = vector.data[0];
  if (vector.data.length === 1 && data && data.values instanceof Int32Array && data.nullCount === 0)
    return data.values.subarray(0, data.length);
  return Int32Array.from(vector.toArray() as ArrayLike<number>);
}
