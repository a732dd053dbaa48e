/**
 * The generator's book beyond the top (`alpha data generate --depth N`): for each quote, levels
 * 2…N of each side, consistent with it. Each level is one or two ticks further from the touch than
 * the one before (bids below the bid, asks above the ask), and shows 100 to 3,000 shares, more on
 * average the deeper it is (as on real books, where size rests away from the touch). A bid level
 * that would be priced below one tick is not written: that side of the picture has fewer levels.
 * The rows are BookDepth records (schemas/BookDepth.avsc), one file per day beside the quotes, in
 * the quotes' order: a quote's picture has the quote's ts_event and ts_known, its bids then its asks.
 */
import { createHash } from 'node:crypto';
import type { Rng } from '../../lib/core/rng.ts';
import { tableFromColumns } from '../../lib/io/avro-arrow.ts';
import { writeParquetFile } from '../../lib/io/parquet.ts';

const TICK = 0.01;

/** A day's levels: quote k's rows are `start[k] … start[k + 1] − 1`. */
export interface DepthRows {
  start: number[];
  side: number[];
  level: number[];
  price: number[];
  size: number[];
}

export const newDepthRows = (): DepthRows => ({ start: [0], side: [], level: [], price: [], size: [] });

/** Appends the picture of the next quote (touch `bid`/`ask`, in cents exactly) with levels 2…`depth`. */
export function depthLevels(rows: DepthRows, rng: Rng, depth: number, bid: number, ask: number): void {
  for (const [side, touch, away] of [
    [0, bid, -1],
    [1, ask, 1],
  ] as const) {
    let ticks = 0;
    for (let level = 2; level <= depth; level++) {
      ticks += 1 + rng.int(2);
      const size = 100 * (1 + rng.int(10 + 5 * level));
      const price = Math.round((touch + away * ticks * TICK) * 100) / 100;
      if (price < TICK) continue;
      rows.side.push(side);
      rows.level.push(level);
      rows.price.push(price);
      rows.size.push(size);
    }
  }
  rows.start.push(rows.side.length);
}

/**
 * Writes a day's levels in the quotes' row order `order` (the quotes' columns `q` give each picture
 * its times and symbol); returns the next seq, the rows written and the file's sha256.
 */
export function writeDepth(
  path: string,
  rows: DepthRows,
  order: Uint32Array,
  q: Record<string, number[]>,
  symbols: string[],
  seq0: number,
): { seq: number; rows: number; sha256: string } {
  const n = rows.side.length;
  const at = new Uint32Array(n);
  const quoteOf = new Uint32Array(n);
  let k = 0;
  for (const quote of order) {
    for (let r = rows.start[quote]!; r < rows.start[quote + 1]!; r++) {
      at[k] = r;
      quoteOf[k++] = quote;
    }
  }
  const fromQuote = (name: string): Float64Array => Float64Array.from(quoteOf, (i) => q[name]![i]!);
  const fromRow = (values: number[]): Float64Array => Float64Array.from(at, (i) => values[i]!);
  const seq = Float64Array.from(at, (_, j) => seq0 + j + 1);
  const table = tableFromColumns(
    'BookDepth',
    {
      ts_event: fromQuote('ts_event'),
      ts_known: fromQuote('ts_known'),
      symbol: { indices: Int32Array.from(quoteOf, (i) => q['sym']![i]!), dictionary: symbols },
      seq,
      side: { indices: Int32Array.from(at, (i) => rows.side[i]!), dictionary: ['BID', 'ASK'] },
      level: Int32Array.from(at, (i) => rows.level[i]!),
      price: fromRow(rows.price),
      size: fromRow(rows.size),
    },
    n,
  );
  return { seq: seq0 + n, rows: n, sha256: sha256Of(writeParquetFile(path, table)) };
}

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
