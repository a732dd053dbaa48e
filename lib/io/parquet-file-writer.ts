/**
 * A Parquet file written as its rows come, a row group at a time, for outputs too large to hold whole
 * (`alpha itch convert` of a market's day): parquet-wasm's streaming writer (`transformParquetStream`,
 * arrow-rs's AsyncArrowWriter: the crate and the settings of writeParquetFile), its bytes appended to
 * the file and hashed as they come out. Memory holds the row group being filled (in WebAssembly
 * memory) and one batch handed over, never the file.
 *
 * The bytes are the ones writeParquetFile writes for the same rows at once when every batch but the
 * last holds a whole number of PARQUET_STREAM_BATCH_ROWS rows: the writer cuts row groups of 2^20
 * rows and checks its page limits every 1,024 rows from each batch's start.
 *
 * @example
 * import type * as arrow from 'apache-arrow';
 * declare const table: arrow.Table; // rows of the file's schema
 * const w = openParquetFileWriter('out/quotes.parquet'); // a new file
 * await w.write(table); // as often as needed
 * const { sha256, rows } = await w.close();
 */
import { createHash } from 'node:crypto';
import { closeSync, openAsBlob, openSync, writeSync } from 'node:fs';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { writerProperties } from './parquet.ts';

/** Rows of every batch but the last for the bytes of writeParquetFile (a divisor of the writer's 2^20-row groups, a multiple of its 1,024-row steps). */
export const PARQUET_STREAM_BATCH_ROWS = 65_536;

export interface ParquetFileWriter {
  /** Appends the rows of `table` (the file's schema); resolves once the writer has taken them. */
  write(table: arrow.Table): Promise<void>;
  /** Ends the file (its footer written, the file closed): its sha256 and rows. Rejects when the file holds other rows than were written. */
  close(): Promise<{ sha256: string; rows: number }>;
  /** Gives up after a failure elsewhere: nothing more reaches the file, which the caller removes. */
  abort(): void;
}

/** Opens `path` (a new file: an existing one is an error) for writing; see the module's comment. */
export function openParquetFileWriter(path: string): ParquetFileWriter {
  const fd = openSync(path, 'wx');
  const hash = createHash('sha256');
  let rows = 0;
  let open = true;
  let failure: { error: unknown } | undefined;
  let controller!: ReadableStreamDefaultController<pw.RecordBatch>;
  let room: (() => void) | undefined;
  // One batch waits at most: the writer pulls the next when it has encoded the last.
  const input = new ReadableStream<pw.RecordBatch>(
    {
      start: (c) => {
        controller = c;
      },
      pull: () => {
        room?.();
        room = undefined;
      },
    },
    { highWaterMark: 1 },
  );
  let drained: Promise<void> | undefined;
  const drain = async (): Promise<void> => {
    const output = (await pw.transformParquetStream(input, writerProperties())) as ReadableStream<Uint8Array>;
    for await (const chunk of output) {
      if (!open) continue; // aborted: the descriptor is closed (and its number may be another file's now)
      try {
        for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at, chunk.length - at);
      } catch (err) {
        // The system's error names no file: this one is (`cannot write PATH: the disk is full …`).
        throw Object.assign(err as Error, { path });
      }
      hash.update(chunk);
    }
  };
  const fail = (error: unknown): void => {
    failure ??= { error };
    room?.();
  };

  return {
    async write(table) {
      if (!open) throw new Error(`${path}: written after close or abort`);
      const wasm = pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream'));
      try {
        for (const batch of wasm.recordBatches()) {
          while ((controller.desiredSize ?? 0) <= 0 && failure === undefined) await new Promise<void>((r) => (room = r));
          if (failure !== undefined) throw failure.error;
          rows += batch.numRows; // read before the writer takes the batch over
          controller.enqueue(batch);
          // The writer starts on its first batch (it takes the schema from it).
          drained ??= drain().catch(fail);
        }
      } finally {
        wasm.free();
      }
    },
    async close() {
      if (!open) throw new Error(`${path}: closed twice, or after abort`);
      if (drained === undefined) throw new Error(`${path}: no batch written (an empty table gives a file of no rows)`);
      controller.close();
      await drained;
      open = false;
      closeSync(fd);
      if (failure !== undefined) throw failure.error;
      // The streaming writer drops a batch it fails to write without a word: the footer tells.
      const file = await pw.ParquetFile.fromFile(await openAsBlob(path));
      const meta = file.metadata();
      const written = meta.fileMetadata().numRows();
      meta.free();
      file.free();
      if (written !== rows) throw new Error(`${path}: the Parquet writer wrote ${written} of ${rows} rows`);
      return { sha256: hash.digest('hex'), rows };
    },
    abort() {
      if (!open) return;
      open = false;
      closeSync(fd);
      // The writer finishes on its own (its bytes go nowhere); an error here is the input's, already closed.
      try {
        controller.close();
      } catch {}
    },
  };
}
