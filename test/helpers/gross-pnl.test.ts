/** The sentinel's judge, on fills written by hand: expected PnL from each mark's mid found by a plain scan of the quotes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MINUTE } from '../../lib/core/time.ts';
import { readParquetFile, writeRecordsParquet } from '../../lib/io/parquet.ts';
import type { DatasetManifest } from '../../pipelines/data/manifest.ts';
import { dataset, tempDir } from './datasets.ts';
import { grossPnl } from './gross-pnl.ts';

describe('grossPnl', () => {
  it('marks the positions held to the mids, from the first mark at or after each fill, ignoring fill prices and fees', async () => {
    const data = await dataset({ symbols: 2, days: 2, seed: 3 });
    const manifest = JSON.parse(readFileSync(join(data, 'manifest.json'), 'utf8')) as DatasetManifest;
    const quotes = manifest.datasets['quotes']!.files.flatMap((file) => {
      const t = readParquetFile(join(data, file));
      const ts = t.getChild('ts_event')!.toArray() as BigInt64Array;
      const sym = t.getChild('symbol')!.toArray() as string[];
      const bid = t.getChild('bid')!.toArray() as Float64Array;
      const ask = t.getChild('ask')!.toArray() as Float64Array;
      return Array.from(ts, (x, i) => ({ ts: Number(x), symbol: sym[i]!, mid: (bid[i]! + ask[i]!) / 2 }));
    });
    // The mid of the symbol's latest quote at or before `at`.
    const mid = (symbol: string, at: number): number =>
      quotes.filter((q) => q.symbol === symbol && q.ts <= at).reduce((a, b) => (b.ts >= a.ts ? b : a)).mid;
    const [d1, d2] = manifest.sessions;
    const fill = (ts: number, symbol: string, side: string, qty: number) => ({
      ts_event: ts,
      ts_known: ts,
      fill_id: `f${ts}`,
      order_id: `o${ts}`,
      symbol,
      side,
      qty,
      price: 1e6, // absurd on purpose: a fill price must not enter
      fee: 1e6,
      liquidity: 'TAKER',
    });
    const run = tempDir('gross-pnl');
    writeRecordsParquet(join(run, 'fills.parquet'), 'Fill', [
      fill(d1!.open + 60.5 * MINUTE, 'SYM000', 'BUY', 100), // counts from the mark at minute 61
      fill(d1!.open + 100 * MINUTE, 'SYM001', 'SELL', 300), // on a mark: counts from it
      fill(d2!.open + 10.25 * MINUTE, 'SYM000', 'SELL', 100), // flat again from the mark at minute 11 of day 2
    ]);
    const a = d1!.open + 61 * MINUTE;
    const b = d1!.open + 100 * MINUTE;
    const c = d2!.open + 11 * MINUTE;
    const expected = [
      100 * (mid('SYM000', d1!.close) - mid('SYM000', a)) - 300 * (mid('SYM001', d1!.close) - mid('SYM001', b)),
      100 * (mid('SYM000', c) - mid('SYM000', d1!.close)) - 300 * (mid('SYM001', d2!.close) - mid('SYM001', d1!.close)),
    ];
    const { daily, t } = grossPnl(data, run);
    expect(daily[0]).toBeCloseTo(expected[0]!, 6);
    expect(daily[1]).toBeCloseTo(expected[1]!, 6);
    const mean = (expected[0]! + expected[1]!) / 2;
    const sd = Math.abs(expected[0]! - expected[1]!) / Math.SQRT2;
    expect(t).toBeCloseTo((mean / sd) * Math.SQRT2, 9);
  });
});
