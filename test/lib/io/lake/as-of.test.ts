/**
 * The as-of property: for random histories of inserts and corrections, appended in random batches
 * (each batch a table version, in an order unrelated to ts_known), the lake's answer at knowledge time
 * T — and at T on an earlier table version — equals a reconstruction by brute force: of the rows known
 * by T (ts_known ≤ T) in the versions up to N, the one with the highest `version` of each id (then the
 * later ts_known), then the records of one symbol and of one date of ts_event when the query asks. DuckDB answers every T; delta-rs (lake.py read --as-of) answers one T per history.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendFiles } from '../../../../lib/io/lake/append.ts';
import { createTable } from '../../../../lib/io/lake/create.ts';
import { tablePath } from '../../../../lib/io/lake/layout.ts';
import { queryLake } from '../../../../lib/io/lake/query.ts';
import { writeRecordsParquet } from '../../../../lib/io/parquet.ts';
import { formatDate } from '../../../../lib/core/dates.ts';
import { HOUR, MINUTE } from '../../../../lib/core/time.ts';
import type { Trade } from '../../../../schemas/types.generated.ts';
import { asObjects, deltaRsRows, sortTrades, tempLake, tradeRow } from '../../../helpers/lake.ts';

const lake = tempLake('lake-as-of');
afterAll(() => lake.remove());

const START = Date.UTC(2024, 0, 2, 20, 0) * 1000; // four hours before midnight: histories cross dates
const SYMBOLS = ['AAA', 'BBB', 'CCC'];

/** A record: when it happened, when it was first known, and the delays of its corrections. */
const recordArb = fc.record({
  event: fc.integer({ min: 0, max: 6 * HOUR }),
  delay: fc.integer({ min: 0, max: 5 * MINUTE }),
  symbol: fc.constantFrom(...SYMBOLS),
  corrections: fc.array(fc.integer({ min: 1, max: 3 * HOUR }), { maxLength: 3 }),
});

const historyArb = fc.record({
  records: fc.array(recordArb, { minLength: 1, maxLength: 40 }),
  batches: fc.integer({ min: 1, max: 3 }),
  // Which batch each row goes to, and the T's to ask about (thousandths of the history's span).
  batchOf: fc.array(fc.nat(), { minLength: 200, maxLength: 200 }),
  times: fc.array(fc.integer({ min: 0, max: 1050 }), { minLength: 3, maxLength: 3 }),
  symbolFilter: fc.option(fc.constantFrom(...SYMBOLS), { nil: undefined }),
  // --from = --to = one UTC date of ts_event (the histories cross midnight).
  dateFilter: fc.option(fc.constantFrom('2024-01-02', '2024-01-03'), { nil: undefined }),
});

type History = typeof historyArb extends fc.Arbitrary<infer T> ? T : never;

/** The rows of a history: each record's original (version 1) and its corrections (versions 2, 3, …), known later each. */
function rowsOf(h: History): Trade[] {
  const rows: Trade[] = [];
  let seq = 0;
  h.records.forEach((r, i) => {
    let known = START + r.event + r.delay;
    const base = { ts_event: START + r.event, symbol: r.symbol, id: i + 1, aggressor: 'BUY' as const };
    rows.push({ ...base, ts_known: known, seq: ++seq, version: 1, price: 100 + i, size: 100 });
    r.corrections.forEach((d, k) => {
      known += d;
      rows.push({ ...base, ts_known: known, seq: ++seq, version: k + 2, price: 100 + i + (k + 1) / 100, size: 100 * (k + 2) });
    });
  });
  return rows;
}

/** What was known at T: the latest version of each id among `rows` with ts_known ≤ T, then the symbol and date filters. */
function bruteForce(rows: readonly Trade[], t: number, symbol: string | undefined, date?: string): Record<string, unknown>[] {
  const latest = new Map<number, Trade>();
  for (const r of rows) {
    if (r.ts_known > t) continue;
    const have = latest.get(r.id);
    if (!have || r.version > have.version || (r.version === have.version && r.ts_known > have.ts_known)) latest.set(r.id, r);
  }
  const chosen = [...latest.values()].filter(
    (r) => (symbol === undefined || r.symbol === symbol) && (date === undefined || formatDate(r.ts_event) === date),
  );
  return sortTrades(chosen.map(tradeRow));
}

describe('as-of reads of the lake', () => {
  it('equal a brute-force reconstruction, for random histories, versions and T', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(historyArb, async (h) => {
        const dir = join(lake.dir, `run${++run}`);
        await createTable(dir, 'trades', 'Trade');
        const rows = rowsOf(h);
        const batches: Trade[][] = Array.from({ length: h.batches }, () => []);
        rows.forEach((r, i) => batches[h.batchOf[i % h.batchOf.length]! % h.batches]!.push(r));
        for (const [b, batch] of batches.entries()) {
          const file = join(dir, `batch${b}.parquet`);
          writeRecordsParquet(file, 'Trade', batch as unknown as Record<string, unknown>[]);
          await appendFiles(dir, 'trades', [file]);
        }
        const first = Math.min(...rows.map((r) => r.ts_known));
        const span = Math.max(...rows.map((r) => r.ts_known)) - first;
        // Each T: a fraction of the span, or exactly a row's ts_known (the boundary ≤).
        const times = h.times.map((f, i) =>
          i === 0 ? rows[h.batchOf[0]! % rows.length]!.ts_known : first - 1 + Math.round((f / 1000) * span),
        );
        const table = tablePath(dir, 'trades', true).dir;
        for (const [i, t] of times.entries()) {
          // The table after all batches, then after fewer (time travel); an empty batch adds no commit.
          const k = h.batches - (i % h.batches);
          const version = batches.slice(0, k).filter((b) => b.length > 0).length;
          const known = batches.slice(0, k).flat();
          const q = {
            lake: dir,
            dataset: 'trades',
            asOf: t,
            version,
            ...(h.symbolFilter ? { symbols: [h.symbolFilter] } : {}),
            ...(h.dateFilter ? { from: h.dateFilter, to: h.dateFilter } : {}),
          };
          const got = sortTrades(asObjects(await queryLake(q)));
          expect(got).toEqual(bruteForce(known, t, h.symbolFilter, h.dateFilter));
        }
        // delta-rs, at the latest version, at the middle T.
        expect(deltaRsRows(table, { asOf: times[1]! })).toEqual(bruteForce(rows, times[1]!, undefined));
      }),
      { seed: 20241202, numRuns: 8, endOnFailure: true },
    );
  });
});
