/**
 * Where decoding a dataset's Parquet files goes, step by step, on this thread: the sha256 of the
 * bytes, parquet-wasm (decompression, decoding, the Arrow IPC stream), apache-arrow's parse of the
 * stream, and the column batches of the schema (pipelines/io/decode-file.ts's steps, timed apart).
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
import { parquetToIpc, readDataFileBytes } from '../lib/io/parquet.ts';
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

const steps = ['sha256', 'parquet-wasm → IPC', 'IPC → Arrow table', 'Arrow → column batches'] as const;
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
    const ipc = timed('parquet-wasm → IPC', () => parquetToIpc(bytes));
    const table = timed('IPC → Arrow table', () => arrow.tableFromIPC(ipc));
    rows += timed('Arrow → column batches', () => table.batches.reduce((n, b) => n + columnBatchOf(b, schema).length, 0));
  }
  for (const s of steps) best.set(s, Math.min(best.get(s)!, ms.get(s)!));
}
const total = steps.reduce((t, s) => t + best.get(s)!, 0);
console.log(`${rows.toLocaleString('en-US')} rows of ${args.dataset} in ${files.length} files (${dir}), best of ${args.runs} per step`);
for (const s of steps) console.log(`  ${s.padEnd(24)} ${best.get(s)!.toFixed(1).padStart(8)} ms`);
console.log(`  ${'all'.padEnd(24)} ${total.toFixed(1).padStart(8)} ms = ${(rows / total / 1e3).toFixed(2)}M rows/s`);
