/**
 * Loads the Avro schemas in this folder. The `.avsc` files are the single source of truth for every
 * event type: the TypeScript types (types.generated.ts) and the Parquet column types are derived from them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'string' | 'bytes';
export type AvroType =
  | AvroPrimitive
  | string
  | AvroType[]
  | { type: 'record'; name: string; namespace?: string; doc?: string; fields: AvroField[] }
  | { type: 'enum'; name: string; symbols: string[] }
  | { type: 'array'; items: AvroType }
  | { type: 'long'; logicalType: 'timestamp-micros' };
export interface AvroField {
  name: string;
  type: AvroType;
  doc?: string;
}
export interface AvroRecord {
  type: 'record';
  name: string;
  namespace?: string;
  doc?: string;
  fields: AvroField[];
  /** The fields that identify a record across its corrections, when it has no `id` and `version` (lib/io/lake/table-schema.ts). */
  'alpha.identity'?: string[];
}

export const SCHEMA_DIR = fileURLToPath(new URL('.', import.meta.url));

let cache: Map<string, AvroRecord> | undefined;

/** Every schema by record name, e.g. `avroSchemas().get('Quote')`. */
export function avroSchemas(): ReadonlyMap<string, AvroRecord> {
  if (!cache) {
    cache = new Map();
    for (const file of readdirSync(SCHEMA_DIR)
      .filter((f) => f.endsWith('.avsc'))
      .sort()) {
      const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as AvroRecord;
      cache.set(schema.name, schema);
    }
  }
  return cache;
}

export function avroSchema(name: string): AvroRecord {
  const schema = avroSchemas().get(name);
  if (!schema) throw new Error(`unknown schema "${name}" — known: ${[...avroSchemas().keys()].join(', ')}`);
  return schema;
}
