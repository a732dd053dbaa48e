/**
 * `alpha itch convert` of simulated days (`alpha itch simulate`), as a user runs it, in bounded memory.
 *
 * Rows: the dataset holds the file's two-sided uncrossed tops and its prints with a price and shares,
 * at µs since the epoch, in time order (stable), numbered 1…n, each symbol by its name; derived here
 * from the book's own rows (colo's ItchFile.next) with those rules written out again, not with the
 * converter's code. Its files are the bytes that writing the day at once gives (writeParquetFile of
 * the whole table, what the converter did before it streamed), and per symbol its trades and shares
 * are what `alpha itch book` counts. Memory: converting a file 4× larger peaks at less than 1.5× the
 * RSS (writing the day at once peaked at about 3×: it held every row until the end).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newYorkMidnight } from '../../lib/core/exchange-time.ts';
import { tableFromColumns } from '../../lib/io/avro-arrow.ts';
import { readParquetFile, writeParquetFile } from '../../lib/io/parquet.ts';
import { colo } from '../../native/colo/index.ts';
import { readManifest } from '../../pipelines/data/manifest.ts';
import { type CliRun, ROOT, runAlpha } from '../helpers/cli.ts';
import { ItchWriter } from '../helpers/itch-writer.ts';

const DATE = '2024-01-02';
const MIDNIGHT = newYorkMidnight(DATE);
const dir = mkdtempSync(join(tmpdir(), 'alpha-e2e-itch-convert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Prints the process's peak RSS (KB) as its last stderr line: loaded before the command. */
const PEAK = join(dir, 'peak-rss.mjs');
writeFileSync(PEAK, "process.on('exit', () => process.stderr.write('peak-rss-kb ' + process.resourceUsage().maxRSS + '\\n'));\n");

/** `alpha itch convert FILE --out OUT --date DATE` and its peak RSS in KB. */
function convert(file: string, out: string): Promise<CliRun & { peakKb: number }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', pathToFileURL(PEAK).href, join(ROOT, 'bin/alpha.mjs'), 'itch', 'convert', file, '--out', out, '--date', DATE],
      { cwd: ROOT, timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : null) : 0,
          stdout,
          stderr,
          peakKb: Number(/peak-rss-kb (\d+)/.exec(stderr)?.[1] ?? Number.NaN),
        }),
    );
  });
}

interface Row {
  ts: number;
  locate: number;
  values: number[];
}

/**
 * The dataset's rows as the rules say, from the book's rows: a top is a quote when both sides are
 * there and bid ≤ ask; a print is a trade when its price and shares are above 0; µs = midnight +
 * ⌊ns / 1000⌋; rows in time order, ties in file order (Array.prototype.sort is stable); symbols
 * named as the stock directory names them, coded in name order.
 */
function expectedDay(file: string): { quotes: Row[]; trades: Row[]; dictionary: string[]; code: Map<number, number> } {
  const itch = new (colo().ItchFile)(file);
  const quotes: Row[] = [];
  const trades: Row[] = [];
  for (;;) {
    const step = itch.next(1 << 18);
    const q = step.quotes;
    for (let i = 0; i < q.locate.length; i++) {
      if (!(q.bid_size[i]! > 0 && q.ask_size[i]! > 0 && q.bid[i]! <= q.ask[i]!)) continue;
      const values = [q.bid[i]!, q.ask[i]!, q.bid_size[i]!, q.ask_size[i]!];
      quotes.push({ ts: MIDNIGHT + Math.floor(q.ts_ns[i]! / 1000), locate: q.locate[i]!, values });
    }
    const t = step.trades;
    for (let i = 0; i < t.locate.length; i++) {
      if (!(t.price[i]! > 0 && t.shares[i]! > 0)) continue;
      const aggressor = t.aggressor[i] === 'B'.charCodeAt(0) ? 0 : t.aggressor[i] === 'S'.charCodeAt(0) ? 1 : 2;
      trades.push({ ts: MIDNIGHT + Math.floor(t.ts_ns[i]! / 1000), locate: t.locate[i]!, values: [t.price[i]!, t.shares[i]!, aggressor] });
    }
    if (step.done) break;
  }
  const names = new Map(itch.summary().symbols.map((s) => [s.locate, s.symbol]));
  const traded = [...new Set([...quotes, ...trades].map((r) => r.locate))].sort((a, b) => (names.get(a)! < names.get(b)! ? -1 : 1));
  const byTime = (a: Row, b: Row): number => a.ts - b.ts;
  return {
    quotes: quotes.sort(byTime),
    trades: trades.sort(byTime),
    dictionary: traded.map((l) => names.get(l)!),
    code: new Map(traded.map((l, i) => [l, i])),
  };
}

/** The Parquet bytes of `rows` written at once, as the converter wrote a day before it streamed. */
function writtenAtOnce(path: string, schema: 'Quote' | 'Trade', rows: Row[], day: ReturnType<typeof expectedDay>): string {
  const n = rows.length;
  const col = (k: number): Float64Array => Float64Array.from(rows, (r) => r.values[k]!);
  const ts = Float64Array.from(rows, (r) => r.ts);
  const seq = Float64Array.from({ length: n }, (_, i) => i + 1);
  const common = {
    ts_event: ts,
    ts_known: ts,
    symbol: { indices: Int32Array.from(rows, (r) => day.code.get(r.locate)!), dictionary: day.dictionary },
    seq,
    id: seq,
    version: new Int32Array(n).fill(1),
  };
  const rest =
    schema === 'Quote'
      ? { bid: col(0), ask: col(1), bid_size: col(2), ask_size: col(3) }
      : {
          price: col(0),
          size: col(1),
          aggressor: { indices: Int32Array.from(rows, (r) => r.values[2]!), dictionary: ['BUY', 'SELL', 'UNKNOWN'] },
        };
  return createHash('sha256')
    .update(writeParquetFile(path, tableFromColumns(schema, { ...common, ...rest }, n)))
    .digest('hex');
}

/** The first index where two columns differ, or −1 (expect(…).toEqual over 10^5 values is slow and says little). */
function firstDifference(got: ArrayLike<unknown>, want: ArrayLike<unknown>): number {
  if (got.length !== want.length) return Math.min(got.length, want.length);
  for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) return i;
  return -1;
}

/** Checks a written file's columns against `rows`, column by column. */
function expectRows(path: string, rows: Row[], names: string[], day: ReturnType<typeof expectedDay>): void {
  const table = readParquetFile(path);
  const want: Record<string, ArrayLike<unknown>> = {
    ts_event: BigInt64Array.from(rows, (r) => BigInt(r.ts)),
    ts_known: BigInt64Array.from(rows, (r) => BigInt(r.ts)),
    symbol: rows.map((r) => day.dictionary[day.code.get(r.locate)!]),
    seq: BigInt64Array.from(rows, (_, i) => BigInt(i + 1)),
    ...Object.fromEntries(
      names.map((name, k) => [
        name,
        name === 'aggressor' ? rows.map((r) => ['BUY', 'SELL', 'UNKNOWN'][r.values[k]!]) : rows.map((r) => r.values[k]),
      ]),
    ),
  };
  expect(table.numRows).toBe(rows.length);
  for (const [name, values] of Object.entries(want)) {
    const got = table.getChild(name)!.toArray() as ArrayLike<unknown>;
    const at = firstDifference(got, values);
    expect(at, `${path}: ${name} differs at row ${at}: ${String(got[at])}, expected ${String(values[at])}`).toBe(-1);
  }
}

describe('alpha itch convert of a simulated day', () => {
  const small = join(dir, 'small.itch');
  const large = join(dir, 'large.itch');
  beforeAll(async () => {
    // 1,000,000 and 4,000,000 order-flow messages: 32 MB and 126 MB of ITCH (the large one ten batches of quotes).
    for (const [file, messages] of [
      [small, 1_000_000],
      [large, 4_000_000],
    ] as const) {
      const r = await runAlpha(['itch', 'simulate', '--out', file, '--messages', String(messages), '--seed', '3'], 60_000);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it('writes the rows the book gives, in the bytes of the day written at once, in memory that does not grow with the file', async () => {
    const s = await convert(small, join(dir, 'small'));
    expect(s.code, s.stderr).toBe(0);
    const l = await convert(large, join(dir, 'large'));
    expect(l.code, l.stderr).toBe(0);
    // The peak grows by the Parquet writer's row groups filling (the small day fills none), not with the day.
    expect(l.peakKb / s.peakKb, `peak RSS ${s.peakKb} KB for ${small}, ${l.peakKb} KB for the 4× larger ${large}`).toBeLessThan(1.5);

    const out = join(dir, 'large');
    const day = expectedDay(large);
    const manifest = readManifest(out);
    expect(manifest.universe.map((u) => u.symbol)).toEqual(day.dictionary);
    expect(manifest.datasets['quotes']!.rows).toBe(day.quotes.length);
    expect(manifest.datasets['trades']!.rows).toBe(day.trades.length);
    expect(day.quotes.length).toBeGreaterThan(8 * 65_536); // several of the writer's batches
    expectRows(join(out, `quotes/${DATE}.parquet`), day.quotes, ['bid', 'ask', 'bid_size', 'ask_size'], day);
    expectRows(join(out, `trades/${DATE}.parquet`), day.trades, ['price', 'size', 'aggressor'], day);
    // Byte for byte the files of the day written at once, hashed as the manifest says.
    expect(manifest.datasets['quotes']!.sha256).toEqual([writtenAtOnce(join(dir, 'quotes-at-once.parquet'), 'Quote', day.quotes, day)]);
    expect(manifest.datasets['trades']!.sha256).toEqual([writtenAtOnce(join(dir, 'trades-at-once.parquet'), 'Trade', day.trades, day)]);

    // Per symbol, the trades and shares `alpha itch book` counts (the simulation prints nothing of price or shares 0).
    const book = await runAlpha(['itch', 'book', large, '--format', 'json'], 60_000);
    expect(book.code, book.stderr).toBe(0);
    const counted = (JSON.parse(book.stdout) as { symbols: { symbol: string; trades: number; volume: number }[] }).symbols;
    const trades = readParquetFile(join(out, `trades/${DATE}.parquet`));
    const symbols = trades.getChild('symbol')!.toArray() as string[];
    const sizes = trades.getChild('size')!.toArray() as Float64Array;
    const written = new Map<string, { trades: number; volume: number }>();
    symbols.forEach((sym, i) => {
      const w = written.get(sym) ?? { trades: 0, volume: 0 };
      written.set(sym, { trades: w.trades + 1, volume: w.volume + sizes[i]! });
    });
    expect(Object.fromEntries(written)).toEqual(Object.fromEntries(counted.map((c) => [c.symbol, { trades: c.trades, volume: c.volume }])));
  });

  it('writes the rows of a file whose clock steps back in time order, ties in file order', async () => {
    // Two symbols; the clock goes back an hour halfway, and three prints share one µs (ns apart).
    const HOUR = 3_600_000_000_000n;
    const w = new ItchWriter();
    const at = 11n * HOUR;
    w.systemEvent(at, 'O');
    w.stockDirectory(1, at, 'BBB');
    w.stockDirectory(2, at, 'AAA');
    w.add(1, at, 1n, 'B', 100, 'BBB', 1_000_000);
    w.add(1, at + 10n, 2n, 'S', 100, 'BBB', 1_001_000);
    w.trade(1, at + 2_000n, 'B', 10, 'BBB', 1_000_000, 1n);
    w.trade(2, at - HOUR, 'S', 20, 'AAA', 500_000, 2n);
    w.add(2, at - HOUR + 5n, 3n, 'B', 300, 'AAA', 499_000);
    w.add(2, at - HOUR + 6n, 4n, 'S', 300, 'AAA', 501_000);
    w.trade(2, at + 2_100n, 'B', 30, 'AAA', 500_500, 3n);
    w.trade(1, at + 2_400n, 'S', 40, 'BBB', 1_000_500, 4n);
    w.trade(2, at + 2_999n, 'B', 50, 'AAA', 500_600, 5n);
    const file = join(dir, 'step-back.itch');
    writeFileSync(file, w.bytes());
    const r = await convert(file, join(dir, 'step-back'));
    expect(r.code, r.stderr).toBe(0);
    const trades = readParquetFile(join(dir, 'step-back', `trades/${DATE}.parquet`));
    const us = (ns: bigint): number => MIDNIGHT + Number(ns / 1000n);
    // Arrow gives a row's timestamp-micros as fractional milliseconds.
    const micros = (ms: unknown): number => Math.round(Number(ms) * 1000);
    expect(trades.toArray().map((row) => [micros(row['ts_event']), row['symbol'], row['size'], row['seq']])).toEqual([
      [us(at - HOUR), 'AAA', 20, 1n],
      // 11:00:00.000002{000,100,400,999}: one µs, in file order
      [us(at + 2_000n), 'BBB', 10, 2n],
      [us(at + 2_100n), 'AAA', 30, 3n],
      [us(at + 2_400n), 'BBB', 40, 4n],
      [us(at + 2_999n), 'AAA', 50, 5n],
    ]);
    const quotes = readParquetFile(join(dir, 'step-back', `quotes/${DATE}.parquet`));
    expect(quotes.toArray().map((row) => [micros(row['ts_event']), row['symbol'], row['bid'], row['ask'], row['seq']])).toEqual([
      [us(at - HOUR + 6n), 'AAA', 49.9, 50.1, 1n],
      [us(at + 10n), 'BBB', 100, 100.1, 2n],
    ]);
    expect(readManifest(join(dir, 'step-back')).universe.map((u) => u.symbol)).toEqual(['AAA', 'BBB']);
  });
});
