// The decode thread (see decode-thread.ts): hashes a data file's bytes and decodes them with
// parquet-wasm into an Arrow IPC stream, which it hands back by moving its buffer. Plain JavaScript
// with two imports, so the thread starts in milliseconds and holds little memory. Keep the decoding
// options in step with lib/io/parquet.ts (parquetToIpc, unreadableParquet).
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import * as pw from 'parquet-wasm';

const PARQUET_BATCH_ROWS = 65536;

parentPort.on('message', ({ id, bytes, hash }) => {
  const sha256 = hash ? createHash('sha256').update(bytes).digest('hex') : undefined;
  let ipc;
  try {
    ipc = pw.readParquet(bytes, { batchSize: PARQUET_BATCH_ROWS }).intoIPCStream();
  } catch (err) {
    parentPort.postMessage({ id, sha256, unreadable: `not a readable Parquet file (${err instanceof Error ? err.message : String(err)})` });
    return;
  }
  parentPort.postMessage({ id, sha256, ipc }, [ipc.buffer]);
});
