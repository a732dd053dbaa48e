/**
 * A dataset's Delta table, derived from its Avro schema (schemas/*.avsc): one non-null column per field
 * (timestamp-micros → Delta `timestamp`, i.e. TIMESTAMP(MICROS, UTC); long → long; int → integer;
 * double → double; string and enum → string) and the partition column `date`. Only flat records with
 * `ts_event`, `ts_known` and `symbol` go in the lake (Quote, Trade, Bar, …).
 *
 * It also says what a bitemporal read needs: the identity of a record (`id` where the schema has one,
 * else the fields its schema names in `alpha.identity`, else symbol and ts_event) and how its versions
 * rank (`version`, then the later `ts_known`), and the replay order of rows (ts_known, then seq or symbol).
 */
import { AlphaError } from '../../core/errors.ts';
import { type AvroRecord, avroSchemas } from '../../../schemas/avro.ts';
import { PARTITION } from './layout.ts';

export type DeltaType = 'timestamp' | 'string' | 'long' | 'integer' | 'double' | 'date';

export interface LakeColumn {
  name: string;
  type: DeltaType;
}

export interface LakeSchema {
  /** The Avro record name, e.g. "Trade". */
  name: string;
  /** The record's fields, in order, then `date`. */
  columns: readonly LakeColumn[];
  /** The columns that identify a record across its versions. */
  key: readonly string[];
  /** Ranks the versions of a record, the latest first (each column descending). */
  latest: readonly string[];
  /** The order of rows in a query's answer: delivery order. */
  order: readonly string[];
}

const DUCKDB_TYPES: Record<DeltaType, string> = {
  timestamp: 'TIMESTAMPTZ',
  string: 'VARCHAR',
  long: 'BIGINT',
  integer: 'INTEGER',
  double: 'DOUBLE',
  date: 'DATE',
};

export const duckdbType = (c: LakeColumn): string => DUCKDB_TYPES[c.type];

function columnType(schema: string, field: AvroRecord['fields'][number]): DeltaType | string {
  const t = field.type;
  if (typeof t === 'object' && !Array.isArray(t)) {
    if (t.type === 'long' && 'logicalType' in t && t.logicalType === 'timestamp-micros') return 'timestamp';
    if (t.type === 'enum') return 'string';
  }
  const plain: Record<string, DeltaType> = { long: 'long', int: 'integer', double: 'double', string: 'string' };
  return (typeof t === 'string' && plain[t]) || `${schema}.${field.name} is ${JSON.stringify(t)}, not a flat column`;
}

/** Why `record` cannot be a lake table, or its table. */
function derive(record: AvroRecord): LakeSchema | string {
  const columns: LakeColumn[] = [];
  for (const f of record.fields) {
    const type = columnType(record.name, f);
    if (!(type in DUCKDB_TYPES)) return type;
    columns.push({ name: f.name, type: type as DeltaType });
  }
  const names = new Set(columns.map((c) => c.name));
  for (const needed of ['ts_event', 'ts_known', 'symbol']) if (!names.has(needed)) return `${record.name} has no ${needed} field`;
  if (names.has(PARTITION)) return `${record.name} has a field named ${PARTITION}, the partition column`;
  const versioned = names.has('id') && names.has('version');
  const declared = record['alpha.identity'];
  if (declared !== undefined) {
    if (versioned) return `${record.name} has id and version and also declares alpha.identity: expected one of the two`;
    const unknown = declared.filter((f) => !names.has(f) || f === 'ts_known' || f === 'seq');
    if (declared.length === 0 || unknown.length > 0 || !declared.includes('ts_event'))
      return `${record.name}'s alpha.identity ${JSON.stringify(declared)}: expected fields of the record, ts_event among them, not ts_known or seq`;
  }
  return {
    name: record.name,
    columns: [...columns, { name: PARTITION, type: 'date' }],
    key: versioned ? ['id'] : (declared ?? ['symbol', 'ts_event']),
    latest: [...(versioned ? ['version'] : []), 'ts_known', ...(names.has('seq') ? ['seq'] : [])],
    // A declared identity orders the rows of one ts_known (several items of one symbol) fully.
    order: ['ts_known', ...(names.has('seq') ? ['seq'] : (declared ?? ['symbol']))],
  };
}

/** The schemas that can be lake tables, by name. */
export function lakeSchemas(): ReadonlyMap<string, LakeSchema> {
  const out = new Map<string, LakeSchema>();
  for (const [name, record] of avroSchemas()) {
    const s = derive(record);
    if (typeof s !== 'string') out.set(name, s);
  }
  return out;
}

/** The table of schema `name`, or an AlphaError listing the schemas that can be. */
export function lakeSchema(name: string): LakeSchema {
  const s = lakeSchemas().get(name);
  if (s) return s;
  const record = avroSchemas().get(name);
  const why = record ? (derive(record) as string) : `"${name}" is not a schema`;
  throw new AlphaError(`--schema ${name}: ${why}: expected one of ${[...lakeSchemas().keys()].join(', ')}`);
}

/** The schema whose columns are exactly `columns` (a table's, in any order), if any. */
export function schemaOfColumns(columns: readonly string[]): LakeSchema | undefined {
  const want = [...columns].sort().join(',');
  for (const s of lakeSchemas().values())
    if (
      s.columns
        .map((c) => c.name)
        .sort()
        .join(',') === want
    )
      return s;
  return undefined;
}
