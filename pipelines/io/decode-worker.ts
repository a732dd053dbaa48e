/**
 * The decode thread's loop: decodes each requested file (decode-file.ts) and posts its column batches
 * back, moving their buffers rather than copying them.
 */
import { parentPort } from 'node:worker_threads';
import { type DecodeRequest, decodeFile } from './decode-file.ts';

parentPort!.on('message', ({ id, request }: { id: number; request: DecodeRequest }) => {
  const decoded = decodeFile(request);
  const buffers = new Set<ArrayBuffer>();
  const batches = decoded.batches?.map((b) => {
    for (const column of Object.values(b.columns as Record<string, unknown>)) {
      const array = ArrayBuffer.isView(column) ? column : (column as { codes?: unknown }).codes;
      if (ArrayBuffer.isView(array) && array.buffer instanceof ArrayBuffer) buffers.add(array.buffer);
    }
    return { length: b.length, columns: b.columns };
  });
  parentPort!.postMessage({ id, sha256: decoded.sha256, rows: decoded.rows, failure: decoded.failure, batches }, [...buffers]);
});
