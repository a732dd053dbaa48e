/**
 * Decoding data files off the main thread: one worker per process (the machine's second core) reads,
 * hashes and decodes Parquet into column batches while the graph runs on the batches already decoded,
 * and hands them over without a copy (their buffers move). Off unless `ALPHA_DECODE_THREAD=1`: see
 * docs/benchmarks.md for when it pays.
 */
import { Worker } from 'node:worker_threads';
import { ColumnBatch, type ColumnsOf } from '../../lib/core/column-batch.ts';
import { type DecodedFile, type DecodeRequest, decodeFile } from './decode-file.ts';

interface Reply {
  id: number;
  sha256?: string;
  rows?: number;
  failure?: DecodedFile['failure'];
  batches?: { length: number; columns: ColumnsOf<unknown> }[];
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve(d: DecodedFile): void; reject(e: unknown): void }>();

function decodeWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./decode-worker.mjs', import.meta.url));
  w.unref(); // an idle decoder never holds the process open
  w.on('message', (reply: Reply) => {
    const waiting = pending.get(reply.id);
    if (!waiting) return;
    pending.delete(reply.id);
    if (pending.size === 0) w.unref();
    waiting.resolve({
      sha256: reply.sha256,
      rows: reply.rows,
      failure: reply.failure,
      batches: reply.batches?.map((b) => ColumnBatch.of(b.length, b.columns)),
    });
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

/** Decodes one data file: on the decode thread when `ALPHA_DECODE_THREAD=1`, else in-process. */
export function decodeOffThread(request: DecodeRequest): Promise<DecodedFile> {
  if (process.env.ALPHA_DECODE_THREAD !== '1') return Promise.resolve(decodeFile(request));
  const w = decodeWorker();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref(); // work in flight: wait for it
    w.postMessage({ id, request });
  });
}
