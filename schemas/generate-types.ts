/**
 * Generates types.generated.ts from the `.avsc` files: `npm run gen:types`.
 * A test regenerates the text and fails when the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { avroSchemas, SCHEMA_DIR, type AvroField, type AvroType } from './avro.ts';

function tsType(type: AvroType, named: Map<string, string>): string {
  if (Array.isArray(type)) return type.map((t) => tsType(t, named)).join(' | ');
  if (typeof type === 'string') {
    switch (type) {
      case 'null':
        return 'null';
      case 'boolean':
        return 'boolean';
      case 'int':
      case 'long':
      case 'float':
      case 'double':
        return 'number';
      case 'string':
        return 'string';
      case 'bytes':
        return 'Uint8Array';
      default: {
        const ref = named.get(type);
        if (!ref) throw new Error(`unresolved Avro type reference "${type}"`);
        return ref;
      }
    }
  }
  switch (type.type) {
    case 'long':
      return 'number';
    case 'array':
      return `${tsType(type.items, named)}[]`;
    case 'enum': {
      const union = type.symbols.map((s) => `'${s}'`).join(' | ');
      named.set(type.name, type.name);
      extra.push(`export type ${type.name} = ${union};`);
      return type.name;
    }
    case 'record': {
      named.set(type.name, type.name);
      extra.push(recordInterface(type.name, type.doc, type.fields, named));
      return type.name;
    }
  }
}

let extra: string[] = [];

function recordInterface(name: string, doc: string | undefined, fields: AvroField[], named: Map<string, string>): string {
  const lines = fields.map((f) => `  /** ${f.doc ?? ''} */\n  ${f.name}: ${tsType(f.type, named)};`);
  return `/** ${doc ?? name} */\nexport interface ${name} {\n${lines.join('\n')}\n}`;
}

export function generateTypes(): string {
  extra = [];
  const named = new Map<string, string>();
  const out: string[] = [];
  const emitted = new Set<string>();
  for (const schema of avroSchemas().values()) {
    const body = recordInterface(schema.name, schema.doc, schema.fields, named);
    for (const e of extra) {
      const key = e.split('\n').find((l) => l.startsWith('export'))!;
      if (!emitted.has(key)) {
        emitted.add(key);
        out.push(e);
      }
    }
    extra = [];
    out.push(body);
  }
  const names = [...avroSchemas().keys()];
  return [
    '// Generated from schemas/*.avsc by `npm run gen:types`. Do not edit.',
    '',
    ...out.flatMap((s) => [s, '']),
    `export interface SchemaTypes {\n${names.map((n) => `  ${n}: ${n};`).join('\n')}\n}`,
    '',
    'export type SchemaName = keyof SchemaTypes;',
    '',
    `export const SCHEMA_NAMES = [${names.map((n) => `'${n}'`).join(', ')}] as const satisfies readonly SchemaName[];`,
    '',
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(join(SCHEMA_DIR, 'types.generated.ts'), generateTypes());
}
