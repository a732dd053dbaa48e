/**
 * `alpha itch convert | book | simulate` and `alpha venue flow` on hostile files: each refuses in one
 * `alpha:` line (exit 1) what the rest of the project would refuse or misread, and never lets a file's
 * control bytes reach the terminal. The ITCH files are written here (test/helpers/itch-writer.ts), the
 * datasets with the project's Parquet writer.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newYorkMidnight, regularSession } from '../../lib/core/exchange-time.ts';
import { tableFromColumns } from '../../lib/io/avro-arrow.ts';
import { readParquetFile, writeParquetFile } from '../../lib/io/parquet.ts';
import { readManifest } from '../../pipelines/data/manifest.ts';
import { FIRST_SESSION_DATE, LAST_SESSION_DATE, sessionDateProblem } from '../../pipelines/itch/exchange-time.ts';
import { type CliRun, runAlpha } from '../helpers/cli.ts';
import { ItchWriter } from '../helpers/itch-writer.ts';
import { colo } from '../../native/colo/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-hostile-itch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = (name: string): string => join(dir, name);
const HOUR = 3_600_000_000_000n;

/** One `alpha:` line on stderr, exit 1, no stack trace and no control byte but the final newline. */
function refusedInOneLine(r: CliRun): string {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toMatch(/^alpha: [^\n]*\n$/);
  expect(r.stderr).not.toMatch(/unexpected error|\bat .*\.ts:\d+/);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control bytes are what must not appear.
  expect(r.stderr.slice(0, -1)).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
  return r.stderr;
}

/** An ITCH file naming `symbols` (raw bytes as char codes) at locates 1, 2, … each with a two-sided book and a print. */
function itchFile(name: string, symbols: readonly string[], at: bigint = 10n * HOUR): string {
  const w = new ItchWriter();
  w.systemEvent(at, 'O');
  symbols.forEach((s, i) => w.stockDirectory(i + 1, at, s));
  symbols.forEach((s, i) => {
    const ref = BigInt(i * 10);
    w.add(i + 1, at, ref + 1n, 'B', 100, s, 1_000_000);
    w.add(i + 1, at + 1n, ref + 2n, 'S', 100, s, 1_001_000);
    w.trade(i + 1, at + 2n, 'B', 50, s, 1_000_000, ref + 3n);
  });
  writeFileSync(path(name), w.bytes());
  return path(name);
}

const convert = (file: string, out: string, ...more: string[]): Promise<CliRun> =>
  runAlpha(['itch', 'convert', file, '--out', path(out), ...more], 30_000);

describe('alpha itch convert refuses a dataset the rest of the project would refuse or misread', () => {
  it('refuses a stock directory that names a symbol at two locates, naming it and both', async () => {
    const file = itchFile('dup.itch', ['AAPL', 'AAPL']);
    const line = refusedInOneLine(await convert(file, 'dup', '--date', '2024-01-03'));
    expect(line).toContain('"AAPL" at locates 1 and 2');
    expect(existsSync(path('dup'))).toBe(false);
  });

  it('takes --date only in the range a dataset manifest holds', async () => {
    const file = itchFile('ok.itch', ['AAPL']);
    for (const date of ['1900-01-01', '1969-12-31', '2255-06-05', '9999-12-31']) {
      const line = refusedInOneLine(await convert(file, `d-${date}`, '--date', date));
      expect(line).toContain(`--date is "${date}": expected a date from 1970-01-01 to 2255-06-04`);
      expect(existsSync(path(`d-${date}`))).toBe(false);
    }
    for (const date of [FIRST_SESSION_DATE, LAST_SESSION_DATE]) {
      const r = await convert(file, `d-${date}`, '--date', date);
      expect(r.code, r.stderr).toBe(0);
      expect(readManifest(path(`d-${date}`)).sessions[0]!.date).toBe(date); // validated: open, close in range
    }
    // The range is the one whose whole day fits 0 … 2^53 − 1 µs.
    expect(sessionDateProblem('1970-01-01')).toBeUndefined();
    expect(sessionDateProblem('2255-06-04')).toBeUndefined();
    expect(sessionDateProblem('2255-06-05')).toBeDefined();
    expect(newYorkMidnight('2255-06-04') + 86_400_000_000).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
    expect(regularSession('1970-01-01').open).toBeGreaterThan(0);
  }, 60_000);

  it('refuses a date out of range taken from a NASDAQ file name', async () => {
    const named = itchFile('01011900.NASDAQ_ITCH50', ['AAPL']);
    const line = refusedInOneLine(await convert(named, 'named'));
    expect(line).toContain('session date 1900-01-01');
    expect(existsSync(path('named'))).toBe(false);
  });

  it.each([
    ['control bytes', '\x01\x02'],
    ['an escape sequence', '\x1b[2J'],
    ['a space', 'A B'],
    ['a comma', 'A,B'],
    ['bytes not UTF-8', '\xff\xfe'],
    ['a path', '../x'],
    ['a when-issued mark', 'SPIN#'],
  ])('leaves out a symbol with %s, and its rows, as alpha data ingest would refuse it', async (what, symbol) => {
    const file = itchFile(`sym-${what.replaceAll(' ', '-')}.itch`, ['GOOD', symbol]);
    const r = await convert(file, `sym-${what}`, '--date', '2024-01-03');
    expect(r.code, r.stderr).toBe(0);
    const warning = r.stderr.split('\n').find((l) => l.startsWith('alpha: warning: 1 symbol(s) a dataset cannot name left out'));
    expect(warning).toContain('stock locate 2: symbol');
    expect(warning).toContain('expected 1 to 16 letters, digits or ._/^+=-');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control bytes are what must not appear.
    expect(r.stderr).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    // The dataset holds the good symbol only, and the backtest's reader takes it.
    const manifest = readManifest(path(`sym-${what}`));
    expect(manifest.universe.map((u) => u.symbol)).toEqual(['GOOD']);
    expect(manifest.datasets['quotes']!.rows).toBeGreaterThan(0);
    const trades = readParquetFile(join(path(`sym-${what}`), manifest.datasets['trades']!.files[0]!));
    expect(trades.getChild('symbol')!.toArray()).toEqual(['GOOD']);
  });

  it('writes no print without a price or shares (a replay would refuse it), and counts them', async () => {
    const w = new ItchWriter();
    const at = 10n * HOUR;
    w.openTwoSided(1, at, 'AAPL');
    w.trade(1, at + 2n, 'B', 50, 'AAPL', 1_000_000, 3n);
    w.trade(1, at + 3n, 'B', 50, 'AAPL', 0, 4n);
    w.trade(1, at + 4n, 'B', 0, 'AAPL', 1_000_000, 5n);
    writeFileSync(path('zero.itch'), w.bytes());
    const r = await convert(path('zero.itch'), 'zero', '--date', '2024-01-03');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('2 prints without a price or shares not written');
    const manifest = readManifest(path('zero'));
    expect(manifest.datasets['trades']!.rows).toBe(1);
  });

  it('refuses a file whose every traded symbol is one a dataset cannot name, saying why', async () => {
    const file = itchFile('sym-all-bad.itch', ['A B']);
    const line = refusedInOneLine(await convert(file, 'sym-all-bad', '--date', '2024-01-03'));
    expect(line).toContain('no quotes or trades to write (1 symbol(s) left out:');
    expect(existsSync(path('sym-all-bad'))).toBe(false);
  });

  it('refuses rows stamped 24 h or more after midnight, which no day of the dataset holds', async () => {
    const file = itchFile('late.itch', ['AAPL'], (1n << 48n) - 10n);
    const line = refusedInOneLine(await convert(file, 'late', '--date', '2024-01-03'));
    expect(line).toContain('stamped 24 h or more after midnight (first: message 3, AAPL at 78:11:14.976710');
    expect(existsSync(path('late'))).toBe(false);
    // At 23:59:59.999999999 the day still holds it.
    const r = await convert(itchFile('last.itch', ['AAPL'], 24n * HOUR - 3n), 'last', '--date', '2024-01-03');
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('alpha itch book', () => {
  it('says, and exits 1, when rows are stamped 24 h or more after midnight', async () => {
    const r = await runAlpha(['itch', 'book', itchFile('late-book.itch', ['AAPL'], 30n * HOUR)], 30_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^AAPL +100\.0000 +100\.1000/m);
    expect(r.stderr).toMatch(/^alpha: .*late-book\.itch: 3 top-of-book change\(s\) and print\(s\) stamped 24 h or more after midnight/m);
  });

  it('shows control bytes of symbols escaped, in the table and in JSON', async () => {
    const file = itchFile('ctl.itch', ['\nalpha: ', '\x1b[31mX', '\r\x07', '\xc2\x9b2J']);
    const table = await runAlpha(['itch', 'book', file], 30_000);
    expect(table.code, table.stderr).toBe(0);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control bytes are what must not appear.
    expect(table.stdout.replaceAll('\n', '')).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    expect(table.stdout).not.toMatch(/^alpha:/m);
    expect(table.stdout).toContain('\\x0aalpha:');
    expect(table.stdout).toContain('\\x1b[31mX');
    expect(table.stdout).toContain('\\x0d\\x07');
    const json = await runAlpha(['itch', 'book', file, '--format', 'json'], 30_000);
    expect(json.code, json.stderr).toBe(0);
    // JSON leaves DEL and C1 characters raw: they must be escaped before.
    expect(json.stdout).not.toMatch(/[\x7f-\x9f]/);
    const symbols = (JSON.parse(json.stdout) as { symbols: { symbol: string }[] }).symbols.map((s) => s.symbol);
    expect(symbols).toEqual(['\\x0aalpha:', '\\x1b[31mX', '\\x0d\\x07', '\\x9b2J']);
  });
});

describe('alpha itch simulate', () => {
  it('refuses more messages than it writes reliably, at once', async () => {
    const started = Date.now();
    const line = refusedInOneLine(await runAlpha(['itch', 'simulate', '--out', path('big.itch'), '--messages', '100000000'], 20_000));
    expect(line).toContain('--messages is "100000000": expected an integer from 1 to 50,000,000');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(existsSync(path('big.itch'))).toBe(false);
  });
});

describe('alpha venue flow on values ITCH cannot carry', () => {
  const DATE = '2024-01-03';
  const at = newYorkMidnight(DATE) + 10 * 3_600_000_000;

  /** A one-day dataset of one symbol: one quote and one trade, with the given values. */
  function dataset(name: string, q: { bid: number; ask: number; bidSize: number; askSize: number }, t: { price: number; size: number }) {
    const out = path(name);
    mkdirSync(join(out, 'quotes'), { recursive: true });
    mkdirSync(join(out, 'trades'), { recursive: true });
    const one = (x: number): Float64Array => Float64Array.of(x);
    const common = {
      ts_event: one(at),
      ts_known: one(at),
      symbol: { indices: Int32Array.of(0), dictionary: ['AAPL'] },
      seq: one(1),
      id: one(1),
      version: Int32Array.of(1),
    };
    writeParquetFile(
      join(out, `quotes/${DATE}.parquet`),
      tableFromColumns('Quote', { ...common, bid: one(q.bid), ask: one(q.ask), bid_size: one(q.bidSize), ask_size: one(q.askSize) }, 1),
    );
    writeParquetFile(
      join(out, `trades/${DATE}.parquet`),
      tableFromColumns(
        'Trade',
        {
          ...common,
          price: one(t.price),
          size: one(t.size),
          aggressor: { indices: Int32Array.of(0), dictionary: ['BUY', 'SELL', 'UNKNOWN'] },
        },
        1,
      ),
    );
    const manifest = {
      format: 1,
      dates: [DATE],
      sessions: [{ date: DATE, ...regularSession(DATE) }],
      universe: [{ symbol: 'AAPL', sector: 'UNKNOWN' }],
      datasets: {
        quotes: { schema: 'Quote', files: [`quotes/${DATE}.parquet`] },
        trades: { schema: 'Trade', files: [`trades/${DATE}.parquet`] },
      },
    };
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest));
    return out;
  }
  const flow = (data: string, out: string): Promise<CliRun> =>
    runAlpha(['venue', 'flow', '--data', data, '--date', DATE, '--out', path(out)], 30_000);
  const quote = { bid: 100, ask: 100.01, bidSize: 100, askSize: 100 };
  const trade = { price: 100, size: 10 };

  it.each([
    ['a bid above 429,496.7295', { ...quote, bid: 500_000, ask: 500_001 }, trade, 'bid is 500000: ITCH prices have 4 decimal places'],
    [
      'a size above 2^32 − 1',
      { ...quote, bidSize: 5e9 },
      trade,
      'bid_size is 5000000000: ITCH share counts are whole, expected 0 to 4,294,967,295',
    ],
    ['a price that rounds to 0', { ...quote, bid: 0.00004 }, trade, 'bid is 0.00004: ITCH prices have 4 decimal places, expected 0.0001'],
    ['a trade price above the limit', quote, { price: 429_496.72955, size: 10 }, 'price is 429496.72955: ITCH prices'],
    ['a trade size above the limit', quote, { price: 100, size: 2 ** 32 }, 'size is 4294967296: ITCH share counts'],
  ])('refuses %s in one line naming the symbol, the time, the value and the limit', async (what, q, t, detail) => {
    const data = dataset(`flow-${what.replaceAll(/\W+/g, '-')}`, q, t);
    const out = `flow-${what.replaceAll(/\W+/g, '-')}.itch`;
    const line = refusedInOneLine(await flow(data, out));
    expect(line).toContain('AAPL at 2024-01-03T15:00:00.000000Z');
    expect(line).toContain(detail);
    expect(existsSync(path(out))).toBe(false);
  });

  it('moves a sub-penny quote at or above $1.00 onto whole cents (bid down, ask up) and counts it; a print at the quoted touch still executes it', async () => {
    // The venue refuses such a price from a client (Reg NMS Rule 612): its background shows none either.
    const data = dataset('flow-sub-penny', { bid: 100.005, ask: 100.015, bidSize: 100, askSize: 100 }, { price: 100.015, size: 10 });
    const r = await flow(data, 'flow-sub-penny.itch');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('2 sub-penny quote prices at or above $1.00 moved onto whole cents, bids down and asks up');
    const itch = new (colo().ItchFile)(path('flow-sub-penny.itch'));
    await itch.run();
    const aapl = itch.summary().symbols.find((x) => x.symbol === 'AAPL');
    // The buy at 100.015 met the ask as the dataset quoted it: an execution of 10 of its 100 shares, not a hidden print.
    expect({ ...aapl, bid: Math.round(aapl!.bid! * 1e4), ask: Math.round(aapl!.ask! * 1e4) }).toMatchObject({
      bid: 1_000_000,
      ask: 1_000_200,
      bidSize: 100,
      askSize: 90,
      messages: expect.objectContaining({ E: 1 }),
    });
    expect(aapl!.messages['P'] ?? 0).toBe(0);

    // Below $1.00 the grid is $0.0001: nothing moves.
    const cheap = dataset('flow-sub-dollar', { bid: 0.5005, ask: 0.5015, bidSize: 100, askSize: 100 }, { price: 0.5015, size: 10 });
    const c = await flow(cheap, 'flow-sub-dollar.itch');
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toContain(' 0 sub-penny quote prices');
    const cheapFile = new (colo().ItchFile)(path('flow-sub-dollar.itch'));
    await cheapFile.run();
    const penny = cheapFile.summary().symbols.find((x) => x.symbol === 'AAPL');
    expect([Math.round(penny!.bid! * 1e4), Math.round(penny!.ask! * 1e4), penny!.askSize]).toEqual([5005, 5015, 90]);
  });

  it('refuses 429,496.72955 as an ask, and 429,496.7295 (its cent above is past ITCH), and writes the largest values ITCH carries', async () => {
    const over = dataset('flow-over', { ...quote, ask: 429_496.72955 }, trade);
    expect(refusedInOneLine(await flow(over, 'flow-over.itch'))).toContain('ask is 429496.72955: ITCH prices');
    const subPenny = dataset('flow-sub-penny-max', { ...quote, bid: 429_496.71, ask: 429_496.7295 }, trade);
    expect(refusedInOneLine(await flow(subPenny, 'flow-sub-penny-max.itch'))).toContain(
      'ask is 429496.7295: from $1.00 the venue quotes whole cents (Reg NMS Rule 612), and the cent above it, 429,496.73, is more than ITCH carries (429,496.7295)',
    );
    // From $1.00 quotes are whole cents: the largest ask is 429,496.72; a print may be any ITCH price.
    const data = dataset(
      'flow-max',
      { bid: 429_496.71, ask: 429_496.72, bidSize: 2 ** 32 - 1, askSize: 1 },
      { price: 0.0001, size: 2 ** 32 - 1 },
    );
    const r = await flow(data, 'flow-max.itch');
    expect(r.code, r.stderr).toBe(0);
  });
});
