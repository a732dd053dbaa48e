/**
 * The native Parquet writer (native/parquet's parquetOfIpc, through encodeIpcOnPool), which
 * writes sink.parquet's files, against parquet-wasm's writer, the reference it replaced: on random
 * records of flat and nested schemas, both files read back to the same Arrow stream, byte for byte, and
 * a flat file's bytes are parquet-wasm's. Its one intended difference: floating-point columns inside
 * lists are written without a dictionary. A stream it cannot read is a rejected promise, never a crash.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../lib/core/rng.ts';
import { encodeIpcOnPool, parquetOfIpc, parquetToIpc, writtenTo } from '../../../lib/io/parquet.ts';
import { RecordColumns } from '../../../lib/io/record-columns.ts';
import { parquetOfIpcOnPool } from '../../../native/parquet/index.ts';
import { field, footerOf, type ThriftList, type ThriftStruct } from '../../helpers/parquet-forge.ts';

const T0 = 1_704_380_400_000_000;
const dir = mkdtempSync(join(tmpdir(), 'alpha-parquet-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const symbolOf = (rng: Rng): string => `SYM${String(Math.floor(rng.next() * 40)).padStart(3, '0')}`;
/** Prices that repeat now and then, as marks do between trades, and some that never do. */
const priceOf = (rng: Rng): number => (rng.next() < 0.3 ? 100 + Math.floor(rng.next() * 8) / 4 : 50 + rng.next() * 100);

function states(rng: Rng, n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    ts_event: T0 + i * 60_000_000,
    ts_known: T0 + i * 60_000_000 + 1,
    cash: 1e7 - rng.next() * 1e5,
    equity: 1e7 + rng.next() * 1e4,
    realized_pnl: rng.next() - 0.5,
    unrealized_pnl: -rng.next(),
    fees: i * 3.25,
    borrow: 0,
    financing: i / 7,
    gross_exposure: 2e7 * rng.next(),
    net_exposure: rng.next() - 0.5,
    traded_notional: i * 1e5,
    positions: Array.from({ length: Math.floor(rng.next() * 12) }, () => ({
      symbol: symbolOf(rng),
      qty: Math.round((rng.next() - 0.5) * 2000),
      avg_price: priceOf(rng),
      mark: priceOf(rng),
    })),
  }));
}

function fills(rng: Rng, n: number): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    ts_event: T0 + i * 1_000,
    ts_known: T0 + i * 1_000 + 7,
    fill_id: `o-${i}#1`,
    order_id: `o-${i}`,
    symbol: symbolOf(rng),
    side: rng.next() < 0.5 ? 'SELL' : 'BUY',
    qty: Math.ceil(rng.next() * 500),
    price: priceOf(rng),
    fee: rng.next() / 10,
    liquidity: rng.next() < 0.2 ? 'MAKER' : 'TAKER',
  }));
}

function streamOf(schema: string, records: Record<string, unknown>[]) {
  const columns = new RecordColumns(schema);
  columns.append(records);
  return columns.ipc();
}

/** Column paths whose chunks start with a dictionary page, in any row group. */
function dictionaryColumns(bytes: Uint8Array): Set<string> {
  const out = new Set<string>();
  for (const group of (field(footerOf(bytes), 4)!.value as ThriftList).items as ThriftStruct[]) {
    for (const chunk of (field(group, 1)!.value as ThriftList).items as ThriftStruct[]) {
      const md = field(chunk, 3)!.value as ThriftStruct;
      const path = ((field(md, 3)!.value as ThriftList).items as Buffer[]).map(String).join('.');
      if (field(md, 11) !== undefined) out.add(path);
    }
  }
  return out;
}

describe('the native Parquet writer', () => {
  for (const [schema, make, n] of [
    ['PortfolioState', states, 3_000],
    ['Fill', fills, 20_000],
    ['Fill', fills, 0],
  ] as const) {
    it(`writes ${n} random ${schema} records as parquet-wasm's writer does, read back`, async () => {
      for (const seed of [1, 2]) {
        const records = make(new Rng(seed), n);
        const path = join(dir, `${schema}-${n}-${seed}.parquet`);
        const written = writtenTo(path, await encodeIpcOnPool(streamOf(schema, records)));
        expect(Buffer.compare(readFileSync(path), written)).toBe(0);
        const reference = parquetOfIpc(streamOf(schema, records));
        expect(Buffer.compare(parquetToIpc(written), parquetToIpc(reference))).toBe(0);
        // A flat file (fills, orders, costs: issue 11 keeps the default run's fills byte-identical) is parquet-wasm's.
        if (schema === 'Fill') expect(Buffer.compare(written, reference)).toBe(0);
      }
    });
  }

  it('writes floating-point columns inside lists without a dictionary and keeps the others', async () => {
    const bytes = writtenTo(join(dir, 'dict.parquet'), await encodeIpcOnPool(streamOf('PortfolioState', states(new Rng(3), 500))));
    const dictionaries = dictionaryColumns(bytes);
    for (const c of ['ts_event', 'cash', 'fees', 'positions.list.item.symbol']) expect(dictionaries).toContain(c);
    for (const c of ['positions.list.item.qty', 'positions.list.item.avg_price', 'positions.list.item.mark'])
      expect(dictionaries).not.toContain(c);
    // parquet-wasm's writer, the reference, built a dictionary for every column.
    expect(dictionaryColumns(parquetOfIpc(streamOf('PortfolioState', states(new Rng(3), 500))))).toContain('positions.list.item.mark');
  });

  it('gives the same bytes for the same records', async () => {
    const a = await parquetOfIpcOnPool(streamOf('Fill', fills(new Rng(4), 5_000)).bytes, 'alpha-factory');
    const b = await parquetOfIpcOnPool(streamOf('Fill', fills(new Rng(4), 5_000)).bytes, 'alpha-factory');
    expect(Buffer.compare(a, b)).toBe(0);
  });

  it('rejects, without allocating them, lengths a forged stream claims beyond its bytes', async () => {
    const rows = 1_000;
    const ipc = arrow.tableToIPC(arrow.tableFromArrays({ a: Float64Array.from({ length: rows }, (_, i) => i) }), 'stream');
    // The batch's message: after the schema's (continuation, length, metadata); its body runs to the end marker.
    const view = new DataView(ipc.buffer, ipc.byteOffset, ipc.byteLength);
    const batchAt = 8 + view.getInt32(4, true);
    const metaLength = view.getInt32(batchAt + 4, true);
    const meta = [batchAt + 8, batchAt + 8 + metaLength] as const;
    const body = BigInt(ipc.length - meta[1] - 8);
    /** The stream with every 64-bit `from` in the batch's metadata set to `to`. */
    const forged = (from: bigint, to: bigint): Uint8Array => {
      const out = ipc.slice();
      const v = new DataView(out.buffer);
      let found = 0;
      for (let i = meta[0]; i + 8 <= meta[1]; i++) {
        if (v.getBigInt64(i, true) !== from) continue;
        v.setBigInt64(i, to, true);
        found++;
      }
      expect(found).toBeGreaterThan(0);
      return out;
    };
    const reason = (bytes: Uint8Array) =>
      parquetOfIpcOnPool(bytes, 'alpha-factory').then(
        () => 'written',
        (e: Error) => e.message,
      );
    // A failed allocation of what they claim would abort the process, where a rejection is an error.
    expect(await reason(forged(body, 1n << 36n))).toMatch(/claims a body of 68719476736 bytes, \d+ are left/);
    expect(await reason(forged(body, -8n))).toMatch(/claims a body of -8 bytes/);
    expect(await reason(forged(BigInt(rows), 1n << 40n))).toMatch(/claims 1099511627776 rows in a body of/);
    const metadata = new Uint8Array(ipc.slice(0, 8 + 16));
    new DataView(metadata.buffer).setInt32(4, 0x7fffffff, true);
    expect(await reason(metadata)).toMatch(/claims 2147483647 bytes of metadata, 16 are left/);
  });

  it('copies the stream, so its memory may go as soon as the call returns', async () => {
    const records = fills(new Rng(7), 5_000);
    const stream = streamOf('Fill', records);
    const writing = parquetOfIpcOnPool(stream.bytes, 'alpha-factory');
    stream.bytes.fill(0xaa);
    stream.release();
    expect(Buffer.compare(parquetToIpc(await writing), parquetToIpc(parquetOfIpc(streamOf('Fill', records))))).toBe(0);
  });

  it('rejects a stream it cannot read, cut or garbage, with a reason', async () => {
    const whole = streamOf('Fill', fills(new Rng(5), 2_000)).bytes;
    const rng = new Rng(6);
    const garbage = Uint8Array.from({ length: 4096 }, () => Math.floor(rng.next() * 256));
    for (const bytes of [new Uint8Array(0), garbage, whole.subarray(0, 100), whole.subarray(0, whole.length >> 1)]) {
      const outcome = await parquetOfIpcOnPool(bytes, 'alpha-factory').then(
        (out) => ({ out }),
        (err: unknown) => ({ err: String(err) }),
      );
      // A cut stream may end at a message boundary: then it is a valid, shorter stream.
      if ('out' in outcome) expect(arrow.tableFromIPC(parquetToIpc(outcome.out)).numRows).toBeLessThan(2_000);
      else expect(outcome.err).toMatch(/Arrow IPC stream|batch/);
    }
  });
});
