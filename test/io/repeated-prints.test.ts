/**
 * The trades file check for one print given again at a later ts_known (pipelines/io/repeated-prints.ts):
 * trade ids are per symbol, and the check's cost does not grow with how many symbols share an id.
 */
import { describe, expect, it } from 'vitest';
import { ColumnBatch } from '../../lib/core/column-batch.ts';
import { repeatedPrint } from '../../pipelines/io/repeated-prints.ts';
import type { Trade } from '../../schemas/types.generated.ts';

const T0 = 1_704_205_800_000_000;
const trade = (symbol: string, tsKnown: number, id: number, more: Partial<Trade> = {}): Trade =>
  ({
    ts_event: T0,
    ts_known: tsKnown,
    symbol,
    seq: tsKnown - T0,
    id,
    version: 1,
    price: 10,
    size: 100,
    aggressor: 'BUY',
    ...more,
  }) as Trade;

/**
 * `symbols` symbols trading `per` times each, their trade ids: 1…per within each symbol ('restart'),
 * unique in the file ('unique'), or one id for every trade of a symbol at a new version each ('one').
 */
function market(symbols: number, per: number, ids: 'restart' | 'unique' | 'one'): ColumnBatch<Trade> {
  const rows: Trade[] = [];
  for (let k = 0; k < per; k++)
    for (let s = 0; s < symbols; s++) {
      const id = ids === 'restart' ? k + 1 : ids === 'unique' ? rows.length + 1 : 7;
      rows.push(trade(`S${s}`, T0 + rows.length + 1, id, { price: 10 + s, version: ids === 'one' ? k + 1 : 1 }));
    }
  return ColumnBatch.fromRecords(rows);
}

const timed = (batch: ColumnBatch<Trade>): number => {
  const started = performance.now();
  expect(repeatedPrint([batch])).toBeUndefined();
  return performance.now() - started;
};

describe('repeatedPrint', () => {
  it('finds a print given again among other symbols that use the same trade id, and passes those', () => {
    const batch = ColumnBatch.fromRecords([trade('A', T0 + 1, 1), trade('B', T0 + 2, 1), trade('C', T0 + 3, 1), trade('A', T0 + 4, 1)]);
    expect(repeatedPrint([batch])).toMatch(/^rows 0 and 3 give the same print \(A trade 1 version 1, /);
    expect(repeatedPrint([ColumnBatch.fromRecords([trade('A', T0 + 1, 1), trade('B', T0 + 2, 1)])])).toBeUndefined();
    // Versions of one trade are corrections; the print of version 2 given again is caught.
    const versions = [
      trade('A', T0 + 1, 1),
      trade('A', T0 + 2, 1, { version: 2, size: 50 }),
      trade('A', T0 + 3, 1, { version: 3, size: 40 }),
    ];
    expect(repeatedPrint([ColumnBatch.fromRecords(versions)])).toBeUndefined();
    expect(repeatedPrint([ColumnBatch.fromRecords([...versions, trade('A', T0 + 4, 1, { version: 2, size: 50 })])])).toMatch(
      /^rows 1 and 3 give the same print \(A trade 1 version 2, /,
    );
    // The same print at one ts_known is the replay's dead letter, not this check's; a third copy later is.
    const twiceAtOnce = [trade('A', T0 + 1, 1), trade('A', T0 + 1, 1)];
    expect(repeatedPrint([ColumnBatch.fromRecords(twiceAtOnce)])).toBeUndefined();
    expect(repeatedPrint([ColumnBatch.fromRecords([...twiceAtOnce, trade('A', T0 + 5, 1)])])).toMatch(/^rows 0 and 2 /);
  });

  it('grows linearly with the rows when ids restart per symbol, or one id has every version', () => {
    // Keyed by id alone, each trade was compared with every other symbol's of its id: 200,000 trades
    // of 2,000 symbols took 90 s; compared with every earlier row of its id, 20,000 versions of one
    // trade took 72 s. Eight times the rows must take well under 64 times as long (linear: 8, and
    // about 6-12 here with the caches; both old ways: 64). Best of five at each size.
    const best = (batch: ColumnBatch<Trade>): number => Math.min(...[0, 1, 2, 3, 4].map(() => timed(batch)));
    const growth = (small: ColumnBatch<Trade>, large: ColumnBatch<Trade>): number => best(large) / best(small);
    expect(growth(market(50, 100, 'restart'), market(400, 100, 'restart'))).toBeLessThan(24);
    expect(growth(market(5, 1_000, 'one'), market(5, 8_000, 'one'))).toBeLessThan(24);
  }, 120_000);
});
