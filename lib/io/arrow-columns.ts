/** Reading Arrow record batches column by column, fast: the replay's decoding path. */
import type { RecordBatch, Vector } from 'apache-arrow';

/** A TIMESTAMP(MICROS) or INT64 column of one record batch as exact JS numbers (safe up to 2^53). */
export function int64Column(batch: RecordBatch, name: string): Float64Array {
  const data = requireColumn(batch, name).data[0]!;
  const values = data.values as BigInt64Array;
  const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
  const out = new Float64Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = words[2 * i + 1]! * 4294967296 + (words[2 * i]! >>> 0);
  return out;
}

export function float64Column(batch: RecordBatch, name: string): Float64Array {
  const vector = requireColumn(batch, name);
  const data = vector.data[0]!;
  if (data.values instanceof Float64Array && data.nullCount === 0) return data.values;
  return Float64Array.from(vector.toArray() as ArrayLike<number>);
}

/** A dictionary-encoded string column as (indices, dictionary), or a plain string column as both. */
export function stringColumn(batch: RecordBatch, name: string): { indices: Int32Array; dictionary: string[] } {
  const vector = requireColumn(batch, name);
  const data = vector.data[0]!;
  if (data.dictionary) return { indices: data.values as Int32Array, dictionary: data.dictionary.toArray() as string[] };
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
