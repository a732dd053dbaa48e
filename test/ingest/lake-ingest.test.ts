/**
 * `alpha data ingest` (pipelines/ingest/) into a real lake: CSV quotes with bad rows (the good ones
 * land, the others are `file:line: reason` lines of the reject file), Parquet trades written by
 * DuckDB, an ITCH file written from the spec (test/helpers/itch-writer.ts) through the native book,
 * daily OHLCV in a time zone, and idempotence: the same files again add nothing. Expected rows are
 * derived here from the text of the files. The lake tools come from the vitest setup (file name lake*).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDuck } from '../../lib/io/lake/duckdb.ts';
import { queryLake } from '../../lib/io/lake/query.ts';
import { ingestFiles, type IngestOptions } from '../../pipelines/ingest/ingest.ts';
import { timeParser } from '../../pipelines/ingest/times.ts';
import { ItchWriter } from '../helpers/itch-writer.ts';
import { asObjects, tempLake } from '../helpers/lake.ts';

const tmp = tempLake('ingest');
afterAll(() => tmp.remove());
const lake = join(tmp.dir, 'lake');
const file = (name: string, text: string): string => {
  const path = join(tmp.dir, name);
  writeFileSync(path, text);
  return path;
};
const utc = timeParser('UTC', 16 * 3600e6);
const ingest = (o: Partial<IngestOptions> & Pick<IngestOptions, 'dataset' | 'files' | 'format'>) =>
  ingestFiles({ lake, times: utc, symbols: new Map(), rejects: join(tmp.dir, `${o.dataset}.rejects`), ...o });
const rows = async (dataset: string) => asObjects(await queryLake({ lake, dataset }));
const us = (iso: string): number => Date.parse(iso) * 1000;

describe('CSV quotes', () => {
  const csv = [
    'time,symbol,bid,ask,bid_size', // line 1
    '2024-01-02 14:30:00.000001,AAA,10.00,10.02,300', // 2: good
    '2024-01-02T14:30:01Z,BBB,20,20.5,', // 3: good, empty optional size
    '2024-01-02 14:30:02,AAA,10.05,10.01,1', // 4: crossed
    '2024-01-02 14:30:02.5,AAA,0.01,199999,1', // 5: a stub ask, which the replay refuses
    '2024-01-02 25:00:00,AAA,10,10.1,1', // 6: bad hour
    '2024-01-02 14:30:03,AAA,ten,10.1,1', // 7: not a number
    '2024-01-02 14:30:04,AAA,10,10.1', // 8: 4 fields
    '"2024-01-02 14:30:05",AAA,10,10.1,"1', // 9: quote not closed (to the end of the file)
  ].join('\n');

  it('lands the good rows and writes the others as file:line: reason', async () => {
    const path = file('quotes.csv', `${csv}\n`);
    const r = await ingest({ dataset: 'quotes', files: [path], format: 'quotes' });
    expect(r).toMatchObject({ rows: 8, rejected: 6, added: 2, skipped: 0, created: true, version: 1 });
    expect(readFileSync(join(tmp.dir, 'quotes.rejects'), 'utf8').split('\n')).toEqual([
      `${path}:4: crossed quote: bid 10.05 > ask 10.01`,
      `${path}:5: stub quote: ask 199999 is more than 10× the bid 0.01 (a placeholder for a side no order holds)`,
      `${path}:6: ts_event: time "2024-01-02 25:00:00": hour, minute or second out of range`,
      `${path}:7: bid "ten": expected a number`,
      `${path}:8: 4 fields: expected 5, as in the header`,
      `${path}:9: a quoted field is not closed before the end of the file`,
      '',
    ]);
    const got = await rows('quotes');
    expect(
      got.map((q) => [q['ts_event'], q['ts_known'], q['symbol'], q['seq'], q['version'], q['bid'], q['ask'], q['bid_size'], q['ask_size']]),
    ).toEqual([
      [us('2024-01-02T14:30:00Z') + 1, us('2024-01-02T14:30:00Z') + 1, 'AAA', 2, 1, 10, 10.02, 300, 0],
      [us('2024-01-02T14:30:01Z'), us('2024-01-02T14:30:01Z'), 'BBB', 3, 1, 20, 20.5, 0, 0],
    ]);
    // Ids from the content: distinct, whole, below 2^52.
    const ids = got.map((q) => Number(q['id']));
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) expect(Number.isSafeInteger(id) && id >= 0 && id < 2 ** 52).toBe(true);
  });

  it('adds nothing when the same file is ingested again, and the same rows under another name', async () => {
    const again = await ingest({ dataset: 'quotes', files: [join(tmp.dir, 'quotes.csv')], format: 'quotes' });
    expect(again).toMatchObject({ added: 0, skipped: 2, version: 1, created: false });
    expect(await rows('quotes')).toHaveLength(2);
  });

  it('keeps two identical rows as two records, and refuses a repeated id and version', async () => {
    const path = file('twice.csv', 'time,symbol,bid,ask\n2024-01-03 15:00:00,AAA,1,2\n2024-01-03 15:00:00,AAA,1,2\n');
    expect(await ingest({ dataset: 'twice', files: [path], format: 'quotes' })).toMatchObject({ added: 2, rejected: 0 });
    const ids = file(
      'ids.csv',
      'time,symbol,id,version,bid,ask\n2024-01-03 15:00:00,AAA,7,1,1,2\n2024-01-03 15:00:01,AAA,7,1,1,2\n2024-01-03 15:00:02,AAA,7,2,1,2.5\n',
    );
    const r = await ingest({ dataset: 'ids', files: [ids], format: 'quotes' });
    expect(r).toMatchObject({ added: 2, rejected: 1 });
    expect(readFileSync(join(tmp.dir, 'ids.rejects'), 'utf8')).toBe(
      `${ids}:3: the same id and version as ${ids}:2: expected each record version once\n`,
    );
  });
});

describe('Parquet trades', () => {
  it('reads a Parquet file with its own column names and types, the symbol map applied', async () => {
    const path = join(tmp.dir, 'trades.parquet');
    const duck = await openDuck();
    try {
      await duck.connection.run(
        `COPY (SELECT * FROM (VALUES (TIMESTAMPTZ '2024-01-02 15:00:00+00', 'XYZ', 12.5::DOUBLE, 100::BIGINT, 'B'), ` +
          `(TIMESTAMPTZ '2024-01-02 15:00:01.5+00', 'ABC', 7.25::DOUBLE, 0::BIGINT, 'S'), ` +
          `(TIMESTAMPTZ '2024-01-02 15:00:02+00', 'XYZ', 12.75::DOUBLE, 50::BIGINT, 'S')) t(timestamp, ticker, price, volume, side)) TO '${path}' (FORMAT parquet)`,
      );
    } finally {
      duck.close();
    }
    const r = await ingest({ dataset: 'trades', files: [path], format: 'trades', symbols: new Map([['XYZ', 'XYZ.N']]) });
    expect(r).toMatchObject({ rows: 3, added: 2, rejected: 1 });
    expect(readFileSync(join(tmp.dir, 'trades.rejects'), 'utf8')).toBe(`${path}:2: size 0: expected a positive trade size\n`);
    expect((await rows('trades')).map((t) => [t['ts_event'], t['symbol'], t['price'], t['size'], t['aggressor'], t['seq']])).toEqual([
      [us('2024-01-02T15:00:00Z'), 'XYZ.N', 12.5, 100, 'BUY', 1],
      [us('2024-01-02T15:00:02Z'), 'XYZ.N', 12.75, 50, 'SELL', 3],
    ]);
    expect(await ingest({ dataset: 'trades', files: [path], format: 'trades', symbols: new Map([['XYZ', 'XYZ.N']]) })).toMatchObject({
      added: 0,
    });
  });
});

describe('ITCH 5.0', () => {
  it('takes the two-sided tops of book as quotes and the executions as trades, at New York exchange time', async () => {
    // 2024-03-05 is in EST (UTC-5): exchange time is ns since New York midnight = 05:00 UTC.
    const midnight = us('2024-03-05T05:00:00Z');
    const ns = (s: number): bigint => BigInt(s) * 1_000_000_000n;
    const w = new ItchWriter();
    w.stockDirectory(1, ns(3600), 'AAPL');
    w.add(1, ns(34_200), 1n, 'B', 100, 'AAPL', 1_500_000); // bid 150.00 × 100, no ask: one-sided, not a quote
    w.add(1, ns(34_201), 2n, 'S', 200, 'AAPL', 1_501_000); // ask 150.10 × 200: quote 1
    w.executed(1, ns(34_202), 2n, 50, 9n); // a buyer lifts 50 at 150.10: trade; ask size 150: quote 2
    const path = join(tmp.dir, 'session.itch');
    writeFileSync(path, w.bytes());
    const map = new Map([['AAPL', 'AAPL.O']]);
    const q = await ingest({ dataset: 'itchq', files: [path], format: 'itch', itchDate: '2024-03-05', symbols: map });
    expect(q).toMatchObject({ added: 2, rejected: 0 });
    expect(readFileSync(join(tmp.dir, 'itchq.rejects'), 'utf8')).toBe(
      `${path}: 1 tops of book one-sided, crossed or stubs, not quotes: not ingested\n`,
    );
    expect(
      (await rows('itchq')).map((r) => [r['ts_event'], r['ts_known'], r['symbol'], r['bid'], r['ask'], r['bid_size'], r['ask_size']]),
    ).toEqual([
      [midnight + 34_201e6, midnight + 34_201e6, 'AAPL.O', 150, 150.1, 100, 200],
      [midnight + 34_202e6, midnight + 34_202e6, 'AAPL.O', 150, 150.1, 100, 150],
    ]);
    const t = await ingest({
      dataset: 'itcht',
      files: [path],
      format: 'itch',
      itchRecords: 'trades',
      itchDate: '2024-03-05',
      symbols: map,
    });
    expect(t).toMatchObject({ added: 1 });
    expect((await rows('itcht')).map((r) => [r['ts_event'], r['symbol'], r['price'], r['size'], r['aggressor']])).toEqual([
      [midnight + 34_202e6, 'AAPL.O', 150.1, 50, 'BUY'],
    ]);
    expect(await ingest({ dataset: 'itchq', files: [path], format: 'itch', itchDate: '2024-03-05', symbols: map })).toMatchObject({
      added: 0,
    });
  });
});

describe('daily OHLCV', () => {
  it('takes a date alone at --day-time in --tz, and a close alone as the whole bar', async () => {
    const path = file('daily.csv', 'date,symbol,close\n2000-01-03,AA,10\n2000-07-03,AA,11\n2000-07-03,AA,11\n');
    const ny = timeParser('America/New_York', 16 * 3600e6);
    const r = await ingest({ dataset: 'daily', files: [path], format: 'ohlcv', times: ny });
    expect(r).toMatchObject({ added: 2, rejected: 1 });
    // 16:00 in New York: 21:00 UTC in winter (EST), 20:00 UTC in summer (EDT).
    expect(
      (await rows('daily')).map((b) => [b['ts_event'], b['ts_known'], b['open'], b['high'], b['low'], b['close'], b['volume'], b['vwap']]),
    ).toEqual([
      [us('2000-01-03T21:00:00Z'), us('2000-01-03T21:00:00Z'), 10, 10, 10, 10, 0, 10],
      [us('2000-07-03T20:00:00Z'), us('2000-07-03T20:00:00Z'), 11, 11, 11, 11, 0, 11],
    ]);
    expect(readFileSync(join(tmp.dir, 'daily.rejects'), 'utf8')).toBe(
      `${path}:4: the same symbol, ts_event and ts_known as ${path}:3: expected each record version once\n`,
    );
  });
});
