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

/** `symbols` symbols trading `per` times each, ids 1…per within each symbol (restarting) or unique in the file. */
function market(symbols: number, per: number, restart: boolean): ColumnBatch<Trade> {
  const rows: Trade[] = [];
  for (let k = 0; k < per; k++)
    for (let s = 0; s < symbols; s++) rows.push(trade(`S${s}`, T0 + rows.length + 1, restart ? k + 1 : rows.length + 1, { price: 10 + s }));
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
  });

  it('takes about as long when every symbol restarts its ids as when ids are unique in the file', () => {
    // Keyed by id alone, each trade was compared with every other symbol's of its id: 200,000 trades
    // of 2,000 symbols took 90 s. Here 500 symbols: best of three each, as a ratio.
    const restarting = market(500, 100, true);
    const unique = market(500, 100, false);
    let a = Number.POSITIVE_INFINITY;
    let b = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 3; round++) {
      a = Math.min(a, timed(restarting));
      b = Math.min(b, timed(unique));
    }
    expect(a / b).toBeLessThan(5);
  }, 60_000);
});
