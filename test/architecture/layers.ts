/**
 * The allowed import directions of the source tree, as one table, and the check that applies it.
 * Each layer may import only the layers listed beside it; packages listed under `forbidden` stay out
 * of a layer (storage formats stop at the operator kit's boundary; kafkajs stays off the run path).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface Layer {
  name: string;
  /** Folder of the layer, relative to the repository root. */
  dir: string;
  mayImport: readonly string[];
  forbiddenPackages?: readonly string[];
}

const STORAGE = ['apache-arrow', 'parquet-wasm', '@duckdb/node-api', 'kafkajs', '@platformatic/kafka'];
/** Operators count through ctx.metrics; exposing the counts (Prometheus) is the engine's (pipelines/runtime/live-metrics.ts). */
const OPERATOR_FORBIDDEN = [...STORAGE, 'prom-client'];

/** Most specific folder first: a file belongs to the first layer whose folder holds it. */
export const LAYERS: readonly Layer[] = [
  { name: 'schemas', dir: 'schemas', mayImport: ['schemas'] },
  { name: 'lib/core', dir: 'lib/core', mayImport: ['lib/core'] },
  { name: 'native', dir: 'native', mayImport: ['native', 'lib/core', 'schemas'] },
  { name: 'lib', dir: 'lib', mayImport: ['lib', 'lib/core', 'native', 'schemas'], forbiddenPackages: ['kafkajs', '@platformatic/kafka'] },
  { name: 'sdk', dir: 'operators/sdk', mayImport: ['sdk', 'lib', 'lib/core', 'native', 'schemas'], forbiddenPackages: OPERATOR_FORBIDDEN },
  { name: 'registry', dir: 'operators/index.ts', mayImport: ['operator', 'sdk'] },
  // An operator is one file: it imports the kit and libraries, never another operator.
  { name: 'operator', dir: 'operators', mayImport: ['sdk', 'lib', 'lib/core', 'native', 'schemas'], forbiddenPackages: OPERATOR_FORBIDDEN },
  {
    name: 'pipelines',
    dir: 'pipelines',
    mayImport: ['pipelines', 'registry', 'operator', 'sdk', 'lib', 'lib/core', 'native', 'schemas'],
    forbiddenPackages: ['kafkajs', '@platformatic/kafka'],
  },
];

export function layerOf(file: string, layers: readonly Layer[] = LAYERS): Layer | undefined {
  return layers.find((l) => file === l.dir || file.startsWith(`${l.dir}/`));
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The specifiers a TypeScript file imports or re-exports (static and dynamic). */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) out.push((m[1] ?? m[2])!);
  return out;
}

/**
 * Every import of `files` (path relative to the root → text) that the table does not allow, as
 * `file: imports target (layer A may import only …)`.
 */
export function importViolations(files: ReadonlyMap<string, string>, layers: readonly Layer[] = LAYERS): string[] {
  const problems: string[] = [];
  for (const [file, text] of files) {
    const from = layerOf(file, layers);
    if (!from) continue;
    for (const spec of importsOf(text)) {
      if (spec.startsWith('.')) {
        const target = relative('.', resolve('/', dirname(file), spec)).replace(/^(\.\.\/)+/, '');
        const to = layerOf(target.replace(/^\//, ''), layers);
        if (!to) {
          problems.push(`${file}: imports ${spec}, outside every layer (${from.name} may import only ${from.mayImport.join(', ')})`);
        } else if (!from.mayImport.includes(to.name) || (from.name === 'operator' && to.name === 'operator')) {
          problems.push(`${file}: imports ${spec} (layer ${to.name}); layer ${from.name} may import only ${from.mayImport.join(', ')}`);
        }
      } else {
        const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (from.forbiddenPackages?.includes(pkg))
          problems.push(`${file}: imports the package ${pkg}, which layer ${from.name} must not use`);
      }
    }
  }
  return problems;
}

/** Every .ts file of the layers' folders, relative to `root`, with its text. */
export function sourceFiles(root: string, layers: readonly Layer[] = LAYERS): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'target') walk(path);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) files.set(path, readFileSync(join(root, path), 'utf8'));
    }
  };
  for (const top of new Set(layers.map((l) => l.dir.split('/')[0]!))) walk(top);
  return files;
}
