/**
 * Writing Parquet files beside the graph: the run's output tables are built on this thread (from the
 * records the sinks kept) and encoded and written on a worker (parquet-write-worker.mjs), so the
 * encoding of one file overlaps the building of the next. The bytes are those `writeParquetFile`
 * writes: the same writer, the same properties. A write that fails rejects with the error's message
 * (and its `code`, e.g. ENOSPC); a worker that dies rejects every write in flight.
 */
import { Worker } from 'node:worker_threads';
import * as arrow from 'apache-arrow';

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, { resolve(): void; reject(e: unknown): void }>();

function writeWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('./parquet-write-worker.mjs', import.meta.url));
  w.unref(); // an idle writer never holds the process open
  w.on('message', (reply: { id: number; error?: string; code?: string }) => {
    const waiting = pending.get(reply.id);
    if (!waiting) return;
    pending.delete(reply.id);
    if (pending.size === 0) w.unref();
    if (reply.error === undefined) waiting.resolve();
    else waiting.reject(Object.assign(new Error(reply.error), reply.code ? { code: reply.code } : {}));
  });
  const fail = (err: unknown): void => {
    worker = undefined;
    for (const waiting of pending.values()) waiting.reject(err);
    pending.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the Parquet write thread exited (code ${code})`)));
  worker = w;
  return w;
}

/** Writes `table` to `path` as Parquet on the write thread; settles when the file is written. */
export function writeParquetInBackground(path: string, table: arrow.Table): Promise<void> {
  const ipc = arrow.tableToIPC(table, 'stream');
  const w = writeWorker();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref(); // a write in flight: wait for it
    w.postMessage({ id, path, ipc }, [ipc.buffer as ArrayBuffer]);
  });
}
