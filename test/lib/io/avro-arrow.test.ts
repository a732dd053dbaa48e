/**
 * tableFromRecords lays required numbers, dictionary strings and lists of structs out in typed arrays
 * instead of Arrow's generic builders: the Parquet bytes must be those the generic builders give, and
 * the values read back must be the records'.
 */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { arrowSchema, tableFromRecords } from '../../../lib/io/avro-arrow.ts';
import { parquetBytes, parquetToIpc } from '../../../lib/io/parquet.ts';

const T0 = 1_704_380_400_000_000;

/** The table as Arrow's generic builders make it, one column at a time (timestamps as given, in µs). */
function genericTable(schemaName: string, records: readonly Record<string, unknown>[]): arrow.Table {
  const schema = arrowSchema(schemaName);
  const children = schema.fields.map((f) => {
    const values = records.map((r) => r[f.name]);
    if (f.type instanceof arrow.Timestamp) {
      return arrow.makeData({ type: f.type, length: values.length, data: BigInt64Array.from(values as number[], (v) => BigInt(v)) });
    }
    return arrow.vectorFromArray(values, f.type).data[0]!;
  });
  const struct = arrow.makeData({ type: new arrow.Struct(schema.fields), length: records.length, nullCount: 0, children });
  return new arrow.Table(schema, new arrow.RecordBatch(schema, struct));
}

const readBack = (bytes: Uint8Array): arrow.Table => arrow.tableFromIPC(parquetToIpc(bytes));

const states = [
  { sym: ['SYM002', 'SYM000'], qty: [100, -50] },
  { sym: [], qty: [] },
  { sym: ['SYM000', 'SYM001', 'SYM002'], qty: [-50, 30, 0.5] },
].map((p, i) => ({
  ts_event: T0 + i * 300_000_000,
  ts_known: T0 + i * 300_000_000 + 1,
  cash: 1e7 - i * 1234.5,
  equity: 1e7 + i,
  realized_pnl: i * 0.25,
  unrealized_pnl: -i,
  fees: i * 3,
  borrow: 0,
  financing: i * 0.01,
  gross_exposure: 2e6,
  net_exposure: -i * 10,
  traded_notional: i * 1e5,
  positions: p.sym.map((symbol, k) => ({ symbol, qty: p.qty[k]!, avg_price: 10 + k, mark: 10.5 + k })),
}));

describe('tableFromRecords', () => {
  it('writes portfolio states (a list of position structs) as the generic builders do', () => {
    const bytes = parquetBytes(tableFromRecords('PortfolioState', states));
    expect(Buffer.from(bytes).equals(Buffer.from(parquetBytes(genericTable('PortfolioState', states))))).toBe(true);
    const positions = readBack(bytes).getChild('positions')!;
    expect(positions.length).toBe(3);
    const rows = [0, 1, 2].map((i) => [...(positions.get(i) as arrow.Vector)].map((p) => ({ ...p.toJSON() })));
    expect(rows).toEqual(states.map((s) => s.positions));
  });

  it('writes fills (dictionary strings, enums) and execution costs (a nullable string) as the generic builders do', () => {
    const fills = [0, 1, 2, 3].map((i) => ({
      ts_event: T0 + i,
      ts_known: T0 + i + 500,
      fill_id: `o${i}#1`,
      order_id: `o${i}`,
      symbol: ['SYM001', 'SYM000', 'SYM001', 'SYM002'][i]!,
      side: i % 2 ? 'SELL' : 'BUY',
      qty: 100 + i,
      price: 10 + i / 3,
      fee: i * 0.01,
      liquidity: i === 2 ? 'MAKER' : 'TAKER',
    }));
    const costs = [0, 1, 2].map((i) => ({
      ts_event: T0 + i,
      ts_known: T0 + i,
      symbol: 'SYM000',
      fill_id: i === 1 ? null : `o${i}#1`,
      notional: 1000 * i,
      spread: 0.5,
      impact: 0.25 * i,
      fee: 0.1,
      borrow: 0,
      financing: 0,
    }));
    for (const [name, records] of [
      ['Fill', fills],
      ['ExecutionCost', costs],
    ] as const) {
      const bytes = parquetBytes(tableFromRecords(name, records));
      expect(Buffer.from(bytes).equals(Buffer.from(parquetBytes(genericTable(name, records))))).toBe(true);
    }
    const fillsBack = readBack(parquetBytes(tableFromRecords('Fill', fills)));
    expect([...fillsBack.getChild('symbol')!]).toEqual(['SYM001', 'SYM000', 'SYM001', 'SYM002']);
    expect([...fillsBack.getChild('liquidity')!]).toEqual(['TAKER', 'TAKER', 'MAKER', 'TAKER']);
    expect([...fillsBack.getChild('ts_known')!].map(Number)).toEqual(fills.map((f) => f.ts_known / 1000));
    expect([...readBack(parquetBytes(tableFromRecords('ExecutionCost', costs))).getChild('fill_id')!]).toEqual(['o0#1', null, 'o2#1']);
  });

  it('writes ids that are not ASCII (or empty) as the generic builders do', () => {
    const ids = ['ordre-é', '', '注文-1', 'o\uD800x', 'plain'];
    const fills = ids.map((id, i) => ({
      ts_event: T0 + i,
      ts_known: T0 + i,
      fill_id: `${id}#1`,
      order_id: id,
      symbol: 'SYM000',
      side: 'BUY',
      qty: 1,
      price: 1,
      fee: 0,
      liquidity: 'TAKER',
    }));
    const ascii = fills.filter((f) => f.order_id === '' || f.order_id === 'plain');
    for (const records of [fills, ascii]) {
      const bytes = parquetBytes(tableFromRecords('Fill', records));
      expect(Buffer.from(bytes).equals(Buffer.from(parquetBytes(genericTable('Fill', records))))).toBe(true);
      expect([...readBack(bytes).getChild('order_id')!]).toEqual(records.map((f) => f.order_id.replace('\uD800', '\uFFFD')));
    }
  });

  it('writes nullable strings and doubles (reasons, limit prices) as the generic builders do: nulls, undefined, none, all, not ASCII', () => {
    const order = (i: number, limit: unknown, target: unknown) => ({
      ts_event: T0 + i,
      ts_known: T0 + i,
      order_id: `o${i}`,
      symbol: 'SYM000',
      side: 'BUY',
      qty: 10,
      order_type: limit === null ? 'MARKET' : 'LIMIT',
      limit_price: limit,
      ref_price: 10.5,
      time_in_force: 'DAY',
      action: target === null ? 'NEW' : 'CANCEL',
      target_order_id: target,
    });
    const state = (i: number, reason: unknown) => ({
      ts_event: T0 + i,
      ts_known: T0 + i,
      order_id: `o${i}`,
      symbol: 'SYM000',
      side: 'SELL',
      status: 'CANCELLED',
      filled_qty: i,
      remaining_qty: 10 - i,
      reason,
    });
    const cases: [string, Record<string, unknown>[]][] = [
      ['Order', Array.from({ length: 20 }, (_, i) => order(i, i % 3 ? 9.5 + i / 7 : null, i % 4 ? null : `o${i - 1}`))],
      ['Order', Array.from({ length: 9 }, (_, i) => order(i, undefined, undefined))],
      ['Order', Array.from({ length: 9 }, (_, i) => order(i, i * 0.5, `o${i}`))],
      ['OrderState', Array.from({ length: 17 }, (_, i) => state(i, i % 2 ? null : `IOC: ${i} shares unfilled`))],
      ['OrderState', Array.from({ length: 5 }, (_, i) => state(i, i === 3 ? 'annulé' : i === 1 ? '' : null))],
      ['OrderState', Array.from({ length: 5 }, (_, i) => state(i, i === 2 ? 7 : null))],
    ];
    for (const [name, records] of cases) {
      const bytes = parquetBytes(tableFromRecords(name, records));
      expect(Buffer.from(bytes).equals(Buffer.from(parquetBytes(genericTable(name, records)))), name).toBe(true);
    }
    const back = readBack(parquetBytes(tableFromRecords('OrderState', cases[4]![1])));
    expect([...back.getChild('reason')!]).toEqual([null, '', null, 'annulé', null]);
    const limits = readBack(parquetBytes(tableFromRecords('Order', cases[0]![1]))).getChild('limit_price')!;
    expect([...limits]).toEqual(cases[0]![1].map((o) => o['limit_price']));
  });

  it('takes the generic path for a value of an unexpected kind, as before', () => {
    const oddPosition = { ...states[0]!.positions[0]!, qty: '7' as unknown as number };
    const odd = [
      { ...states[0]!, cash: '5' as unknown as number },
      { ...states[2]!, positions: [...states[2]!.positions, oddPosition] },
    ];
    const bytes = parquetBytes(tableFromRecords('PortfolioState', odd));
    expect(Buffer.from(bytes).equals(Buffer.from(parquetBytes(genericTable('PortfolioState', odd))))).toBe(true);
    expect(readBack(bytes).getChild('cash')!.get(0)).toBe(5);
    expect((readBack(bytes).getChild('positions')!.get(1) as arrow.Vector).get(3).qty).toBe(7);
  });
});
