/**
 * examples/depth-broker.yaml end to end: the default graph with the generated book depth replayed
 * into execution.book-broker backtests on a dataset made with `--depth`, and its takers walk the
 * book: an order filled at several prices at one instant paid, after the touch, only prices of the
 * depth picture in force on the side it took from. The same data through the default graph (no depth
 * input) never fills one order at two prices at one instant: the walk is the depth's doing.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readParquetFile } from '../../lib/io/parquet.ts';
import { readManifest } from '../../pipelines/data/manifest.ts';
import { type BacktestSummary, runBacktest } from '../../pipelines/runtime/backtest.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

const example = new URL('../../examples/depth-broker.yaml', import.meta.url).pathname;
const plainGraph = new URL('../../topology.yaml', import.meta.url).pathname;

interface FillRow {
  fill_id: string;
  order_id: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  qty: number;
  price: number;
  ts_event: number;
  liquidity: string;
}
interface CostRow {
  fill_id: string | null;
  impact: number;
}

/** Rows as plain objects; timestamps come as milliseconds with the microseconds in the fraction. */
const read = async <T>(dir: string, file: string): Promise<T[]> =>
  readParquetFile(join(dir, file))
    .toArray()
    .map((r) => r.toJSON() as T);

/** Orders filled at more than one price at one instant (a walk), each as its fills in order. */
function walks(fills: FillRow[]): FillRow[][] {
  const groups = new Map<string, FillRow[]>();
  for (const f of fills) {
    const key = `${f.order_id}@${Math.round(f.ts_event * 1000)}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}

let data: string;
let depthRun: { out: string; summary: BacktestSummary };
let plainRun: { out: string; summary: BacktestSummary };

beforeAll(async () => {
  data = await dataset({ symbols: 12, days: 4, seed: 3, depth: 5 });
  const a = tempDir('depth-run');
  depthRun = { out: a, summary: await runBacktest({ topologyFile: example, dataDir: data, outDir: a }) };
  const b = tempDir('depth-plain-run');
  plainRun = { out: b, summary: await runBacktest({ topologyFile: plainGraph, dataDir: data, outDir: b }) };
}, 120_000);

describe('examples/depth-broker.yaml on a generated dataset with depth', () => {
  it('backtests: orders and fills, and no depth row refused', () => {
    expect(depthRun.summary.orders).toBeGreaterThan(0);
    expect(depthRun.summary.fills).toBeGreaterThan(100);
    const reasons = Object.keys((depthRun.summary as unknown as { dead_letter_reasons: Record<string, number> }).dead_letter_reasons);
    expect(reasons.filter((r) => !r.startsWith('broker: reached the venue outside a session'))).toEqual([]);
  });

  it('walks the book: each fill after the first of a walk is at a level of the picture in force, before impact', async () => {
    const fills = await read<FillRow>(depthRun.out, 'fills.parquet');
    const impact = new Map((await read<CostRow>(depthRun.out, 'costs.parquet')).map((c) => [c.fill_id, c.impact]));
    // Each symbol and side's pictures: when known (µs) and their prices in cents, in ts_known order.
    const pictures = new Map<string, { known: number[]; prices: number[][] }>();
    for (const file of readManifest(data).datasets['depth']!.files) {
      // Column by column: hundreds of thousands of rows.
      const table = readParquetFile(join(data, file));
      const col = (c: string) => table.getChild(c)!.toArray() as ArrayLike<string | number | bigint>;
      const [symbol, side, level, price, known] = ['symbol', 'side', 'level', 'price', 'ts_known'].map(col);
      for (let i = 0; i < table.numRows; i++) {
        const key = `${symbol![i]} ${side![i]}`;
        let p = pictures.get(key);
        if (!p) pictures.set(key, (p = { known: [], prices: [] }));
        if (level![i] === 2) {
          p.known.push(Number(known![i])); // the column's raw values: µs
          p.prices.push([]);
        }
        p.prices.at(-1)!.push(Math.round((price![i] as number) * 100));
      }
    }
    /** The prices of the picture the venue showed at `venue` µs: known by then plus the feed latency (500 µs in the example). */
    const inForce = (key: string, venue: number): number[] => {
      const p = pictures.get(key)!;
      let lo = 0;
      let hi = p.known.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (p.known[mid]! <= venue + 500) lo = mid + 1;
        else hi = mid;
      }
      return p.prices[lo - 1] ?? [];
    };
    const found = walks(fills);
    expect(found.length).toBeGreaterThan(10);
    const wrong: string[] = [];
    for (const walk of found) {
      for (const f of walk.slice(1)) {
        expect(f.liquidity).toBe('TAKER');
        // The price before impact: the fill's price less the impact per share (costs.parquet, signed by side).
        const sign = f.side === 'BUY' ? 1 : -1;
        const level = (f.price - impact.get(f.fill_id)! / (sign * f.qty)) * 100;
        const key = `${f.symbol} ${f.side === 'BUY' ? 'ASK' : 'BID'}`;
        if (Math.abs(level - Math.round(level)) > 1e-6 || !inForce(key, Math.round(f.ts_event * 1000)).includes(Math.round(level)))
          wrong.push(`${f.fill_id}: ${key} ${level / 100} not in ${inForce(key, Math.round(f.ts_event * 1000))}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('without the depth input the same data fills no order at two prices at one instant', async () => {
    expect(plainRun.summary.fills).toBeGreaterThan(100);
    expect(walks(await read<FillRow>(plainRun.out, 'fills.parquet'))).toEqual([]);
  });

  it('on data without depth, refuses naming the missing dataset and how to make one', async () => {
    const plain = await dataset({ symbols: 2, days: 1, seed: 3 });
    await expect(runBacktest({ topologyFile: example, dataDir: plain, outDir: tempDir('depth-missing') })).rejects.toThrow(
      /no dataset "depth" \(datasets: quotes, trades\); `alpha data generate --depth N` writes one/,
    );
  });
});
