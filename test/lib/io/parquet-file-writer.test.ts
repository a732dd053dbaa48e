/**
 * The streaming Parquet writer (lib/io/parquet-file-writer.ts) against writeParquetFile, which writes
 * a table at once: given batches of PARQUET_STREAM_BATCH_ROWS rows (the last shorter), a file of two
 * row groups comes out byte for byte the same, with the sha256 of those bytes; so does a file of no
 * rows. The writer refuses what would leave a file that looks written.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as arrow from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { tableFromColumns } from '../../../lib/io/avro-arrow.ts';
import { readParquetFile, writeParquetFile } from '../../../lib/io/parquet.ts';
import { openParquetFileWriter, PARQUET_STREAM_BATCH_ROWS } from '../../../lib/io/parquet-file-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-parquet-file-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_704_205_800_000_000;
const SYMBOLS = ['AAA', 'BBB', 'CCC', 'DDD'];

/** Trades of `n` rows: prices that repeat (dictionary pages) and some that do not (the dictionary gives up). */
function trades(n: number): arrow.Table {
  const ts = Float64Array.from({ length: n }, (_, i) => T0 + Math.floor(i / 3));
  const seq = Float64Array.from({ length: n }, (_, i) => i + 1);
  return tableFromColumns(
    'Trade',
    {
      ts_event: ts,
      ts_known: ts,
      symbol: { indices: Int32Array.from({ length: n }, (_, i) => (i * 7) % SYMBOLS.length), dictionary: SYMBOLS },
      seq,
      version: new Int32Array(n).fill(1),
      id: seq,
      price: Float64Array.from({ length: n }, (_, i) => (i < n / 2 ? 100 + (i % 50) / 100 : 100 + i / 1e6)),
      size: Float64Array.from({ length: n }, (_, i) => 100 * (1 + (i % 9))),
      aggressor: { indices: Int32Array.from({ length: n }, (_, i) => i % 3), dictionary: ['BUY', 'SELL', 'UNKNOWN'] },
    },
    n,
  );
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function streamed(path: string, table: arrow.Table, batchRows: number): Promise<{ sha256: string; rows: number }> {
  const w = openParquetFileWriter(path);
  for (let at = 0; at < Math.max(table.numRows, 1); at += batchRows) await w.write(table.slice(at, at + batchRows));
  return w.close();
}

describe('openParquetFileWriter', () => {
  it("writes writeParquetFile's bytes, row group by row group, from batches of PARQUET_STREAM_BATCH_ROWS", async () => {
    // Two row groups: the writer cuts them at 2^20 rows.
    const table = trades(2 ** 20 + 70_001);
    const whole = writeParquetFile(join(dir, 'whole.parquet'), table);
    const done = await streamed(join(dir, 'streamed.parquet'), table, PARQUET_STREAM_BATCH_ROWS);
    const bytes = readFileSync(join(dir, 'streamed.parquet'));
    expect(done).toEqual({ sha256: sha256(whole), rows: table.numRows });
    expect(sha256(bytes)).toBe(sha256(whole));
  });

  it('writes a table of no rows as writeParquetFile does: the schema, no row group', async () => {
    const empty = trades(0);
    const whole = writeParquetFile(join(dir, 'empty-whole.parquet'), empty);
    expect(await streamed(join(dir, 'empty.parquet'), empty, PARQUET_STREAM_BATCH_ROWS)).toEqual({ sha256: sha256(whole), rows: 0 });
    expect(readParquetFile(join(dir, 'empty.parquet')).numRows).toBe(0);
  });

  it('refuses an existing file, an end with nothing written, and a write after abort', async () => {
    expect(() => openParquetFileWriter(join(dir, 'whole.parquet'))).toThrow(/EEXIST/);
    const never = openParquetFileWriter(join(dir, 'never.parquet'));
    await expect(never.close()).rejects.toThrow(/no batch written/);
    const aborted = openParquetFileWriter(join(dir, 'aborted.parquet'));
    await aborted.write(trades(10));
    aborted.abort();
    await expect(aborted.write(trades(10))).rejects.toThrow(/after close or abort/);
    await expect(aborted.close()).rejects.toThrow(/closed twice, or after abort/);
    // The caller removes what an aborted writer leaves: no footer was written into it.
    expect(existsSync(join(dir, 'aborted.parquet'))).toBe(true);
    expect(() => readParquetFile(join(dir, 'aborted.parquet'))).toThrow(/not a readable Parquet file/);
  });
});
