/**
 * ExternalSort (lib/io/external-sort.ts): rows sorted by their first column, stably, through runs
 * spilled to a file and merged. Property: for any rows (keys with many ties), any run size and any
 * block size, the blocks hold exactly the rows of a stable in-memory sort (Array.prototype.sort is
 * stable), in blocks of the size asked for; the spill file is gone after remove().
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ExternalSort } from '../../../lib/io/external-sort.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-external-sort-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Every row of the blocks, as [key, position added]. */
function drain(sort: ExternalSort, blockRows: number): { rows: number[][]; sizes: number[] } {
  const rows: number[][] = [];
  const sizes: number[] = [];
  for (const b of sort.blocks(blockRows)) {
    sizes.push(b.n);
    for (let i = 0; i < b.n; i++) rows.push([b.cols[0]![i]!, b.cols[1]![i]!]);
  }
  return { rows, sizes };
}

describe('ExternalSort', () => {
  it('gives the rows of a stable sort by the first column, whatever the runs and the blocks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 3000 }),
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 1, max: 500 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 8 }),
        (keys, runRows, blockRows, chunks) => {
          const file = join(dir, `sort-${files++}.spill`);
          // mergeBytes 1: the smallest read buffers (256 rows), so long runs are read in several pieces.
          const sort = new ExternalSort(file, 2, runRows, 1);
          // Rows added in chunks of the sizes drawn, over and over: [key, position].
          for (let at = 0, c = 0; at < keys.length; c++) {
            const n = Math.min(chunks[c % chunks.length]!, keys.length - at);
            sort.add([Float64Array.from(keys.slice(at, at + n)), Float64Array.from({ length: n }, (_, i) => at + i)], n);
            at += n;
          }
          expect(sort.rows).toBe(keys.length);
          const { rows, sizes } = drain(sort, blockRows);
          sort.remove();
          const expected = keys.map((k, i) => [k, i]).sort((a, b) => a[0]! - b[0]!);
          expect(rows).toEqual(expected);
          // Full blocks but the last.
          expect(sizes.slice(0, -1).every((n) => n === blockRows)).toBe(true);
          expect(sizes.length).toBe(Math.ceil(keys.length / blockRows));
          expect(existsSync(file)).toBe(false);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('spills only once a run is full, and reads the runs back in pieces from the file', () => {
    const file = join(dir, 'big.spill');
    const n = 200_000;
    // Keys that step back every 1,000 rows, as a clock that is reset now and then.
    const keys = Float64Array.from({ length: n }, (_, i) => (i % 1000) * 7 + Math.floor(i / 50_000));
    const sort = new ExternalSort(file, 2, 30_000, 1 << 20);
    sort.add([keys, Float64Array.from({ length: n }, (_, i) => i)], n);
    expect(existsSync(file)).toBe(true);
    const { rows } = drain(sort, 65_536);
    sort.remove();
    expect(existsSync(file)).toBe(false);
    expect(rows.length).toBe(n);
    for (let i = 1; i < n; i++) {
      const [k0, p0] = rows[i - 1]!;
      const [k1, p1] = rows[i]!;
      if (!(k0! < k1! || (k0 === k1 && p0! < p1!))) throw new Error(`row ${i}: [${k1}, ${p1}] after [${k0}, ${p0}]`);
    }
  });

  it('writes no file for rows that fit one run, and gives nothing for no rows', () => {
    const file = join(dir, 'small.spill');
    const sort = new ExternalSort(file, 2, 10);
    sort.add([new Float64Array([3, 1, 3, 2]), new Float64Array([0, 1, 2, 3])], 4);
    expect(drain(sort, 3)).toEqual({
      rows: [
        [1, 1],
        [2, 3],
        [3, 0],
        [3, 2],
      ],
      sizes: [3, 1],
    });
    expect(existsSync(file)).toBe(false);
    sort.remove();
    expect(drain(new ExternalSort(file, 2, 10), 3)).toEqual({ rows: [], sizes: [] });
  });
});
