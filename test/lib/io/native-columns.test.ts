/**
 * The native Parquet decoder (native/parquet through lib/io/native-columns.ts) against parquet-wasm
 * → Arrow → columnBatchOf, the path it stands in for: on random files the same batches, byte for byte;
 * on files it must not take (another type, a null, a long beyond ±2^53, other compression, a corrupt
 * or cut file) `undefined`, never a throw or a crash, so the caller falls back to parquet-wasm.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import * as pw from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import type { ColumnBatch } from '../../../lib/core/column-batch.ts';
import { Rng } from '../../../lib/core/rng.ts';
import { columnBatchOf } from '../../../lib/io/arrow-columns.ts';
import { decodeNatively, nativeColumnBatches } from '../../../lib/io/native-columns.ts';
import { decodeColumns, decodeOpenFile } from '../../../native/parquet/index.ts';
import { decodeDataFile } from '../../../pipelines/io/decode-file.ts';
import type { SchemaName } from '../../../schemas/types.generated.ts';
import {
  BINARY,
  editPages,
  field,
  footerOf,
  I32,
  I64,
  LIST,
  STRUCT,
  setField,
  type ThriftStruct,
  withFooter,
  withRowCount,
} from '../../helpers/parquet-forge.ts';

interface WriteOptions {
  rowGroup?: number;
  dictionary?: boolean;
  compression?: pw.Compression;
}

function parquetOf(columns: Record<string, unknown>, o: WriteOptions = {}): Uint8Array {
  const table = arrow.tableFromArrays(columns as Parameters<typeof arrow.tableFromArrays>[0]);
  let props = new pw.WriterPropertiesBuilder().setCompression(o.compression ?? pw.Compression.SNAPPY);
  if (o.rowGroup) props = props.setMaxRowGroupSize(o.rowGroup);
  if (o.dictionary !== undefined) props = props.setDictionaryEnabled(o.dictionary);
  return pw.writeParquet(pw.Table.fromIPCStream(arrow.tableToIPC(table, 'stream')), props.build());
}

/** `bytes` written to a file and decoded on the thread pool, as the replay reads a data file. */
async function onPool(bytes: Uint8Array, schema: SchemaName, o: { batchRows: number; hash: boolean; expect?: string }) {
  return withOpenFile(bytes, (fd) => decodeNatively({ fd, size: bytes.length }, schema, o));
}

async function withOpenFile<T>(bytes: Uint8Array, f: (fd: number) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'alpha-native-columns-'));
  const path = join(dir, 'file.parquet');
  writeFileSync(path, bytes);
  const fd = openSync(path, 'r');
  try {
    return await f(fd);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the replay read before: parquet-wasm → IPC → Arrow → column batches. */
function viaWasm(bytes: Uint8Array, schema: SchemaName, batchRows: number): ColumnBatch<unknown>[] {
  const table = arrow.tableFromIPC(pw.readParquet(bytes, { batchSize: batchRows }).intoIPCStream());
  return table.batches.map((b) => columnBatchOf(b, schema) as ColumnBatch<unknown>);
}

/** A batch's columns as comparable values: numbers by their bytes (NaN payloads and -0 included), strings as codes and dictionary. */
function snapshot(batches: ColumnBatch<unknown>[]): unknown[] {
  return batches.map((b) => ({
    rows: b.length,
    columns: Object.entries(b.columns as Record<string, unknown>).map(([name, c]) => {
      if (c instanceof Float64Array || c instanceof Int32Array) {
        const v = c.subarray(b.start, b.end);
        return [name, Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')];
      }
      const s = c as { codes: Int32Array; dictionary: readonly string[] };
      return [name, [...s.codes.subarray(b.start, b.end)], [...s.dictionary]];
    }),
  }));
}

const EXACT = 2 ** 53;

function randomLong(rng: Rng): bigint {
  switch (rng.int(4)) {
    case 0:
      return BigInt(rng.int(1000));
    case 1:
      return BigInt(EXACT - 1 - rng.int(5)) * (rng.int(2) ? 1n : -1n);
    default:
      return BigInt(Math.floor((rng.next() * 2 - 1) * (EXACT - 1)));
  }
}

function randomDouble(rng: Rng): number {
  const special = [Number.NaN, -0, 0, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE, -1e-310];
  return rng.int(6) === 0 ? special[rng.int(special.length)]! : (rng.next() - 0.5) * 10 ** (rng.int(30) - 15);
}

const WORDS = ['AAPL', 'MSFT', '', 'ÆØÅ', '株式', 'x'.repeat(300), 'B', 'C'];

function randomQuotes(rng: Rng, rows: number, words: number): Record<string, unknown> {
  const longs = (): BigInt64Array => BigInt64Array.from({ length: rows }, () => randomLong(rng));
  const doubles = (): Float64Array => Float64Array.from({ length: rows }, () => randomDouble(rng));
  const texts = Array.from({ length: rows }, () => WORDS[rng.int(words)]!);
  // As the data files hold it (an Arrow dictionary) or as plain UTF8 strings.
  const type = rng.int(2) ? new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()) : new arrow.Utf8();
  const symbols = arrow.vectorFromArray(texts, type);
  return {
    ts_event: longs(),
    ts_known: longs(),
    symbol: symbols,
    seq: longs(),
    id: longs(),
    version: Int32Array.from({ length: rows }, () => (rng.int(3) === 0 ? 2 ** 31 - 1 - rng.int(3) : rng.int(100) - 50)),
    bid: doubles(),
    ask: doubles(),
    bid_size: doubles(),
    ask_size: doubles(),
  };
}

describe('the native Parquet decoder', () => {
  it('gives parquet-wasm’s column batches, byte for byte, on random files (row groups, dictionaries on and off, batch sizes)', () => {
    const rng = new Rng(11);
    for (let k = 0; k < 40; k++) {
      const rows = k === 0 ? 0 : rng.int(5000);
      const options: WriteOptions = { rowGroup: 1 + rng.int(3000), dictionary: rng.int(2) === 0 };
      const bytes = parquetOf(randomQuotes(rng, rows, 1 + rng.int(WORDS.length)), options);
      const batchRows = 1 + rng.int(2500);
      const native = nativeColumnBatches(bytes, 'Quote', batchRows);
      expect(native, `file ${k}: ${rows} rows, ${JSON.stringify(options)}`).toBeDefined();
      expect(snapshot(native!)).toEqual(snapshot(viaWasm(bytes, 'Quote', batchRows)));
    }
  });

  it('reads the generated datasets’ layout: timestamps in microseconds, dictionary strings, an enum (Trade)', () => {
    const rows = 3;
    const table = {
      ts_event: BigInt64Array.of(1n, 2n, 3n),
      ts_known: BigInt64Array.of(4n, 5n, 6n),
      symbol: ['A', 'B', 'A'],
      seq: BigInt64Array.of(1n, 2n, 3n),
      id: BigInt64Array.of(7n, 8n, 9n),
      version: Int32Array.of(1, 1, 1),
      price: Float64Array.of(10, 11, 12),
      size: Float64Array.of(100, 200, 300),
      aggressor: ['BUY', 'SELL', 'NONE'],
    };
    const bytes = parquetOf(table);
    const native = nativeColumnBatches(bytes, 'Trade', 65536)!;
    expect(native.map((b) => b.length)).toEqual([rows]);
    expect(native[0]!.toRecords()[1]).toMatchObject({ ts_known: 5, symbol: 'B', aggressor: 'SELL', price: 11 });
    expect(snapshot(native)).toEqual(snapshot(viaWasm(bytes, 'Trade', 65536)));
  });

  it('leaves to parquet-wasm the files it must not take', () => {
    const rng = new Rng(5);
    const base = randomQuotes(rng, 50, 3);
    const refused: [string, Uint8Array][] = [
      ['a long beyond 2^53', parquetOf({ ...base, seq: BigInt64Array.from({ length: 50 }, (_, i) => (i === 7 ? 2n ** 53n : 1n)) })],
      ['a long at -2^53', parquetOf({ ...base, id: BigInt64Array.from({ length: 50 }, (_, i) => (i === 3 ? -(2n ** 53n) : 1n)) })],
      ['a float column for a double', parquetOf({ ...base, bid: Float32Array.from({ length: 50 }, () => 1.5) })],
      ['an int64 where an int belongs', parquetOf({ ...base, version: BigInt64Array.from({ length: 50 }, () => 1n) })],
      ['a null in a double', parquetOf({ ...base, ask: Array.from({ length: 50 }, (_, i) => (i === 9 ? null : 1)) })],
      ['a missing column', parquetOf(Object.fromEntries(Object.entries(base).filter(([k]) => k !== 'ask_size')))],
      ['zstd pages', parquetOf(base, { compression: pw.Compression.ZSTD })],
      ['not Parquet', new TextEncoder().encode('PAR1 not really PAR1')],
      ['nothing', new Uint8Array(0)],
    ];
    for (const [what, bytes] of refused) expect(nativeColumnBatches(bytes, 'Quote', 64), what).toBeUndefined();
    // A schema with a field that is not a number or a string is never decoded natively.
    expect(nativeColumnBatches(parquetOf(base), 'Order', 64)).toBeUndefined();
  });

  it('survives cut and corrupted files: undefined or exactly what parquet-wasm reads, never a throw', () => {
    const rng = new Rng(23);
    const good = parquetOf(randomQuotes(rng, 400, 4), { rowGroup: 150 });
    const deadline = performance.now() + 4000;
    let tried = 0;
    let taken = 0;
    for (; tried < 600 && performance.now() < deadline; tried++) {
      const bytes = good.slice(0, tried % 3 === 0 ? rng.int(good.length) : good.length);
      for (let f = 1 + rng.int(4); f > 0 && bytes.length > 0; f--) bytes[rng.int(bytes.length)] = rng.int(256);
      const native = nativeColumnBatches(bytes, 'Quote', 100);
      if (!native) continue;
      taken++;
      // Taken: parquet-wasm must read the same (both are arrow-rs; a flipped value byte reads the same).
      expect(snapshot(native)).toEqual(snapshot(viaWasm(bytes, 'Quote', 100)));
    }
    expect(tried).toBeGreaterThan(100);
    expect(taken).toBeGreaterThan(0);
  });

  it('reads and hashes on the thread pool as node:crypto does, and gives back the bytes it leaves to parquet-wasm', async () => {
    const bytes = parquetOf(randomQuotes(new Rng(2), 1000, 3));
    const sha = createHash('sha256').update(bytes).digest('hex');
    const pooled = await onPool(bytes, 'Quote', { batchRows: 300, hash: true });
    expect(pooled.sha256).toBe(sha);
    expect(snapshot(pooled.batches!)).toEqual(snapshot(viaWasm(bytes, 'Quote', 300)));
    // A schema the native decoder does not take: hashed, and the same bytes back.
    const left = await onPool(bytes, 'Order', { batchRows: 300, hash: true });
    expect(left).toEqual({ sha256: sha, bytes: expect.any(Uint8Array) });
    expect(Buffer.compare(left.bytes!, bytes)).toBe(0);
    expect(await onPool(bytes, 'Quote', { batchRows: 300, hash: false })).toMatchObject({ sha256: undefined });
    // With the sha256 the manifest expects: decoded when it matches, not even read when it does not.
    expect((await onPool(bytes, 'Quote', { batchRows: 300, hash: true, expect: sha })).batches).toHaveLength(4);
    const other = '0'.repeat(64);
    expect(await onPool(bytes, 'Quote', { batchRows: 300, hash: true, expect: other })).toEqual({ sha256: sha });
  });

  it('decodes only bytes that end with the footer that was checked, and says why a file cannot be read', async () => {
    const fields = [{ name: 'bid', kind: 'double' }] as const;
    const bytes = parquetOf(randomQuotes(new Rng(5), 200, 3));
    const otherFooter = (b: Uint8Array) =>
      Buffer.concat([b.subarray(0, 4), b.subarray(b.length - 8 - Buffer.from(b).readUInt32LE(b.length - 8))]);
    const own = otherFooter(bytes);
    const o = { hash: false, fields, batchRows: 64 };
    const decoded = await withOpenFile(bytes, (fd) => decodeOpenFile(fd, bytes.length, { ...o, footer: own }));
    expect(decoded.decoded?.rows.reduce((a, b) => a + b, 0)).toBe(200);
    // The footer of another file (the file changed after its footer was checked): left to parquet-wasm.
    const foreign = otherFooter(parquetOf(randomQuotes(new Rng(6), 300, 3)));
    const left = await withOpenFile(bytes, (fd) => decodeOpenFile(fd, bytes.length, { ...o, footer: foreign }));
    expect(left).toEqual({ sha256: undefined, bytes: expect.any(Uint8Array) });
    expect(await withOpenFile(bytes, (fd) => decodeOpenFile(fd, bytes.length, { ...o, footer: null }))).toEqual(left);
    // A file shorter than its size said (it shrank), and a descriptor that is not a file.
    expect(await withOpenFile(bytes, (fd) => decodeOpenFile(fd, bytes.length + 10, { ...o, footer: own }))).toEqual({
      sha256: undefined,
      problem: `shrank while read (${bytes.length} of ${bytes.length + 10} bytes)`,
    });
    const dir = openSync(tmpdir(), 'r');
    try {
      expect((await decodeOpenFile(dir, 100, { ...o, footer: own })).problem).toMatch(/^cannot read: Is a directory/);
    } finally {
      closeSync(dir);
    }
  });

  it('says a file is corrupt when its footer counts other rows than its row groups hold (both decoders would drop them)', async () => {
    const bytes = Buffer.from(parquetOf(randomQuotes(new Rng(4), 300, 3), { rowGroup: 100 }));
    const meta = footerOf(bytes);
    setField(meta, 3, I64, 0n);
    const body = bytes.subarray(0, bytes.length - 8 - bytes.readUInt32LE(bytes.length - 8));
    const lying = withFooter(body, meta);
    expect(await onPool(lying, 'Quote', { batchRows: 64, hash: false })).toEqual({
      sha256: undefined,
      problem: 'its footer counts 0 rows and its row groups 300: the file is corrupt',
    });
    expect(nativeColumnBatches(lying, 'Quote', 64)).toBeUndefined();
  });

  it('says a file is corrupt when its footer, row groups and chunks all count other rows than its pages hold', async () => {
    const bytes = parquetOf(randomQuotes(new Rng(9), 300, 3), { rowGroup: 100 });
    // Few enough for the native decoder to take: the last row group's pages hold 100.
    expect(await onPool(withRowCount(bytes, 305n), 'Quote', { batchRows: 64, hash: false })).toEqual({
      sha256: undefined,
      problem: 'its row group 2 counts 105 rows and the pages of its column "ts_event" hold 100: the file is corrupt',
    });
    // A footer that counts no rows over a day's pages would read as an empty day.
    const one = parquetOf(randomQuotes(new Rng(10), 300, 3));
    expect(await onPool(withRowCount(one, 0n), 'Quote', { batchRows: 64, hash: false })).toEqual({
      sha256: undefined,
      problem: 'its row group 0 counts 0 rows and the pages of its column "ts_event" hold 300: the file is corrupt',
    });
    // A footer stripped of its row groups: the pages no group lists would be skipped.
    const meta = footerOf(one);
    setField(meta, 3, I64, 0n);
    setField(meta, 4, LIST, { type: STRUCT, items: [] });
    const oneBuf = Buffer.from(one);
    const stripped = withFooter(oneBuf.subarray(0, oneBuf.length - 8 - oneBuf.readUInt32LE(oneBuf.length - 8)), meta);
    expect(await onPool(stripped, 'Quote', { batchRows: 64, hash: false })).toEqual({
      sha256: undefined,
      problem: expect.stringMatching(/^its footer lists no row groups, but \d+ bytes lie before it: the file is corrupt$/),
    });
    // A file written without rows has none, and reads as one empty batch.
    expect(nativeColumnBatches(parquetOf(randomQuotes(new Rng(11), 0, 3)), 'Quote', 64)?.map((b) => b.length)).toEqual([0]);
    // Too many for it (columns over 64 times the file): the bytes go to parquet-wasm, with the count to check there.
    const huge = withRowCount(bytes, 10n ** 12n);
    expect(await onPool(huge, 'Quote', { batchRows: 64, hash: false })).toEqual({
      sha256: undefined,
      bytes: expect.any(Uint8Array),
      rows: 1e12,
    });
    const dir = mkdtempSync(join(tmpdir(), 'alpha-native-columns-'));
    try {
      writeFileSync(join(dir, 'q.parquet'), huge);
      expect(await decodeDataFile(dir, 'q.parquet', 'Quote', { hash: false })).toEqual({
        failure: {
          file: join(dir, 'q.parquet'),
          message: 'its footer counts 1000000000000 rows and its pages hold 300: the file is corrupt',
        },
      });
      // With another expected hash, nothing but the hash: no column is sized from an unverified footer.
      const sha = createHash('sha256').update(huge).digest('hex');
      expect(await decodeDataFile(dir, 'q.parquet', 'Quote', { hash: true, expect: '0'.repeat(64) })).toEqual({
        sha256: sha,
        failure: { file: join(dir, 'q.parquet'), message: 'not decoded: its sha256 is not the expected one' },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses malformed arguments with an error naming them', async () => {
    const bytes = parquetOf(randomQuotes(new Rng(3), 10, 2));
    expect(() => decodeColumns(bytes, [{ name: 'bid', kind: 'bogus' as never }], 8)).toThrow(
      /kind "bogus": expected micros, long, int, double or string/,
    );
    expect(() => decodeColumns(bytes, [{ name: 'bid', kind: 'double' }], 0)).toThrow(/batchRows must be at least 1/);
    // On the thread pool, before anything is read.
    const fd = -1;
    await expect(decodeOpenFile(fd, 10, { hash: false, footer: null, fields: null, batchRows: 8 })).rejects.toThrow(
      /fd -1 and size 10: expected an open descriptor/,
    );
    await expect(decodeOpenFile(0, 1.5, { hash: false, footer: null, fields: null, batchRows: 8 })).rejects.toThrow(/size 1.5/);
    await expect(
      decodeOpenFile(0, 10, { hash: false, footer: new Uint8Array(12), fields: [{ name: 'bid', kind: 'bogus' as never }], batchRows: 8 }),
    ).rejects.toThrow(/kind "bogus"/);
  });
  // Last: parquet-wasm's instance does not recover from a trap, and the gate traps on these footers
  // (the run that reads such a file fails on it anyway).
  it('leaves forged footers and pages to parquet-wasm before arrow-rs can abort, overflow or allocate on their word', async () => {
    const before = process.resourceUsage().maxRSS;
    const meta = (schema: ThriftStruct[], rows = 0n): ThriftStruct => [
      { id: 1, type: I32, value: 1n },
      { id: 2, type: LIST, value: { type: STRUCT, items: schema } },
      { id: 3, type: I64, value: rows },
      { id: 4, type: LIST, value: { type: STRUCT, items: [] } },
    ];
    const element = (name: string, children?: number, physical?: number, childrenType = I32): ThriftStruct => [
      ...(physical === undefined ? [] : [{ id: 1, type: I32, value: BigInt(physical) }]),
      { id: 3, type: I32, value: 0n },
      { id: 4, type: BINARY, value: Buffer.from(name) },
      ...(children === undefined ? [] : [{ id: 5, type: childrenType, value: BigInt(children) }]),
    ];
    const magic = Buffer.from('PAR1');
    // A schema list that declares 2^31 − 1 elements in 24 bytes (the crate reserves room for them all).
    const longList = withFooter(magic, [{ id: 2, type: LIST, value: { type: STRUCT, items: [], size: 2 ** 31 - 1 } }]);
    // 20,000 nested groups (the crate builds the schema tree recursively).
    const deep = withFooter(
      magic,
      meta([element('schema', 1), ...Array.from({ length: 20_000 }, () => element('g', 1)), element('ts_known', undefined, 2)]),
    );
    // The same depth with the groups' num_children sent as i64: the crate reads field 5 by its id.
    const deepTyped = withFooter(
      magic,
      meta([
        element('schema', 1),
        ...Array.from({ length: 20_000 }, () => element('g', 1, undefined, I64)),
        element('ts_known', undefined, 2),
      ]),
    );
    // 200,000 lists nested in FileMetaData field 1 (a walk that recursed on them unbounded overflowed).
    const nestedFooter = Buffer.concat([Buffer.from([0x19]), Buffer.alloc(200_000, 0x19), Buffer.from([0x05, 0x00])]);
    const nestedLists = Buffer.concat([magic, nestedFooter, Buffer.from(new Uint32Array([nestedFooter.length]).buffer), magic]);
    // key_value_metadata (5) sent as an i32 whose varint bytes are, to the crate, a list header of 2^31 − 1 entries.
    const confused = Buffer.from(
      '504152311502192c35001806736368656d6115020015042500180874735f6b6e6f776e001600190c15fcffffffff07002c00000050415231',
      'hex',
    );
    // A real file whose dictionary page for `bid` declares 2^31 − 1 doubles (16 GiB zeroed on its word).
    const base = parquetOf(randomQuotes(new Rng(8), 200, 3), { dictionary: true });
    const bomb = editPages(base, (header, column) => {
      const dictionary = field(header, 7)?.value as ThriftStruct | undefined;
      if (column === 'bid' && dictionary) setField(dictionary, 1, I32, 2n ** 31n - 1n);
    });
    expect(
      nativeColumnBatches(
        editPages(base, () => {}),
        'Quote',
        64,
      ),
    ).toBeDefined(); // the rewriting alone keeps it readable
    for (const [what, bytes] of [
      ['long list', longList],
      ['deep schema', deep],
      ['deep schema, num_children as i64', deepTyped],
      ['nested lists', nestedLists],
      ['an i32 that is a list header', confused],
      ['dictionary bomb', bomb],
    ] as const) {
      expect(nativeColumnBatches(bytes, 'Quote', 64), what).toBeUndefined();
    }
    // On the thread pool too (there the footer is read only once the gate has passed it).
    expect(await onPool(confused, 'Quote', { batchRows: 64, hash: true })).toEqual({
      sha256: expect.any(String),
      bytes: expect.any(Uint8Array),
    });
    expect(await onPool(deepTyped, 'Quote', { batchRows: 64, hash: false })).toEqual({ sha256: undefined, bytes: expect.any(Uint8Array) });
    expect(process.resourceUsage().maxRSS - before).toBeLessThan(1024 * 1024); // KB: under 1 GiB more at the peak
  });
});
