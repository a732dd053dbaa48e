/**
 * RecordColumns keeps a sink's records as typed columns while they arrive (1,024 at a time): the Parquet
 * bytes it gives must be those tableFromRecords gives for all the records at once (the path the sink
 * took before, and the reference here), whatever the batches, including a value of an unexpected kind
 * in a later batch (the column then falls back to the values themselves, as tableFromRecords does).
 */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { tableFromRecords } from '../../../lib/io/avro-arrow.ts';
import { parquetBytes, parquetOfIpc, parquetToIpc } from '../../../lib/io/parquet.ts';
import { RecordColumns } from '../../../lib/io/record-columns.ts';

const T0 = 1_704_380_400_000_000;

/** A state with `n` positions over symbols SYM000…, their values derived from `i`. */
const state = (i: number, n: number): Record<string, unknown> => ({
  ts_event: T0 + i * 300_000_000,
  ts_known: T0 + i * 300_000_000 + 1,
  cash: 1e7 - i * 1234.5,
  equity: 1e7 + i,
  realized_pnl: i * 0.25,
  unrealized_pnl: -i,
  fees: i * 3,
  borrow: 0,
  financing: i / 7,
  gross_exposure: 2e7,
  net_exposure: -i,
  traded_notional: i * 1e5,
  positions: Array.from({ length: n }, (_, k) => ({
    symbol: `SYM${String((i + k) % 7).padStart(3, '0')}`,
    qty: (k % 2 ? -1 : 1) * (i + k),
    avg_price: 100 + k / 8,
    mark: 100 + i / 16,
  })),
});

const fill = (i: number): Record<string, unknown> => ({
  ts_event: T0 + i,
  ts_known: T0 + i + 1,
  fill_id: `o-${i}#1`,
  order_id: `o-${i}`,
  symbol: ['SYM002', 'SYM000', 'SYM001'][i % 3],
  side: i % 2 ? 'SELL' : 'BUY',
  qty: i + 0.5,
  price: 100 + i / 100,
  fee: i / 1000,
  liquidity: i % 5 ? 'TAKER' : 'MAKER',
});

const order = (i: number): Record<string, unknown> => ({
  ts_event: T0 + i,
  ts_known: T0 + i,
  order_id: `o-${i}`,
  symbol: 'SYM000',
  side: 'BUY',
  qty: 10,
  order_type: i % 2 ? 'LIMIT' : 'MARKET',
  limit_price: i % 2 ? 99.5 : null,
  ref_price: 100.25,
  time_in_force: 'DAY',
  action: 'NEW',
  target_order_id: i % 3 ? null : `o-${i - 1}`,
});

/** `records` cut into batches of the given sizes (the rest in one last batch). */
function batches<T>(records: readonly T[], sizes: readonly number[]): T[][] {
  const out: T[][] = [];
  let at = 0;
  for (const n of sizes) {
    out.push(records.slice(at, at + n));
    at += n;
  }
  out.push(records.slice(at));
  return out;
}

/** The Parquet bytes of the records gathered batch by batch, and those of tableFromRecords on them all. */
function both(schema: string, records: readonly Record<string, unknown>[], sizes: readonly number[]) {
  const columns = new RecordColumns(schema);
  for (const b of batches(records, sizes)) columns.append(b);
  expect(columns.length).toBe(records.length);
  const table = tableFromRecords(schema, records);
  const ipc = columns.ipc();
  expect(arrow.tableFromIPC(ipc.bytes).numRows).toBe(records.length);
  const gathered = Buffer.from(parquetOfIpc(ipc));
  expect(ipc.bytes.length).toBe(0); // given back once parquet-wasm has read it
  return { gathered, reference: Buffer.from(parquetBytes(table)), columns };
}

describe('RecordColumns', () => {
  it('gives the bytes tableFromRecords gives, for states with positions, fills and orders with nulls, over uneven batches', () => {
    const states = Array.from({ length: 300 }, (_, i) => state(i, i % 11));
    const fills = Array.from({ length: 500 }, (_, i) => fill(i));
    const orders = Array.from({ length: 40 }, (_, i) => order(i));
    for (const [schema, records] of [
      ['PortfolioState', states],
      ['Fill', fills],
      ['Order', orders],
    ] as const) {
      const { gathered, reference } = both(schema, records, [1, 0, 17, 100]);
      expect(gathered.equals(reference)).toBe(true);
    }
  });

  it('grows past its first allocation (more values than one growth step holds)', () => {
    // 30,000 states × 12 positions = 360,000 positions: several resizes of every position column.
    const states = Array.from({ length: 30_000 }, (_, i) => state(i, 12));
    const { gathered, reference } = both('PortfolioState', states, [4096, 4096, 10_000]);
    expect(gathered.equals(reference)).toBe(true);
    const back = arrow.tableFromIPC(parquetToIpc(gathered));
    const last = back.get(29_999)!.toJSON();
    expect(Number(last['equity'])).toBe(1e7 + 29_999);
    expect((back.getChild('positions')!.get(29_999) as arrow.Vector).get(11).symbol).toBe(
      `SYM${String((29_999 + 11) % 7).padStart(3, '0')}`,
    );
  });

  it('falls back to the generic path when a later batch holds a value of another kind, as tableFromRecords does', () => {
    // Records reach the columns 1,024 at a time: the odd values come after the first two thousand.
    const states = Array.from({ length: 3000 }, (_, i) => state(i, 3));
    const oddCash = { ...states[2100]!, cash: '5' };
    const oddPosition = { ...states[2600]!, positions: [{ ...(states[2600]!['positions'] as object[])[0]!, qty: '7' }] };
    const odd = [...states.slice(0, 2100), oddCash, ...states.slice(2101, 2600), oddPosition, ...states.slice(2601)];
    const { gathered, reference } = both('PortfolioState', odd, [1000, 1000, 500]);
    expect(gathered.equals(reference)).toBe(true);
    const back = arrow.tableFromIPC(parquetToIpc(gathered));
    expect(back.getChild('cash')!.get(2100)).toBe(5);
    expect((back.getChild('positions')!.get(2600) as arrow.Vector).get(0).qty).toBe(7);

    const fills = Array.from({ length: 3000 }, (_, i) => fill(i));
    const oddSide = [...fills.slice(0, 2500), { ...fills[2500]!, side: 1 }, ...fills.slice(2501)];
    const sides = both('Fill', oddSide as Record<string, unknown>[], [2000]);
    expect(sides.gathered.equals(sides.reference)).toBe(true);
  });

  it('writes an empty table with the columns when nothing arrived, and is empty after giving its IPC', () => {
    const { gathered, reference, columns } = both('PortfolioState', [], []);
    expect(gathered.equals(reference)).toBe(true);
    expect(columns.length).toBe(0);
    const again = Buffer.from(parquetOfIpc(columns.ipc()));
    expect(again.equals(reference)).toBe(true);
  });
});
