/**
 * The execution algorithms end to end on a small generated dataset, through execution.book-broker
 * with its default latency, impact and fees. Each property is checked from outside the code: the
 * test reads the dataset's quotes and trades itself, and recomputes each parent's fills and
 * shortfall from the broker's fills and the arrival mid it finds in the quotes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import { MINUTE } from '../../lib/core/time.ts';
import { runBacktest } from '../../pipelines/runtime/backtest.ts';
import type { Order, ParentOrderReport } from '../../schemas/types.generated.ts';
import { type AlgoRun, runAlgoGraph } from '../helpers/algo-graph.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';
import * as records from '../helpers/records.ts';

interface Manifest {
  sessions: { open: number; close: number }[];
  universe: { symbol: string }[];
  datasets: Record<string, { files: string[] }>;
}
interface Row {
  ts_known: number;
  seq: number;
  symbol: string;
}
type QuoteRow = Row & { bid: number; ask: number };
type TradeRow = Row & { size: number };

let data: string;
let manifest: Manifest;
let quoteRows: QuoteRow[];
let tradeRows: TradeRow[];
let parents: Order[][];

async function rows<T extends Row>(name: string): Promise<T[]> {
  const all: T[] = [];
  for (const f of manifest.datasets[name]!.files) {
    const file = Uint8Array.from(readFileSync(join(data, f))).buffer;
    const parsers = { timestampFromMicroseconds: (v: bigint) => Number(v) } as never;
    all.push(...((await parquetReadObjects({ file, utf8: true, parsers })) as T[]));
  }
  return all.sort((a, b) => a.ts_known - b.ts_known || a.seq - b.seq);
}

/** The mid of the symbol's last quote known strictly before t: what the algorithm saw when a parent arrived then. */
function midBefore(symbol: string, t: number): number {
  let mid = Number.NaN;
  for (const q of quoteRows) {
    if (q.ts_known >= t) break;
    if (q.symbol === symbol) mid = (q.bid + q.ask) / 2;
  }
  return mid;
}

const qty = (s: number) => 600 * (s + 1); // 600, 1,200, …: whole multiples of 6 slices

beforeAll(async () => {
  data = await dataset({ symbols: 3, days: 2, seed: 11 });
  manifest = JSON.parse(readFileSync(join(data, 'manifest.json'), 'utf8')) as Manifest;
  [quoteRows, tradeRows] = await Promise.all([rows<QuoteRow>('quotes'), rows<TradeRow>('trades')]);
  // Each symbol, each day: a buy 60 minutes after the open and a sell 200 minutes after (whole minutes,
  // never at the instant of a quote or trade of the data, which carry microseconds).
  parents = manifest.sessions.flatMap((s, d) =>
    [60, 200].map((m, k) =>
      manifest.universe.map(({ symbol }, i) =>
        records.order(symbol, k === 0 ? 'BUY' : 'SELL', qty(i), {
          ts_event: s.open + m * MINUTE,
          ts_known: s.open + m * MINUTE,
          order_id: `p${d}-${m}-${symbol}`,
          ref_price: midBefore(symbol, s.open + m * MINUTE),
        }),
      ),
    ),
  );
}, 60_000);

const run = (type: 'execution.twap' | 'execution.vwap' | 'execution.pov', params: Record<string, unknown>) =>
  runAlgoGraph({ type, params, broker: {}, orders: parents, sessions: manifest.sessions, data });

const parentOf = (orderId: string) => orderId.slice(0, orderId.lastIndexOf('/'));

/** Each report agrees with the broker's fills of its children and the arrival mid of the quotes. */
function checkReports(r: AlgoRun): void {
  expect(r.reports.map((x) => x.parent_order_id).sort()).toEqual(
    parents
      .flat()
      .map((p) => p.order_id)
      .sort(),
  );
  for (const rep of r.reports) {
    const fills = r.fills.filter((f) => parentOf(f.order_id) === rep.parent_order_id);
    const filled = fills.reduce((a, f) => a + f.qty, 0);
    const s = rep.side === 'BUY' ? 1 : -1;
    const arrival = midBefore(rep.symbol, rep.arrival_ts);
    const endMid = midBefore(rep.symbol, rep.ts_known + 1);
    const trading = fills.reduce((a, f) => a + s * (f.price - arrival) * f.qty, 0);
    const fees = fills.reduce((a, f) => a + f.fee, 0);
    const opportunity = filled >= rep.qty ? 0 : s * (endMid - arrival) * (rep.qty - filled);
    const shortfall = trading + opportunity + fees;
    expect(rep.filled_qty, rep.parent_order_id).toBe(filled);
    expect(filled).toBeLessThanOrEqual(rep.qty);
    expect(rep.arrival_mid).toBeCloseTo(arrival, 9);
    expect(rep.end_mid).toBeCloseTo(endMid, 9);
    expect(rep.trading_cost).toBeCloseTo(trading, 6);
    expect(rep.fees).toBeCloseTo(fees, 6);
    expect(rep.shortfall).toBeCloseTo(shortfall, 6);
    expect(rep.shortfall_bps).toBeCloseTo((shortfall / (rep.qty * arrival)) * 1e4, 6);
    expect(rep.children).toBe(r.children.filter((c) => parentOf(c.order.order_id) === rep.parent_order_id).length);
    if (rep.status === 'FILLED') expect(filled).toBe(rep.qty);
  }
}

describe('execution algorithms on a generated dataset, through execution.book-broker', () => {
  it('TWAP: children on the clock every slice from arrival, equal while the book fills them; reports agree with the fills', async () => {
    const r = await run('execution.twap', { horizon_minutes: 30, slice_minutes: 5 });
    checkReports(r);
    const fillsOf = (id: string) => r.fills.filter((f) => f.order_id === id).reduce((a, f) => a + f.qty, 0);
    let equalRuns = 0;
    for (const p of parents.flat()) {
      const kids = r.children.filter((c) => parentOf(c.order.order_id) === p.order_id);
      expect(kids.length).toBeGreaterThan(0);
      // Evenly spaced on the clock: arrival + k·5 minutes, k = 0, 1, 2, …
      kids.forEach((c, k) => expect(c.at).toBe(p.ts_known + k * 5 * MINUTE));
      // 30 / 5 = 6 slices of qty/6 each; while every child has filled in full, each is exactly that.
      const slice = p.qty / 6;
      for (const c of kids.slice(0, 6)) {
        expect(c.order.qty).toBe(slice);
        if (fillsOf(c.order.order_id) < c.order.qty) break;
        equalRuns++;
      }
    }
    expect(equalRuns).toBeGreaterThan(0);
    // When the book allowed (the parent FILLED), its children's fills add up to it exactly.
    expect(r.reports.filter((x) => x.status === 'FILLED').length).toBeGreaterThan(0);
  }, 60_000);

  it('VWAP: the first day (no past session) is worked as TWAP; later days follow the profile; reports agree', async () => {
    const r = await run('execution.vwap', { horizon_minutes: 30, slice_minutes: 5, bucket_minutes: 15 });
    checkReports(r);
    const day0 = parents[0]!.concat(parents[1]!);
    for (const p of day0) {
      const first = r.children.find((c) => parentOf(c.order.order_id) === p.order_id)!;
      expect(first.order.qty).toBe(p.qty / 6);
    }
    // Day 1, from the day-0 trades the test reads: slice i of the parent arriving at open + 60 min
    // expects the volume of its 5 minutes, i.e. a third of its 15-minute bucket (60–75, 75–90).
    const [s0, s1] = manifest.sessions;
    for (const p of parents[2]!) {
      const bucket = (from: number) =>
        tradeRows
          .filter((t) => t.symbol === p.symbol && t.ts_known > s0!.open + from * MINUTE && t.ts_known <= s0!.open + (from + 15) * MINUTE)
          .reduce((a, t) => a + t.size, 0);
      const [b1, b2] = [bucket(60), bucket(75)];
      // Six slices: three of b1/3 each, three of b2/3: the first slice's share is b1/3 / (b1 + b2).
      const expected = Math.floor((p.qty * (b1 / 3)) / (b1 + b2) + 1e-9);
      const first = r.children.find((c) => parentOf(c.order.order_id) === p.order_id)!;
      expect(first.at).toBe(s1!.open + 60 * MINUTE);
      expect(first.order.qty).toBe(expected);
    }
  }, 60_000);

  it('POV: what each child brings the parent to is at most rate × the volume traded since arrival + one lot; reports agree', async () => {
    const rate = 0.05;
    const r = await run('execution.pov', { rate, interval_seconds: 30, max_child_qty: 500 });
    checkReports(r);
    const byParent = new Map(r.reports.map((x): [string, ParentOrderReport] => [x.parent_order_id, x]));
    let checked = 0;
    for (const c of r.children) {
      const rep = byParent.get(parentOf(c.order.order_id))!;
      const volume = tradeRows
        .filter((t) => t.symbol === rep.symbol && t.ts_known >= rep.arrival_ts && t.ts_known <= c.at)
        .reduce((a, t) => a + t.size, 0);
      const filledBefore = r.fills
        .filter((f) => parentOf(f.order_id) === rep.parent_order_id && f.ts_known <= c.at)
        .reduce((a, f) => a + f.qty, 0);
      expect(c.order.qty).toBeLessThanOrEqual(500);
      expect(filledBefore + c.order.qty).toBeLessThanOrEqual(rate * volume + 1);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  }, 60_000);

  it('examples/execution-algos.yaml runs whole (model, sizing, pre-trade, VWAP, book broker) and its parent reports match its fills', async () => {
    const out = tempDir('algos-example');
    const data12 = await dataset({ symbols: 12, days: 4, seed: 3 });
    const topologyFile = new URL('../../examples/execution-algos.yaml', import.meta.url).pathname;
    const summary = await runBacktest({ topologyFile, dataDir: data12, outDir: out });
    const read = async <T>(file: string) =>
      (await parquetReadObjects({
        file: Uint8Array.from(readFileSync(join(out, file))).buffer,
        utf8: true,
        parsers: { timestampFromMicroseconds: (v: bigint) => Number(v) } as never,
      })) as T[];
    const reports = await read<ParentOrderReport>('parent_reports.parquet');
    const fills = await read<{ order_id: string; qty: number }>('fills.parquet');
    const children = await read<Order>('child_orders.parquet');
    expect(summary.fills).toBe(fills.length);
    expect(reports.length).toBeGreaterThan(10);
    expect(reports.reduce((a, r) => a + r.children, 0)).toBe(children.length);
    const filled = new Map<string, number>();
    for (const f of fills) filled.set(parentOf(f.order_id), (filled.get(parentOf(f.order_id)) ?? 0) + f.qty);
    for (const r of reports) expect(r.filled_qty, r.parent_order_id).toBe(filled.get(r.parent_order_id) ?? 0);
    // Every fill belongs to a reported parent.
    const ids = new Set(reports.map((r) => r.parent_order_id));
    expect(fills.every((f) => ids.has(parentOf(f.order_id)))).toBe(true);
  }, 120_000);
});
