/**
 * One print given twice at different ts_known in a trades file: the same trade (symbol, id and
 * version) with every field but ts_known and seq equal. A correction is a new version of the trade
 * (docs/data.md), so this is the print delivered again, which bars would count twice. Two rows of one
 * id and version that differ elsewhere are left alone (the lake takes the later ts_known as the latest
 * of a version), and the same print at one ts_known is the replay's dead letter (operators/sdk/replay.ts).
 */
import type { ColumnBatch } from '../../lib/core/column-batch.ts';
import { isoMicros } from '../../lib/core/instant.ts';
import type { Trade } from '../../schemas/types.generated.ts';

/** Row `i` of batch `b`, as one number (batches hold fewer than 2^32 rows). */
const SPAN = 2 ** 32;

/**
 * Why the file's trades hold one print twice at two ts_known (the first such pair, rows numbered
 * from 0 in the file), or undefined.
 */
export function repeatedPrint(batches: readonly ColumnBatch<Trade>[]): string | undefined {
  // Trade ids restart per symbol at many venues: keyed by id alone, each row was compared with every
  // other symbol's trade of that id (200,000 trades of 2,000 symbols took 90 s).
  const bySymbol = new Map<string, TradeIds>();
  /** Per batch, the rows of the file before it. */
  const before: number[] = [];
  const rowOf = (at: number): number => {
    const b = Math.floor(at / SPAN);
    return before[b]! + (at % SPAN) - batches[b]!.start;
  };
  let rows = 0;
  for (let b = 0; b < batches.length; b++) {
    const batch = batches[b]!;
    before.push(rows);
    rows += batch.length;
    const { id, symbol } = batch.columns;
    /** Each symbol's ids by this batch's dictionary codes (a batch has its own dictionary). */
    const tables: (TradeIds | undefined)[] = new Array(symbol.dictionary.length);
    for (let i = batch.start; i < batch.end; i++) {
      const code = symbol.codes[i]!;
      let ids = tables[code];
      if (ids === undefined) {
        const name = symbol.dictionary[code]!;
        ids = bySymbol.get(name);
        if (ids === undefined) bySymbol.set(name, (ids = { first: new Map(), more: new Map() }));
        tables[code] = ids;
      }
      const at = b * SPAN + i;
      const key = id[i]!;
      const seen = ids.first.get(key);
      if (seen === undefined) {
        ids.first.set(key, at);
        continue;
      }
      const others = ids.more.get(key);
      for (const earlier of others ? [seen, ...others] : [seen]) {
        const twice = samePrint(batches, earlier, at);
        if (twice)
          return `rows ${rowOf(earlier)} and ${rowOf(at)} give the same print (${twice}) at ts_known ${isoMicros(tsKnown(batches, earlier))} and ${isoMicros(tsKnown(batches, at))}: expected a correction to be a new version of the trade, not the print again`;
      }
      if (others) others.push(at);
      else ids.more.set(key, [at]);
    }
  }
  return undefined;
}

/** One symbol's trades by id: the first row of each, and the rows after it with that id (its corrections, say). */
interface TradeIds {
  first: Map<number, number>;
  more: Map<number, number[]>;
}

const tsKnown = (batches: readonly ColumnBatch<Trade>[], at: number): number =>
  batches[Math.floor(at / SPAN)]!.columns.ts_known[at % SPAN]!;

/** The print of rows `x` and `y` (of one trade id) when they give it at two ts_known, all else equal. */
function samePrint(batches: readonly ColumnBatch<Trade>[], x: number, y: number): string | undefined {
  const a = batches[Math.floor(x / SPAN)]!.columns;
  const b = batches[Math.floor(y / SPAN)]!.columns;
  const i = x % SPAN;
  const j = y % SPAN;
  const text = (c: { codes: Int32Array; dictionary: readonly string[] }, k: number): string => c.dictionary[c.codes[k]!]!;
  if (
    a.ts_known[i] === b.ts_known[j] ||
    a.version[i] !== b.version[j] ||
    a.ts_event[i] !== b.ts_event[j] ||
    a.price[i] !== b.price[j] ||
    a.size[i] !== b.size[j] ||
    text(a.symbol, i) !== text(b.symbol, j) ||
    text(a.aggressor, i) !== text(b.aggressor, j)
  )
    return undefined;
  return `${text(a.symbol, i)} trade ${a.id[i]} version ${a.version[i]}, ts_event ${isoMicros(a.ts_event[i]!)}, price ${a.price[i]}, size ${a.size[i]}`;
}
