/**
 * `alpha itch book` and `alpha itch convert` on ITCH files written here (test/helpers/itch-writer.ts,
 * from the spec, not the C++ encoder), against a book this test keeps itself: orders in a Map, each
 * symbol's top recomputed from every live order after every message.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readParquetFile } from '../../lib/io/parquet.ts';
import { readManifest } from '../../pipelines/data/manifest.ts';
import { newYorkMidnight } from '../../lib/core/exchange-time.ts';
import { runAlpha } from '../helpers/cli.ts';
import { ItchWriter } from '../helpers/itch-writer.ts';

interface Live {
  locate: number;
  side: 'B' | 'S';
  shares: number;
  price: number;
}
interface Top {
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
}
const STOCKS = ['AAPL', 'MSFT', 'ZVZZT'];

/** Lehmer generator: the test's own randomness, seeded. */
function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

function topOf(orders: Map<bigint, Live>, locate: number): Top {
  const bids = new Map<number, number>();
  const asks = new Map<number, number>();
  for (const o of orders.values()) {
    if (o.locate !== locate) continue;
    const side = o.side === 'B' ? bids : asks;
    side.set(o.price, (side.get(o.price) ?? 0) + o.shares);
  }
  const bid = bids.size ? Math.max(...bids.keys()) : 0;
  const ask = asks.size ? Math.min(...asks.keys()) : 0;
  return { bid, ask, bidSize: bids.get(bid) ?? 0, askSize: asks.get(ask) ?? 0 };
}

/** A random session and what the test expects of it. */
function session(seed: number, messages: number) {
  const w = new ItchWriter();
  const r = rng(seed);
  const orders = new Map<bigint, Live>();
  const counts = STOCKS.map(() => ({}) as Record<string, number>);
  const volume = STOCKS.map(() => 0);
  const trades = STOCKS.map(() => 0);
  const lastTop = STOCKS.map((): Top => ({ bid: 0, ask: 0, bidSize: 0, askSize: 0 }));
  const quotes: { ts: bigint; locate: number; top: Top }[] = [];
  const prints: { ts: bigint; locate: number; price: number; shares: number; aggressor: string }[] = [];
  const count = (locate: number, type: string) => {
    const c = counts[locate - 1]!;
    c[type] = (c[type] ?? 0) + 1;
  };
  const changed = (locate: number, ts: bigint) => {
    const top = topOf(orders, locate);
    const last = lastTop[locate - 1]!;
    if (top.bid !== last.bid || top.ask !== last.ask || top.bidSize !== last.bidSize || top.askSize !== last.askSize) {
      lastTop[locate - 1] = top;
      quotes.push({ ts, locate, top });
    }
  };
  const print = (locate: number, ts: bigint, price: number, shares: number, aggressor: string) => {
    volume[locate - 1]! += shares;
    trades[locate - 1]! += 1;
    prints.push({ ts, locate, price, shares, aggressor });
  };
  let ts = 34_200_000_000_000n;
  let ref = 1n;
  let match = 1n;
  w.systemEvent(ts, 'O');
  STOCKS.forEach((s, i) => {
    w.stockDirectory(i + 1, ts, s);
    count(i + 1, 'R');
  });
  for (let i = 0; i < messages; i++) {
    ts += BigInt(1 + Math.floor(r() * 5_000_000));
    const locate = 1 + Math.floor(r() * STOCKS.length);
    const stock = STOCKS[locate - 1]!;
    const mine = [...orders.entries()].filter(([, o]) => o.locate === locate);
    const k = r();
    if (k < 0.4 || mine.length === 0) {
      const side = r() < 0.5 ? 'B' : 'S';
      // Bids at or below $100.00, asks above it: the book never crosses.
      const price = side === 'B' ? 1_000_000 - 100 * Math.floor(r() * 8) : 1_000_100 + 100 * Math.floor(r() * 8);
      const shares = 1 + Math.floor(r() * 900);
      const mpid = r() < 0.2 ? 'MPID' : undefined;
      w.add(locate, ts, ref, side, shares, stock, price, mpid);
      count(locate, mpid ? 'F' : 'A');
      orders.set(ref++, { locate, side, shares, price });
      changed(locate, ts);
      continue;
    }
    const [id, o] = mine[Math.floor(r() * mine.length)]!;
    const part = 1 + Math.floor(r() * o.shares);
    if (k < 0.55) {
      w.executed(locate, ts, id, part, match++);
      count(locate, 'E');
      print(locate, ts, o.price, part, o.side === 'B' ? 'S' : 'B');
      o.shares -= part;
    } else if (k < 0.62) {
      const printable = r() < 0.7;
      const price = o.price + (o.side === 'B' ? -100 : 100);
      w.executedWithPrice(locate, ts, id, part, match++, printable, price);
      count(locate, 'C');
      if (printable) print(locate, ts, price, part, o.side === 'B' ? 'S' : 'B');
      o.shares -= part;
    } else if (k < 0.72) {
      w.cancel(locate, ts, id, part);
      count(locate, 'X');
      o.shares -= part;
    } else if (k < 0.85) {
      w.delete(locate, ts, id);
      count(locate, 'D');
      o.shares = 0;
    } else if (k < 0.95) {
      const shares = 1 + Math.floor(r() * 900);
      w.replace(locate, ts, id, ref, shares, o.price);
      count(locate, 'U');
      orders.delete(id);
      orders.set(ref++, { ...o, shares });
    } else {
      const side = r() < 0.5 ? 'B' : 'S';
      w.trade(locate, ts, side, 100, stock, 1_000_050, match++);
      count(locate, 'P');
      print(locate, ts, 1_000_050, 100, side === 'B' ? 'S' : 'B');
      continue;
    }
    if (o.shares === 0) orders.delete(id);
    changed(locate, ts);
  }
  w.systemEvent(ts, 'C');
  const expected = STOCKS.map((symbol, i) => {
    const top = topOf(orders, i + 1);
    return {
      symbol,
      bid: top.bidSize ? top.bid / 1e4 : null,
      ask: top.askSize ? top.ask / 1e4 : null,
      bidSize: top.bidSize,
      askSize: top.askSize,
      volume: volume[i],
      trades: trades[i],
      messages: counts[i],
    };
  });
  return { bytes: w.bytes(), expected, quotes, prints };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'alpha-itch-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('alpha itch book', () => {
  it('prints the book the test derived from the messages it wrote', async () => {
    for (const seed of [1, 2, 3]) {
      const s = session(seed, 1500);
      const file = join(dir, `book-${seed}.itch`);
      writeFileSync(file, s.bytes);
      const run = await runAlpha(['itch', 'book', file, '--format', 'json'], 30_000);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const out = JSON.parse(run.stdout) as { ok: boolean; messages: number; symbols: Record<string, unknown>[] };
      expect(out.ok).toBe(true);
      expect(out.messages).toBe(1500 + STOCKS.length + 2);
      expect(out.symbols.map(({ locate: _l, ...rest }) => rest)).toEqual(s.expected);
    }
  });

  // The book's order index keeps an order in the slot of its reference number's low 18 bits, and one
  // whose slot is taken (or whose number is too large for a slot's tag) in a hash map beside it.
  it('keeps orders whose reference numbers share a slot, and the largest numbers, apart', async () => {
    const slot = 1n << 18n;
    const top = (1n << 64n) - 1n;
    const w = new ItchWriter();
    w.stockDirectory(1, 1n, 'AAA');
    w.add(1, 2n, 5n, 'B', 100, 'AAA', 100_000);
    w.add(1, 2n, 5n + slot, 'B', 200, 'AAA', 100_000); // the slot of 5, taken
    w.add(1, 2n, top, 'B', 300, 'AAA', 110_000);
    w.add(1, 2n, top - slot, 'B', 400, 'AAA', 99_000);
    w.delete(1, 3n, 5n); // frees the slot; 5 + 2^18 still found beside it
    w.executed(1, 4n, 5n + slot, 50, 1n);
    w.delete(1, 5n, top);
    w.delete(1, 6n, 5n); // gone already
    const file = join(dir, 'slots.itch');
    writeFileSync(file, w.bytes());
    const run = await runAlpha(['itch', 'book', file, '--format', 'json'], 30_000);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { symbols: Record<string, unknown>[]; bookErrors: unknown[] };
    expect(out.symbols).toEqual([
      {
        locate: 1,
        symbol: 'AAA',
        bid: 10,
        ask: null,
        bidSize: 150,
        askSize: 0,
        volume: 50,
        trades: 1,
        messages: { R: 1, A: 4, E: 1, D: 3 },
      },
    ]);
    expect(out.bookErrors).toEqual([{ kind: 'unknown order reference', count: 1 }]);
  });

  it('keeps to --symbols and prints a table', async () => {
    const s = session(4, 600);
    const file = join(dir, 'book-table.itch');
    writeFileSync(file, s.bytes);
    const run = await runAlpha(['itch', 'book', file, '--symbols', 'MSFT'], 30_000);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^symbol\s+bid\s+ask\s+bid_size\s+ask_size\s+volume\s+trades\s+messages by type$/);
    const msft = s.expected[1]!;
    expect(lines[1]!.split(/\s+/).slice(0, 3)).toEqual(['MSFT', msft.bid?.toFixed(4) ?? '-', msft.ask?.toFixed(4) ?? '-']);
    expect(lines.filter((l) => /^(AAPL|ZVZZT)\b/.test(l))).toEqual([]);
  });

  it('says where a damaged file is damaged, and exits 1', async () => {
    const s = session(5, 200);
    const cut = s.bytes.length - 10; // inside the last record
    const lastRecordAt = s.bytes.length - 14; // the closing system event: 2 + 12 bytes
    const file = join(dir, 'cut.itch');
    writeFileSync(file, s.bytes.subarray(0, cut));
    const run = await runAlpha(['itch', 'book', file, '--format', 'json'], 30_000);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`1 × record runs past the end of the file (first at byte ${lastRecordAt.toLocaleString('en-US')})`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(JSON.parse(run.stdout).ok).toBe(false);

    const w = new ItchWriter();
    w.systemEvent(1n, 'O');
    w.raw([0, 3, 'Z'.charCodeAt(0), 0, 0]); // unknown type
    w.raw([0, 0]); // empty record
    w.raw([0, 5, 'A'.charCodeAt(0), 0, 0, 0, 0]); // an add order far shorter than 36 bytes
    const bad = join(dir, 'bad.itch');
    writeFileSync(bad, w.bytes());
    const run2 = await runAlpha(['itch', 'book', bad], 30_000);
    expect(run2.code).toBe(1);
    expect(run2.stderr).toContain('1 × unknown message type (first at byte 14)');
    expect(run2.stderr).toContain('1 × record of length 0 (first at byte 19)');
    expect(run2.stderr).toContain('1 × record length disagrees with its message type (first at byte 21)');
  });

  it('warns of the messages after End of Messages, saying how many and the byte of the first, and applies none of them', async () => {
    // session() ends with End of Messages (System Event 'C'), the day's last message by the ITCH 5.0
    // spec; a file that goes on after it had these applied to the book without a word.
    const s = session(7, 400);
    const more = new ItchWriter();
    more.add(1, 72_000_000_000_000n, 1n << 40n, 'B', 700, 'AAPL', 9_999_000); // would top AAPL's bid
    more.trade(2, 72_000_000_000_001n, 'B', 300, 'MSFT', 1_000_000, 99n); // would print on MSFT
    more.systemEvent(72_000_000_000_002n, 'C');
    const file = join(dir, 'after-end.itch');
    writeFileSync(file, Buffer.concat([s.bytes, more.bytes()]));
    const said = `alpha: warning: ${file}: 3 ITCH message(s) after End of Messages (System Event 'C'), the first at byte ${s.bytes.length.toLocaleString('en-US')}: counted, not applied to the book (no rows from them); ITCH 5.0 sends nothing after End of Messages, the last message of the day\n`;

    const run = await runAlpha(['itch', 'book', file, '--format', 'json'], 30_000);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { ok: boolean; messages: number; symbols: Record<string, unknown>[]; afterEnd: unknown };
    expect(out.symbols.map(({ locate: _l, ...rest }) => rest)).toEqual(s.expected);
    expect(out.afterEnd).toEqual({ count: 3, firstOffset: s.bytes.length });
    expect(out.messages).toBe(400 + STOCKS.length + 2 + 3); // framed and well-formed, so still messages of the file
    expect(run.stderr).toBe(said);

    const table = await runAlpha(['itch', 'book', file], 30_000);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(
      `${(400 + STOCKS.length + 5).toLocaleString('en-US')} messages, 3 after End of Messages (not applied), `,
    );
    expect(table.stderr).toBe(said);

    const converted = await runAlpha(['itch', 'convert', file, '--out', join(dir, 'after-end'), '--date', '2024-03-05'], 60_000);
    expect(converted.code).toBe(0);
    expect(converted.stderr.startsWith(said)).toBe(true);
  });

  it('refuses bad arguments in one line each', async () => {
    const file = join(dir, 'book-1.itch');
    const empty = join(dir, 'empty.itch');
    writeFileSync(empty, '');
    const cases: [string[], RegExp][] = [
      [['itch', 'book', join(dir, 'missing.itch')], /alpha: .*missing\.itch: cannot read: ENOENT/],
      [['itch', 'book', dir], /alpha: .*: not a file/],
      [['itch', 'book', file, '--format', 'xml'], /alpha: --format is "xml": expected table or json/],
      [['itch', 'book', file, '--symbols', 'AAPL,TOO-LONG-SYM'], /alpha: --symbols: "TOO-LONG-SYM" is not an ITCH stock symbol/],
      [['itch', 'book', file, '--symbols', 'NOPE'], /alpha: --symbols: NOPE is not in /],
      [['itch', 'book', empty], /alpha: .*empty\.itch: no ITCH message in it \(0 bytes/],
    ];
    for (const [args, pattern] of cases) {
      const run = await runAlpha(args, 30_000);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toMatch(pattern);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe('alpha itch convert', () => {
  it('writes the two-sided tops and the prints as a dataset, at exchange time in UTC', async () => {
    const s = session(6, 1500);
    const file = join(dir, '03052024.NASDAQ_ITCH50');
    writeFileSync(file, s.bytes);
    const out = join(dir, 'dataset');
    const run = await runAlpha(['itch', 'convert', file, '--out', out], 60_000);
    expect(run.stderr).toMatch(/converted 1,505 messages of 2024-03-05/);
    expect(run.code).toBe(0);
    const midnight = newYorkMidnight('2024-03-05');
    expect(midnight).toBe(Date.UTC(2024, 2, 5, 5) * 1000); // EST: UTC-5
    const micros = (ns: bigint): number => midnight + Number(ns / 1000n);
    // Arrow reads timestamp-micros as fractional milliseconds.
    const us = (ms: unknown): number => Math.round(Number(ms) * 1000);

    const quotes = readParquetFile(join(out, 'quotes/2024-03-05.parquet'));
    const twoSided = s.quotes.filter((q) => q.top.bidSize > 0 && q.top.askSize > 0);
    expect(quotes.numRows).toBe(twoSided.length);
    const got = quotes.toArray().map((row) => {
      const r = row.toJSON() as Record<string, unknown>;
      return [us(r['ts_event']), us(r['ts_known']), r['symbol'], r['bid'], r['ask'], r['bid_size'], r['ask_size']];
    });
    expect(got).toEqual(
      twoSided.map((q) => [
        micros(q.ts),
        micros(q.ts),
        STOCKS[q.locate - 1],
        q.top.bid / 1e4,
        q.top.ask / 1e4,
        q.top.bidSize,
        q.top.askSize,
      ]),
    );
    const trades = readParquetFile(join(out, 'trades/2024-03-05.parquet'));
    expect(
      trades.toArray().map((row) => {
        const r = row.toJSON() as Record<string, unknown>;
        return [us(r['ts_event']), r['symbol'], r['price'], r['size'], r['aggressor']];
      }),
    ).toEqual(s.prints.map((p) => [micros(p.ts), STOCKS[p.locate - 1], p.price / 1e4, p.shares, p.aggressor === 'B' ? 'BUY' : 'SELL']));

    // The manifest is one a replay accepts (validated as a whole, files hashed).
    const manifest = readManifest(out);
    expect(manifest.universe.map((u) => u.symbol)).toEqual(STOCKS);
    expect(manifest.sessions).toEqual([{ date: '2024-03-05', open: midnight + 9.5 * 3600e6, close: midnight + 16 * 3600e6 }]);
  });

  it('needs a date when the file name has none, and leaves an existing folder alone', async () => {
    const s = session(7, 100);
    const file = join(dir, 'nodate.itch');
    writeFileSync(file, s.bytes);
    const run = await runAlpha(['itch', 'convert', file, '--out', join(dir, 'x')], 30_000);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/alpha: .*nodate\.itch: cannot tell the session date from the file name: give --date YYYY-MM-DD/);
    const bad = await runAlpha(['itch', 'convert', file, '--out', join(dir, 'x'), '--date', '2024-02-30'], 30_000);
    expect(bad.stderr).toMatch(/alpha: --date is "2024-02-30": expected a real date YYYY-MM-DD/);
    const taken = join(dir, 'taken');
    mkdirSync(taken);
    writeFileSync(join(taken, 'keep.txt'), 'mine');
    const again = await runAlpha(['itch', 'convert', file, '--out', taken, '--date', '2024-03-05'], 30_000);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/alpha: .*taken/);
  });
});
