/**
 * The Parquet write thread against the writer on this thread: the same table gives the same bytes,
 * writes started together all land, and a write that cannot be made rejects with the system's reason.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tableFromRecords } from '../../lib/io/avro-arrow.ts';
import { parquetBytes } from '../../lib/io/parquet.ts';
import { writeParquetInBackground } from '../../lib/io/parquet-write-thread.ts';
import type { PortfolioState } from '../../schemas/types.generated.ts';
import { tempDir } from '../helpers/datasets.ts';
import * as records from '../helpers/records.ts';

const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** Portfolio states with nested positions: the output whose encoding costs most. */
function states(n: number): PortfolioState[] {
  return Array.from({ length: n }, (_, i) =>
    records.portfolio(records.T0 + i, 1e6 - i, [
      ['A', i, 100.5],
      ['B', -2 * i, 99.25],
      ['C', 3 * i + 1, 12.125],
    ]),
  );
}

describe('the Parquet write thread', () => {
  it('writes the bytes the writer on this thread writes, for several files in flight at once', async () => {
    const dir = tempDir('write-thread');
    folders.push(dir);
    const tables = [
      [
        'fills.parquet',
        tableFromRecords('Fill', [records.fill('A', 'BUY', 10, 100.5), records.fill('B', 'SELL', 3, 99.25)] as unknown as Record<
          string,
          unknown
        >[]),
      ],
      ['equity.parquet', tableFromRecords('PortfolioState', states(500) as unknown as Record<string, unknown>[])],
      ['nested/empty.parquet', tableFromRecords('Order', [])],
    ] as const;
    await Promise.all(tables.map(([file, table]) => writeParquetInBackground(join(dir, file), table)));
    for (const [file, table] of tables) expect(readFileSync(join(dir, file)).equals(Buffer.from(parquetBytes(table)))).toBe(true);
  });

  it('rejects a write into a folder it may not write, with the reason and its code', async () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere: a path through a regular file fails for everyone.
      const dir = tempDir('write-thread');
      folders.push(dir);
      writeFileSync(join(dir, 'file'), 'x');
      await expect(writeParquetInBackground(join(dir, 'file', 'out.parquet'), tableFromRecords('Order', []))).rejects.toMatchObject({
        code: expect.stringMatching(/^(EEXIST|ENOTDIR)$/),
      });
      return;
    }
    const dir = tempDir('write-thread');
    folders.push(dir);
    mkdirSync(join(dir, 'locked'));
    chmodSync(join(dir, 'locked'), 0o500);
    await expect(writeParquetInBackground(join(dir, 'locked', 'out.parquet'), tableFromRecords('Order', []))).rejects.toMatchObject({
      code: 'EACCES',
    });
  });
});
