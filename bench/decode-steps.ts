/**
 * Where decoding a dataset's Parquet files goes, step by step, on this thread: the sha256 of the
 * bytes and the native decoder into column batches (what pipelines/io/decode-file.ts runs on the
 * thread pool), and for comparison parquet-wasm's path (decompression, decoding, the Arrow IPC
 * stream; apache-arrow's parse of the stream; the column batches of the schema), each timed apart.
 * Best of --runs over the files of one dataset, read into memory first.
 *
 *   node --import tsx bench/decode-steps.ts DATA_FOLDER [--dataset quotes] [--schema Quote] [--runs 5]
 *
 * npm run bench's data folders are under $TMPDIR/alpha-factory-bench/.
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import * as arrow from 'apache-arrow';
import { columnBatchOf } from '../lib/io/arrow-columns.ts';
import { nativeColumnBatches } from '../lib/io/native-columns.ts';
import { readDataFileBytes } from '../lib/io/data-file.ts';
import { PARQUET_BATCH_ROWS, parquetToIpc } from '../lib/io/parquet.ts';
import { readManifest } from '../pipelines/data/manifest.ts';
import type { SchemaName } from '../schemas/types.generated.ts';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dataset: { type: 'string', default: 'quotes' },
    schema: { type: 'string', default: 'Quote' },
    runs: { type: 'string', default: '5' },
  },
});
/** A one-line refusal, as the other benches give (no stack trace). */
function refuse(message: string): never {
  process.stderr.write(`alpha bench decode-steps: ${message}\n`);
  process.exit(2);
}
const dir = positionals[0] ?? refuse('expected DATA_FOLDER [--dataset quotes] [--schema Quote] [--runs 5]');
const runs = Number(args.runs);
if (!Number.isInteger(runs) || runs < 1) refuse(`--runs '${args.runs}': expected an integer >= 1`);
let manifest: ReturnType<typeof readManifest>;
try {
  manifest = readManifest(dir);
} catch (err) {
  refuse(err instanceof Error ? err.message : String(err));
}
const entry =
  manifest.datasets[args.dataset] ??
  refuse(`${dir}: no dataset "${args.dataset}" (datasets: ${Object.keys(manifest.datasets).join(', ')})`);
const schema = (entry.schema ?? args.schema) as SchemaName;
// Files inside the folder only, as the replay reads them (readDataFileBytes refuses a path that leaves it).
const files = entry.files.map((f) => {
  try {
    return readDataFileBytes(dir, f);
  } catch (err) {
    return refuse(err instanceof Error ? err.message : String(err));
  }
});

const steps = ['sha256', 'native → column batches', 'parquet-wasm → IPC', 'IPC → Arrow table', 'Arrow → column batches'] as const;
const native = new Set<string>(['sha256', 'native → column batches']);
const best = new Map<string, number>(steps.map((s) => [s, Infinity]));
let rows = 0;
for (let r = 0; r < runs; r++) {
  const ms = new Map<string, number>(steps.map((s) => [s, 0]));
  rows = 0;
  const timed = <T>(step: (typeof steps)[number], f: () => T): T => {
    const t = performance.now();
    const out = f();
    ms.set(step, ms.get(step)! + performance.now() - t);
    return out;
  };
  for (const bytes of files) {
    timed('sha256', () => createHash('sha256').update(bytes).digest('hex'));
    const batches = timed('native → column batches', () => nativeColumnBatches(bytes, schema, PARQUET_BATCH_ROWS));
    if (!batches) refuse('the native decoder did not take a file (a schema with nested or nullable fields?)');
    const ipc = timed('parquet-wasm → IPC', () => parquetToIpc(bytes));
    const table = timed('IPC → Arrow table', () => arrow.tableFromIPC(ipc));
    rows += timed('Arrow → column batches', () => table.batches.reduce((n, b) => n + columnBatchOf(b, schema).length, 0));
  }
  for (const s of steps) best.set(s, Math.min(best.get(s)!, ms.get(s)!));
}
const total = (which: (s: string) => boolean): number => steps.filter(which).reduce((t, s) => t + best.get(s)!, 0);
const line = (label: string, ms: number): void => console.log(`  ${label.padEnd(30)} ${ms.toFixed(1).padStart(8)} ms`);
console.log(`${rows.toLocaleString('en-US')} rows of ${args.dataset} in ${files.length} files (${dir}), best of ${args.runs} per step`);
for (const s of steps) line(s, best.get(s)!);
const hashAnd = (what: string, ms: number): void =>
  console.log(`  ${`sha256 + ${what}`.padEnd(30)} ${ms.toFixed(1).padStart(8)} ms = ${(rows / ms / 1e3).toFixed(2)}M rows/s`);
hashAnd(
  'native',
  total((s) => native.has(s)),
);
hashAnd(
  'parquet-wasm path',
  total((s) => s === 'sha256' || !native.has(s)),
);
