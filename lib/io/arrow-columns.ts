/** Reading Arrow record batches column by column, fast: the replay's decoding path. */
import { DataType, type RecordBatch, type Vector } from 'apache-arrow';
import { avroSchema, type AvroType } from '../../schemas/avro.ts';
import type { SchemaName, SchemaTypes } from '../../schemas/types.generated.ts';
import { ColumnBatch, type ColumnsOf } from '../core/column-batch.ts';

/** A TIMESTAMP(MICROS) or INT64 column of one record batch as exact JS numbers (safe up to 2^53). */
export function int64Column(batch: RecordBatch, name: string): Float64Array {
  const data = requireColumn(batch, name).data[0]!;
  // A builder's buffers may be longer than the data (padding): read `length` values only.
  const values = (data.values as BigInt64Array).subarray(0, data.length);
  const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  const out = new Float64Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0);
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
 * A record batch as a column batch of the named schema: each field of the Avro schema read from its
 * column (longs and timestamps as exact numbers, ints as Int32Array, doubles as Float64Array, strings
 * and enums as dictionary codes). A missing column, or one of another type, is an error naming it.
 */
export function columnBatchOf<TName extends SchemaName>(batch: RecordBatch, schemaName: TName): ColumnBatch<SchemaTypes[TName]> {
  const columns: Record<string, unknown> = {};
  for (const field of avroSchema(schemaName).fields) {
    const kind = fieldKind(field.type);
    const vector = requireColumn(batch, field.name);
    const type = vector.type as DataType;
    const expect = (ok: boolean, wanted: string): void => {
      if (!ok) throw new TypeError(`column "${field.name}" is ${String(type)}, expected ${wanted} (field ${field.name} of ${schemaName})`);
    };
    if (kind !== 'other' && vector.nullCount > 0) {
      throw new TypeError(
        `column "${field.name}" has ${vector.nullCount} null value(s); field ${field.name} of ${schemaName} is not nullable`,
      );
    }
    switch (kind) {
      case 'long':
        expect(DataType.isTimestamp(type) || (DataType.isInt(type) && type.bitWidth === 64), 'a 64-bit integer or timestamp');
        columns[field.name] = int64Column(batch, field.name);
        break;
      case 'int':
        expect(DataType.isInt(type) && type.bitWidth === 32, 'a 32-bit integer');
        columns[field.name] = int32Column(vector);
        break;
      case 'double':
        expect(DataType.isFloat(type), 'a floating-point number');
        columns[field.name] = float64Column(batch, field.name);
        break;
      case 'string': {
        expect(DataType.isUtf8(type) || (DataType.isDictionary(type) && DataType.isUtf8(type.dictionary)), 'a string');
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

function fieldKind(type: AvroType): 'long' | 'int' | 'double' | 'string' | 'other' {
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
