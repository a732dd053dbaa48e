/**
 * Parquet library benchmark: picks the Parquet reader for tick data by measurement.
 *
 * Generates a deterministic synthetic quotes table (seeded PRNG), writes it once with
 * parquet-wasm (snappy, TIMESTAMP(MICROS, UTC) columns), checks the written schema with
 * hyparquet's metadata reader, then times reading all rows back into JS-usable values with
 * parquetjs-lite, hyparquet and parquet-wasm → Arrow IPC → apache-arrow typed arrays.
 * Each reader gets one warm-up and the best of 3 timed runs; every reader's output is
 * checked against the generated data, including whether TIMESTAMP_MICROS values keep their
 * microseconds.
 *
 *   npm run bench:parquet -- [--rows 2000000] [--pjs-rows 200000] [--runs 3] [--keep]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import {
  Dictionary,
  Field,
  Float64,
  Int32,
  Int64,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMicrosecond,
  Utf8,
  makeData,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import type { Data, Vector } from 'apache-arrow';
import { parquetMetadata, parquetRead, parquetReadObjects } from 'hyparquet';
import type { AsyncBuffer, ColumnData, FileMetaData } from 'hyparquet';
import * as pw from 'parquet-wasm';

// ---------------------------------------------------------------- options

const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '2000000' },
    'pjs-rows': { type: 'string', default: '200000' },
    runs: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
  },
});
const ROWS = positiveInt(opts.rows, '--rows');
const PJS_ROWS = Math.min(ROWS, positiveInt(opts['pjs-rows'], '--pjs-rows'));
const RUNS = positiveInt(opts.runs, '--runs');
const N_SYMBOLS = 100;

/** A full GC between runs so one reader's garbage is not collected on the next one's clock. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function positiveInt(text: string, flag: string): number {
  const n = Number(text.replaceAll('_', '').replaceAll(',', ''));
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer, got ${text}`);
  return n;
}

// ---------------------------------------------------------------- deterministic data

/** xorshift32 → uniform [0, 1). Tiny, seeded, good enough for synthetic quotes. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

interface Quotes {
  readonly n: number;
  readonly tsEvent: BigInt64Array; // µs since epoch
  readonly tsKnown: BigInt64Array; // µs since epoch, ≥ tsEvent
  readonly seq: BigInt64Array;
  readonly symbolCodes: Int32Array;
  readonly symbols: readonly string[];
  readonly bid: Float64Array;
  readonly ask: Float64Array;
  readonly bidSize: Int32Array;
  readonly askSize: Int32Array;
}

function generateQuotes(n: number, seed = 20240102): Quotes {
  const rand = rng(seed);
  const symbols = Array.from({ length: N_SYMBOLS }, (_, i) => `SYM${String(i).padStart(3, '0')}`);
  const mid = Array.from({ length: N_SYMBOLS }, () => 20 + rand() * 480);
  const tsEvent = new BigInt64Array(n);
  const tsKnown = new BigInt64Array(n);
  const seq = new BigInt64Array(n);
  const symbolCodes = new Int32Array(n);
  const bid = new Float64Array(n);
  const ask = new Float64Array(n);
  const bidSize = new Int32Array(n);
  const askSize = new Int32Array(n);
  let t = Date.UTC(2024, 0, 2, 14, 30) * 1000 + 123; // µs, deliberately not a whole millisecond
  for (let i = 0; i < n; i++) {
    t += 1 + Math.floor(rand() * 2000);
    const s = Math.floor(rand() * N_SYMBOLS);
    const m = (mid[s] ?? 100) * (1 + (rand() - 0.5) * 2e-4);
    mid[s] = m;
    const cents = Math.round(m * 100);
    tsEvent[i] = BigInt(t);
    tsKnown[i] = BigInt(t + 50 + Math.floor(rand() * 5000));
    seq[i] = BigInt(i);
    symbolCodes[i] = s;
    bid[i] = cents / 100;
    ask[i] = (cents + 1 + Math.floor(rand() * 3)) / 100;
    bidSize[i] = 100 * (1 + Math.floor(rand() * 50));
    askSize[i] = 100 * (1 + Math.floor(rand() * 50));
  }
  return { n, tsEvent, tsKnown, seq, symbolCodes, symbols, bid, ask, bidSize, askSize };
}

function quotesTable(q: Quotes, rows = q.n): Table {
  const tsType = new TimestampMicrosecond('UTC');
  const symType = new Dictionary(new Utf8(), new Int32());
  const fields = [
    new Field('ts_event', tsType, false),
    new Field('ts_known', tsType, false),
    new Field('seq', new Int64(), false),
    new Field('symbol', symType, false),
    new Field('bid', new Float64(), false),
    new Field('ask', new Float64(), false),
    new Field('bid_size', new Int32(), false),
    new Field('ask_size', new Int32(), false),
  ];
  const length = rows;
  const children: Data[] = [
    makeData({ type: tsType, length, data: q.tsEvent.subarray(0, rows) }),
    makeData({ type: tsType, length, data: q.tsKnown.subarray(0, rows) }),
    makeData({ type: new Int64(), length, data: q.seq.subarray(0, rows) }),
    makeData({
      type: symType,
      length,
      data: q.symbolCodes.subarray(0, rows),
      dictionary: vectorFromArray([...q.symbols], new Utf8()),
    }),
    makeData({ type: new Float64(), length, data: q.bid.subarray(0, rows) }),
    makeData({ type: new Float64(), length, data: q.ask.subarray(0, rows) }),
    makeData({ type: new Int32(), length, data: q.bidSize.subarray(0, rows) }),
    makeData({ type: new Int32(), length, data: q.askSize.subarray(0, rows) }),
  ];
  const schema = new Schema(fields);
  const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length, children }));
  return new Table([batch]);
}

/**
 * `dictionary: 'symbol'` dictionary-encodes only the symbol column (numeric columns of random
 * quotes gain nothing from it); `'none'` writes everything PLAIN, which is the only form
 * parquetjs-lite can read back: parquet-rs writes dictionary data pages as RLE_DICTIONARY, an
 * encoding parquetjs-lite 0.8 does not know.
 */
function writeWithParquetWasm(table: Table, dictionary: 'symbol' | 'none'): Uint8Array {
  const wasmTable = pw.Table.fromIPCStream(tableToIPC(table, 'stream'));
  let builder = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setDictionaryEnabled(false);
  if (dictionary === 'symbol') builder = builder.setColumnDictionaryEnabled('symbol', true);
  return pw.writeParquet(wasmTable, builder.build());
}

// ---------------------------------------------------------------- readers

/** What every reader must hand back: enough to check values and µs precision. */
interface ReadResult {
  readonly rows: number;
  /** ts_event of row i as µs since epoch (as exact as the library allows). */
  tsEventMicros(i: number): number;
  tsKnownMicros(i: number): number;
  symbol(i: number): string;
  bid(i: number): number;
  ask(i: number): number;
  bidSize(i: number): number;
  askSize(i: number): number;
}

interface Reader {
  readonly name: string;
  /** Rows this reader reads (parquetjs-lite gets a subset file). */
  readonly rows: number;
  readonly note: string;
  read(): Promise<ReadResult>;
}

/** Date | bigint | number → µs number. */
function micros(v: unknown): number {
  if (v instanceof Date) return v.getTime() * 1000;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  throw new Error(`unexpected timestamp value ${String(v)}`);
}

/** BigInt64Array (or its int32 halves) → Float64Array of numbers, without BigInt boxing. */
function int64ToFloat64(src: BigInt64Array, out: Float64Array, offset: number): void {
  const halves = new Int32Array(src.buffer, src.byteOffset, src.length * 2);
  for (let i = 0, j = 0; i < src.length; i++, j += 2) {
    out[offset + i] = (halves[j + 1] ?? 0) * 4294967296 + ((halves[j] ?? 0) >>> 0);
  }
}

function inMemoryAsyncBuffer(bytes: Uint8Array): AsyncBuffer {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { byteLength: ab.byteLength, slice: (start, end) => ab.slice(start, end) };
}

// --- parquetjs-lite (CommonJS, no types: describe the bit we use)
interface PjsCursor {
  next(): Promise<Record<string, unknown> | null>;
  nextRowGroup(): Promise<Record<string, unknown>[] | null>;
}
interface PjsReader {
  getCursor(columns?: string[]): PjsCursor;
  close(): Promise<void>;
}
interface ParquetJsLite {
  ParquetReader: { openFile(path: string): Promise<PjsReader> };
}
const parquetjs = createRequire(import.meta.url)('parquetjs-lite') as ParquetJsLite;

/** Can parquetjs-lite read the first row of this file at all? */
async function probeParquetjs(path: string): Promise<string> {
  try {
    const reader = await parquetjs.ParquetReader.openFile(path);
    await reader.getCursor().next();
    await reader.close();
    return 'ok';
  } catch (err) {
    return String(err);
  }
}

function parquetjsLiteReader(path: string, rows: number): Reader {
  return {
    name: 'parquetjs-lite rows',
    rows,
    note: `${rows === ROWS ? '' : `${rows.toLocaleString('en-US')}-row `}PLAIN-only copy${rows === ROWS ? '' : ', rate extrapolated'}`,
    async read() {
      const reader = await parquetjs.ParquetReader.openFile(path);
      const cursor = reader.getCursor();
      // cursor.next() does rowGroup.shift() per row — O(rows²) per row group (≈8k rows/s at 200k
      // rows/group) — so take whole row groups, which is what next() decodes anyway.
      const out: Record<string, unknown>[] = [];
      for (let g = await cursor.nextRowGroup(); g !== null; g = await cursor.nextRowGroup()) {
        for (const row of g) out.push(row);
      }
      await reader.close();
      return rowObjects(out);
    },
  };
}

function rowObjects(out: readonly Record<string, unknown>[]): ReadResult {
  const at = (i: number): Record<string, unknown> => {
    const r = out[i];
    if (!r) throw new Error(`row ${i} missing`);
    return r;
  };
  return {
    rows: out.length,
    tsEventMicros: (i) => micros(at(i)['ts_event']),
    tsKnownMicros: (i) => micros(at(i)['ts_known']),
    symbol: (i) => String(at(i)['symbol']),
    bid: (i) => Number(at(i)['bid']),
    ask: (i) => Number(at(i)['ask']),
    bidSize: (i) => Number(at(i)['bid_size']),
    askSize: (i) => Number(at(i)['ask_size']),
  };
}

/** hyparquet's default parser maps TIMESTAMP_MICROS to Date (ms); this keeps exact µs numbers. */
const exactMicros = { timestampFromMicroseconds: (v: bigint): number => Number(v) };

function hyparquetObjectsReader(bytes: Uint8Array, exact: boolean): Reader {
  return {
    name: exact ? 'hyparquet objects, µs parser' : 'hyparquet objects (Date)',
    rows: ROWS,
    note: exact ? 'parsers.timestampFromMicroseconds → number' : 'default parsers',
    async read() {
      const file = inMemoryAsyncBuffer(bytes);
      const rows = await parquetReadObjects(exact ? { file, parsers: exactMicros } : { file });
      return rowObjects(rows);
    },
  };
}

function hyparquetColumnsReader(bytes: Uint8Array): Reader {
  return {
    name: 'hyparquet columns, µs parser',
    rows: ROWS,
    note: 'parquetRead onChunk → typed arrays',
    async read() {
      const file = inMemoryAsyncBuffer(bytes);
      const metadata: FileMetaData = parquetMetadata(bytes);
      const n = Number(metadata.num_rows);
      const tsEvent = new Float64Array(n);
      const tsKnown = new Float64Array(n);
      const seq = new Float64Array(n);
      const symbol: string[] = new Array<string>(n);
      const bid = new Float64Array(n);
      const ask = new Float64Array(n);
      const bidSize = new Int32Array(n);
      const askSize = new Int32Array(n);
      const targets: Record<string, Float64Array | Int32Array | string[]> = {
        ts_event: tsEvent,
        ts_known: tsKnown,
        seq,
        symbol,
        bid,
        ask,
        bid_size: bidSize,
        ask_size: askSize,
      };
      const onChunk = ({ columnName, columnData, rowStart }: ColumnData): void => {
        const target = targets[columnName];
        if (!target) return;
        if (Array.isArray(target)) {
          for (let i = 0; i < columnData.length; i++) target[rowStart + i] = columnData[i] as string;
        } else if (columnData instanceof BigInt64Array) {
          int64ToFloat64(columnData, target as Float64Array, rowStart);
        } else if (ArrayBuffer.isView(columnData)) {
          target.set(columnData as ArrayLike<number>, rowStart);
        } else {
          for (let i = 0; i < columnData.length; i++) target[rowStart + i] = columnData[i] as number;
        }
      };
      await parquetRead({ file, metadata, parsers: exactMicros, onChunk });
      return {
        rows: n,
        tsEventMicros: (i) => tsEvent[i] ?? NaN,
        tsKnownMicros: (i) => tsKnown[i] ?? NaN,
        symbol: (i) => symbol[i] ?? '',
        bid: (i) => bid[i] ?? NaN,
        ask: (i) => ask[i] ?? NaN,
        bidSize: (i) => bidSize[i] ?? NaN,
        askSize: (i) => askSize[i] ?? NaN,
      };
    },
  };
}

function parquetWasmReader(bytes: Uint8Array, batchSize: number | undefined): Reader {
  return {
    name: `parquet-wasm → arrow${batchSize === undefined ? '' : ' (1 batch)'}`,
    rows: ROWS,
    note: batchSize === undefined ? 'default batchSize 1024' : `batchSize ${batchSize.toLocaleString('en-US')}`,
    async read() {
      const wasmTable = pw.readParquet(bytes, batchSize === undefined ? undefined : { batchSize });
      const table = tableFromIPC(wasmTable.intoIPCStream()); // intoIPCStream consumes the wasm table
      const col = (name: string): Vector => {
        const v = table.getChild(name);
        if (!v) throw new Error(`column ${name} missing`);
        return v;
      };
      const n = table.numRows;
      const tsEvent = new Float64Array(n);
      const tsKnown = new Float64Array(n);
      const seq = new Float64Array(n);
      for (const [name, out] of [['ts_event', tsEvent], ['ts_known', tsKnown], ['seq', seq]] as const) {
        let at = 0;
        for (const d of col(name).data) {
          int64ToFloat64((d.values as BigInt64Array).subarray(d.offset, d.offset + d.length), out, at);
          at += d.length;
        }
      }
      const bid = col('bid').toArray() as Float64Array;
      const ask = col('ask').toArray() as Float64Array;
      const bidSize = col('bid_size').toArray() as Int32Array;
      const askSize = col('ask_size').toArray() as Int32Array;
      // Dictionary column: take the int32 keys + the dictionary strings instead of
      // materialising a string per row (toArray() on a Dictionary vector would do that).
      // Each parquet row group carries its own dictionary, so batches from different row
      // groups hold different dictionary vectors: remap their keys onto one symbol list.
      const symData = col('symbol').data;
      const symCodes = new Int32Array(n);
      const symbolNames: string[] = [];
      const symbolIndex = new Map<string, number>();
      let lastDict: Vector | undefined;
      let remap = new Int32Array(0);
      let at = 0;
      for (const d of symData) {
        if (!d.dictionary) throw new Error('symbol is not dictionary-encoded');
        if (d.dictionary !== lastDict) {
          lastDict = d.dictionary;
          const names = d.dictionary.toArray() as string[];
          remap = new Int32Array(names.length);
          names.forEach((name, k) => {
            let id = symbolIndex.get(name);
            if (id === undefined) {
              id = symbolNames.push(name) - 1;
              symbolIndex.set(name, id);
            }
            remap[k] = id;
          });
        }
        const keys = (d.values as Int32Array).subarray(d.offset, d.offset + d.length);
        for (let i = 0; i < keys.length; i++) symCodes[at + i] = remap[keys[i] ?? 0] ?? -1;
        at += d.length;
      }
      return {
        rows: n,
        tsEventMicros: (i) => tsEvent[i] ?? NaN,
        tsKnownMicros: (i) => tsKnown[i] ?? NaN,
        symbol: (i) => symbolNames[symCodes[i] ?? -1] ?? '',
        bid: (i) => bid[i] ?? NaN,
        ask: (i) => ask[i] ?? NaN,
        bidSize: (i) => bidSize[i] ?? NaN,
        askSize: (i) => askSize[i] ?? NaN,
      };
    },
  };
}

// ---------------------------------------------------------------- checks & timing

interface Check {
  readonly valuesOk: boolean;
  readonly microsExact: boolean;
  readonly detail: string;
}

function check(q: Quotes, r: ReadResult, rows: number): Check {
  if (r.rows !== rows) return { valuesOk: false, microsExact: false, detail: `got ${r.rows} rows, want ${rows}` };
  let tsMismatch = 0;
  let firstBad = -1;
  let otherBad = 0;
  for (let i = 0; i < rows; i++) {
    const okTs = r.tsEventMicros(i) === Number(q.tsEvent[i]) && r.tsKnownMicros(i) === Number(q.tsKnown[i]);
    if (!okTs) {
      tsMismatch++;
      if (firstBad < 0) firstBad = i;
    }
    if (
      r.symbol(i) !== q.symbols[q.symbolCodes[i] ?? -1] ||
      r.bid(i) !== q.bid[i] ||
      r.ask(i) !== q.ask[i] ||
      r.bidSize(i) !== q.bidSize[i] ||
      r.askSize(i) !== q.askSize[i]
    ) otherBad++;
  }
  const sample =
    firstBad < 0
      ? ''
      : `; e.g. row ${firstBad}: want ${Number(q.tsEvent[firstBad])} got ${r.tsEventMicros(firstBad)}`;
  return {
    valuesOk: otherBad === 0,
    microsExact: tsMismatch === 0,
    detail: `${tsMismatch} timestamp rows off, ${otherBad} other rows off${sample}`,
  };
}

async function timeReader(reader: Reader, q: Quotes): Promise<{ best: number; check: Check }> {
  // warm-up (JIT, wasm instantiation); its result is the one checked
  const result = check(q, await reader.read(), reader.rows);
  let best = Infinity;
  for (let run = 0; run < RUNS; run++) {
    gc();
    const t0 = performance.now();
    const rows = (await reader.read()).rows;
    const dt = (performance.now() - t0) / 1000;
    if (rows !== reader.rows) throw new Error(`${reader.name}: run ${run} read ${rows} rows`);
    best = Math.min(best, dt);
  }
  return { best, check: result };
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, c) => (c === 0 || c === cells.length - 1 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'parquet-bench-'));
  try {
    let t0 = performance.now();
    const q = generateQuotes(ROWS);
    console.log(`generated ${fmtInt(ROWS)} quote rows in ${((performance.now() - t0) / 1000).toFixed(2)} s`);

    t0 = performance.now();
    const bytes = writeWithParquetWasm(quotesTable(q), 'symbol');
    const path = join(dir, 'quotes.parquet');
    writeFileSync(path, bytes);
    console.log(
      `parquet-wasm wrote ${path}: ${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB ` +
        `(${(bytes.byteLength / ROWS).toFixed(1)} B/row) in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
    );

    // parquetjs-lite: too slow for all rows, and cannot decode the main file (see probe below),
    // so it reads a PLAIN-encoded copy of the first PJS_ROWS rows.
    const pjsPath = join(dir, 'quotes-plain-subset.parquet');
    writeFileSync(pjsPath, writeWithParquetWasm(quotesTable(q, PJS_ROWS), 'none'));

    // Schema as written, read back with hyparquet's metadata reader.
    const fileBytes = new Uint8Array(readFileSync(path));
    const meta = parquetMetadata(fileBytes);
    const col0 = meta.row_groups[0]?.columns[0]?.meta_data;
    console.log(
      `row groups: ${meta.row_groups.length}, codec: ${col0?.codec ?? '?'}, created_by: ${meta.created_by ?? '?'}`,
    );
    for (const el of meta.schema.slice(1)) {
      const lt = el.logical_type ? JSON.stringify(el.logical_type) : '-';
      console.log(
        `  ${el.name.padEnd(9)} ${String(el.type).padEnd(10)} ${String(el.repetition_type).padEnd(8)} ` +
          `converted=${el.converted_type ?? '-'} logical=${lt}`,
      );
    }
    for (const name of ['ts_event', 'ts_known']) {
      const el = meta.schema.find((e) => e.name === name);
      const lt = el?.logical_type;
      if (!(lt?.type === 'TIMESTAMP' && lt.unit === 'MICROS' && lt.isAdjustedToUTC)) {
        throw new Error(`${name} is not TIMESTAMP(MICROS, isAdjustedToUTC=true): ${JSON.stringify(lt)}`);
      }
    }
    console.log('ok: ts_event and ts_known are TIMESTAMP(MICROS, isAdjustedToUTC=true)');
    console.log(`parquetjs-lite on this file: ${await probeParquetjs(path)}\n`);

    const readers: Reader[] = [
      parquetjsLiteReader(pjsPath, PJS_ROWS),
      hyparquetObjectsReader(fileBytes, false),
      hyparquetObjectsReader(fileBytes, true),
      hyparquetColumnsReader(fileBytes),
      parquetWasmReader(fileBytes, undefined),
      parquetWasmReader(fileBytes, ROWS),
    ];

    const out: string[][] = [];
    const notes: string[] = [];
    for (const reader of readers) {
      process.stdout.write(`timing ${reader.name} ... `);
      try {
        const { best, check: c } = await timeReader(reader, q);
        console.log(`${best.toFixed(3)} s`);
        out.push([
          reader.name,
          fmtInt(reader.rows),
          best.toFixed(3),
          fmtInt(reader.rows / best),
          c.microsExact ? 'yes' : 'no',
          c.valuesOk ? 'ok' : 'BAD',
          reader.note,
        ]);
        if (!c.microsExact || !c.valuesOk) notes.push(`${reader.name}: ${c.detail}`);
      } catch (err) {
        console.log('failed');
        out.push([reader.name, fmtInt(reader.rows), '-', '-', '-', 'ERROR', String(err).slice(0, 80)]);
      }
    }

    console.log(`\nfile: ${(bytes.byteLength / 2 ** 20).toFixed(1)} MiB, ${fmtInt(ROWS)} rows; best of ${RUNS} after 1 warm-up\n`);
    printTable(['library', 'rows', 'seconds', 'rows/s', 'micros-exact', 'values', 'note'], out);
    if (notes.length) console.log(`\n${notes.join('\n')}`);
    if (opts.keep) console.log(`\nkept ${dir}`);
  } finally {
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
