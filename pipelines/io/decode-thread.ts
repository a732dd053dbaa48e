/**
 * Decoding data files beside the graph: the worker (decode-worker.mjs, one per process, on the
 * machine's second core) hashes each file's bytes and runs parquet-wasm on them while the graph runs
 * on the file before; the Arrow stream comes back without a copy (its buffer moves). The path and file
 * checks and the read stay on this thread. Off unless `ALPHA_DECODE_THREAD=1`: on a 2-core machine it
 * gains ~5% on the Parquet bench, nothing measurable on the whole backtest, and costs 40–70 MB of RSS
 * (docs/benchmarks.md); it is the place for more cores or a faster decoder to pay.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { SchemaName } from '../../schemas/types.generated.ts';
import { columnsOfFile, type DecodedBytes, type DecodedFile, decodeBytes, readDataFile } from './decode-file.ts';

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve(d: DecodedBytes): void; reject(e: unknown): void }>();

function decodeWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./decode-worker.mjs', import.meta.url));
  w.unref(); // an idle decoder never holds the process open
  w.on('message', (reply: DecodedBytes & { id: number }) => {
    const waiting = pending.get(reply.id);
    if (!waiting) return;
    pending.delete(reply.id);
    if (pending.size === 0) w.unref();
    waiting.resolve(reply);
  });
  const fail = (err: unknown): void => {
    worker = undefined;
    for (const waiting of pending.values()) waiting.reject(err);
    pending.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the decode thread exited (code ${code})`)));
  worker = w;
  return w;
}

function decodeOnWorker(bytes: Uint8Array, hash: boolean): Promise<DecodedBytes> {
  const w = decodeWorker();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref(); // work in flight: wait for it
    w.postMessage({ id, bytes, hash }, [bytes.buffer as ArrayBuffer]);
  });
}

/** Whether files are decoded on the decode thread (`ALPHA_DECODE_THREAD=1`). */
export function decodesInBackground(): boolean {
  return process.env.ALPHA_DECODE_THREAD === '1';
}

/** Reads and decodes `file` of data folder `dir` into column batches of `schema`. */
export async function decodeDataFile(dir: string, file: string, schema: SchemaName, hash: boolean): Promise<DecodedFile> {
  const read = readDataFile(dir, file);
  if ('failure' in read) return { failure: read.failure };
  const path = join(dir, file);
  let decoded: DecodedBytes;
  try {
    decoded = decodesInBackground() ? await decodeOnWorker(read.bytes, hash) : decodeBytes(read.bytes, hash);
  } catch (err) {
    // The thread died (out of memory on a hostile file, say): the file is the one it was decoding.
    return { failure: { file: path, message: `could not be decoded: ${err instanceof Error ? err.message : String(err)}` } };
  }
  return columnsOfFile(path, decoded, schema);
}
