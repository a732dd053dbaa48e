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
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as arrow from 'apache-arrow';
import { columnBatchOf } from '../lib/io/arrow-columns.ts';
import { parquetToIpc } from '../lib/io/parquet.ts';
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
const dir = positionals[0];
if (!dir) throw new Error('usage: bench/decode-steps.ts DATA_FOLDER [--dataset quotes] [--schema Quote] [--runs 5]');
const entry = readManifest(dir).datasets[args.dataset];
if (!entry) throw new Error(`${dir}: no dataset "${args.dataset}"`);
const files = entry.files.map((f) => readFileSync(join(dir, f)));
const schema = args.schema as SchemaName;

const steps = ['sha256', 'parquet-wasm → IPC', 'IPC → Arrow table', 'Arrow → column batches'] as const;
const best = new Map<string, number>(steps.map((s) => [s, Infinity]));
let rows = 0;
for (let r = 0; r < Number(args.runs); r++) {
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
