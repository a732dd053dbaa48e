/**
 * One print given twice at different ts_known in a trades file: the same trade (symbol, id and
 * version) with every field but ts_known and seq equal. A correction is a new version of the trade
 * (docs/data.md), so this is the print delivered again, which bars would count twice. Two rows of one
 * id and version that differ elsewhere are left alone (the lake takes the later ts_known as the latest
 * of a version), and the same print at one ts_known is the replay's dead letter (operators/sdk/replay.ts).
 *
 * One lookup per row, whatever the file holds: a trade id is first kept as a number; only an id met
 * again has its rows kept by a hash of their whole print. Comparing a row with every earlier row of its id took
 * 72 s for 20,000 rows of one id (a hostile file), and keying by id alone across symbols, whose ids
 * restart at many venues, 90 s for 200,000 trades of 2,000 symbols.
 */
import type { ColumnBatch } from '../../lib/core/column-batch.ts';
import { isoMicros } from '../../lib/core/instant.ts';
import type { Trade } from '../../schemas/types.generated.ts';

/** Row `i` of batch `b`, as one number (batches hold fewer than 2^32 rows). */
const SPAN = 2 ** 32;

/** One symbol's trades: the first row of each id, and, for ids met again, rows by a hash of their print. */
interface SymbolTrades {
  first: Map<number, number>;
  /** Ids whose first row is in `prints` too. */
  repeated: Set<number>;
  /** Rows by their print's hash (printHash); rows whose hashes collide share a bucket, told apart by their fields. */
  prints: Map<number, number[]>;
}

/**
 * Why the file's trades hold one print twice at two ts_known (the first such pair, rows numbered
 * from 0 in the file), or undefined.
 */
export function repeatedPrint(batches: readonly ColumnBatch<Trade>[]): string | undefined {
  const bySymbol = new Map<string, SymbolTrades>();
  /** Per batch, the rows of the file before it. */
  const before: number[] = [];
  let rows = 0;
  for (let b = 0; b < batches.length; b++) {
    const batch = batches[b]!;
    before.push(rows);
    rows += batch.length;
    const { id, symbol } = batch.columns;
    /** Each symbol's trades by this batch's dictionary codes (a batch has its own dictionary). */
    const tables: (SymbolTrades | undefined)[] = new Array(symbol.dictionary.length);
    for (let i = batch.start; i < batch.end; i++) {
      const code = symbol.codes[i]!;
      let trades = tables[code];
      if (trades === undefined) {
        const name = symbol.dictionary[code]!;
        trades = bySymbol.get(name);
        if (trades === undefined) bySymbol.set(name, (trades = { first: new Map(), repeated: new Set(), prints: new Map() }));
        tables[code] = trades;
      }
      const at = b * SPAN + i;
      const key = id[i]!;
      const seen = trades.first.get(key);
      if (seen === undefined) {
        trades.first.set(key, at);
        continue;
      }
      if (!trades.repeated.has(key)) {
        trades.repeated.add(key);
        trades.prints.set(printHash(batches, seen), [seen]);
      }
      const hash = printHash(batches, at);
      const bucket = trades.prints.get(hash);
      const earlier = bucket?.find((row) => samePrint(batches, row, at));
      if (earlier === undefined) {
        if (bucket) bucket.push(at);
        else trades.prints.set(hash, [at]);
      } else if (tsKnown(batches, earlier) !== tsKnown(batches, at)) {
        const row = (x: number): number => before[Math.floor(x / SPAN)]! + (x % SPAN) - batches[Math.floor(x / SPAN)]!.start;
        return `rows ${row(earlier)} and ${row(at)} give the same print (${shown(batches, at)}) at ts_known ${isoMicros(tsKnown(batches, earlier))} and ${isoMicros(tsKnown(batches, at))}: expected a correction to be a new version of the trade, not the print again`;
      }
    }
  }
  return undefined;
}

const columnsOf = (batches: readonly ColumnBatch<Trade>[], at: number) => batches[Math.floor(at / SPAN)]!.columns;
const text = (c: { codes: Int32Array; dictionary: readonly string[] }, k: number): string => c.dictionary[c.codes[k]!]!;
const tsKnown = (batches: readonly ColumnBatch<Trade>[], at: number): number => columnsOf(batches, at).ts_known[at % SPAN]!;

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer);
const mix = (h: number, x: number): number => {
  bits[0] = x;
  h = Math.imul(h ^ words[0]!, 0x9e3779b1);
  h = Math.imul(h ^ words[1]!, 0x85ebca77);
  return h ^ (h >>> 15);
};

/** A 32-bit hash of a row's print within its symbol (id, version, ts_event, price, size; not the aggressor, which samePrint compares). */
function printHash(batches: readonly ColumnBatch<Trade>[], at: number): number {
  const c = columnsOf(batches, at);
  const i = at % SPAN;
  return mix(mix(mix(mix(mix(0x811c9dc5, c.id[i]!), c.version[i]!), c.ts_event[i]!), c.price[i]!), c.size[i]!);
}

/** Whether rows `x` and `y` of one symbol give the same print: every field equal but ts_known and seq. */
function samePrint(batches: readonly ColumnBatch<Trade>[], x: number, y: number): boolean {
  const a = columnsOf(batches, x);
  const b = columnsOf(batches, y);
  const i = x % SPAN;
  const j = y % SPAN;
  return (
    a.id[i] === b.id[j] &&
    a.version[i] === b.version[j] &&
    a.ts_event[i] === b.ts_event[j] &&
    a.price[i] === b.price[j] &&
    a.size[i] === b.size[j] &&
    text(a.aggressor, i) === text(b.aggressor, j)
  );
}

function shown(batches: readonly ColumnBatch<Trade>[], at: number): string {
  const c = columnsOf(batches, at);
  const i = at % SPAN;
  return `${text(c.symbol, i)} trade ${c.id[i]} version ${c.version[i]}, ts_event ${isoMicros(c.ts_event[i]!)}, price ${c.price[i]}, size ${c.size[i]}`;
}
