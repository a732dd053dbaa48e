// The Parquet write thread (see parquet-write-thread.ts): encodes an Arrow IPC stream as Parquet with
// parquet-wasm and writes the file. Plain JavaScript with few imports, so the thread starts in
// milliseconds. Keep the writer's properties in step with lib/io/parquet.ts (parquetBytes): the same
// table must give the same bytes on either thread.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import * as pw from 'parquet-wasm';

parentPort.on('message', ({ id, path, ipc }) => {
  try {
    const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setCreatedBy('alpha-factory').build();
    const bytes = pw.writeParquet(pw.Table.fromIPCStream(ipc), props);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    parentPort.postMessage({ id });
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err), code: err?.code });
  }
});
