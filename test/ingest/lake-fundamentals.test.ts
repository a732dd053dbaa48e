/**
 * Fundamentals and corporate actions in the lake (issue 15): CSV files with a restatement and a
 * correction go through `alpha data ingest`, bad rows land in the reject file as file:line: reason,
 * a second ingest adds nothing, and an as-of read before and after each correction gives the old and
 * the new value — through the query function, through `alpha data query --as-of` and through delta-rs.
 * The expected answers are derived here from the rows the CSV files are written from (the latest
 * ts_known ≤ T of each identity). The lake tools come from the vitest setup (file name lake*).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryLake } from '../../lib/io/lake/query.ts';
import { ingestFiles, type IngestOptions } from '../../pipelines/ingest/ingest.ts';
import { timeParser } from '../../pipelines/ingest/times.ts';
import { runAlpha } from '../helpers/cli.ts';
import { asObjects, deltaRs, tempLake } from '../helpers/lake.ts';

const tmp = tempLake('fundamentals');
afterAll(() => tmp.remove());
const lake = join(tmp.dir, 'lake');
const us = (iso: string): number => Date.parse(iso) * 1000;
const ingest = (o: Pick<IngestOptions, 'dataset' | 'files' | 'format'>) =>
  ingestFiles({ lake, times: timeParser('UTC', 16 * 3600e6), symbols: new Map(), rejects: join(tmp.dir, `${o.dataset}.rejects`), ...o });

type Row = Record<string, string | number>;

/** What was known at T: of `rows` with ts_known ≤ T, the one with the latest ts_known per identity. */
function knownAt(rows: readonly Row[], key: readonly string[], t: number): Row[] {
  const latest = new Map<string, Row>();
  for (const r of rows) {
    if ((r['ts_known'] as number) > t) continue;
    const k = key.map((c) => r[c]).join('|');
    const have = latest.get(k);
    if (!have || (r['ts_known'] as number) > (have['ts_known'] as number)) latest.set(k, r);
  }
  return [...latest.values()];
}

const byIdentity = (key: readonly string[]) => (rows: readonly Record<string, unknown>[]) =>
  [...rows].sort((a, b) => {
    const ka = key.map((c) => String(a[c])).join('|');
    const kb = key.map((c) => String(b[c])).join('|');
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });

describe('fundamentals: a restated EPS', () => {
  const key = ['symbol', 'item', 'period', 'ts_event'];
  const sort = byIdentity(key);
  const q4 = us('2023-12-31T16:00:00Z'); // a date alone is taken at --day-time (16:00) in --tz (UTC)
  const reported = us('2024-02-01T21:05:00Z');
  const restated = us('2024-05-10T12:00:00Z');
  // The rows the good lines of the file hold, in the lake's types.
  const good: Row[] = [
    { ts_event: q4, ts_known: reported, symbol: 'AAA', item: 'eps', period: '2023Q4', value: 1.25 },
    { ts_event: q4, ts_known: reported, symbol: 'AAA', item: 'revenue', period: '2023Q4', value: 1000 },
    // Same period end, another period: a different record.
    { ts_event: q4, ts_known: reported, symbol: 'AAA', item: 'eps', period: 'FY2023', value: 4.5 },
    { ts_event: q4, ts_known: restated, symbol: 'AAA', item: 'eps', period: '2023Q4', value: 1.1 },
  ];
  const csv = [
    'symbol,item,period,period_end,report_date,value', // 1
    'AAA,eps,2023Q4,2023-12-31,2024-02-01T21:05:00Z,1.25', // 2
    'AAA,Revenue,2023Q4,2023-12-31,2024-02-01T21:05:00Z,1000', // 3: the item is lower-cased
    'AAA,eps,FY2023,2023-12-31,2024-02-01T21:05:00Z,4.5', // 4
    'AAA,eps,2023Q4,2023-12-31,2024-05-10T12:00:00Z,1.10', // 5: the restatement
    'BBB,eps,2023Q4,2023-12-32,2024-02-01T21:05:00Z,2', // 6: bad date
    'BBB,eps,2023Q4,2023-12-31,2024-02-01T21:05:00Z,n/a', // 7: not a number
    'BBB,eps,2023Q4,2024-01-31,2024-01-15,2', // 8: reported before the period ends
    'AAA,eps,2023Q4,2023-12-31,2024-02-01T21:05:00Z,1.3', // 9: line 2's identity and ts_known again
  ].join('\n');
  let path = '';
  beforeAll(() => {
    path = join(tmp.dir, 'fundamentals.csv');
    writeFileSync(path, `${csv}\n`);
  });

  it('lands the good rows and writes the bad ones as file:line: reason', async () => {
    const r = await ingest({ dataset: 'fundamentals', files: [path], format: 'fundamentals' });
    expect(r).toMatchObject({ rows: 8, rejected: 4, added: good.length, skipped: 0, created: true, version: 1 });
    expect(readFileSync(join(tmp.dir, 'fundamentals.rejects'), 'utf8').split('\n')).toEqual([
      `${path}:6: ts_event: time "2023-12-32": expected µs since the epoch, YYYY-MM-DD, or YYYY-MM-DD HH:MM[:SS[.ffffff]] with an optional Z or ±HH:MM`,
      `${path}:7: value "n/a": expected a number`,
      `${path}:8: ts_known ${us('2024-01-15T16:00:00Z')} is before ts_event ${us('2024-01-31T16:00:00Z')}: a record cannot be known before it happens`,
      `${path}:9: the same symbol, item, period, ts_event and ts_known as ${path}:2: expected each record version once`,
      '',
    ]);
  });

  it('as of a time before the restatement gives the reported EPS, after it the restated one', async () => {
    const eps = new Map<number, unknown>();
    for (const t of [reported - 1, restated - 1, restated]) {
      const got = asObjects(await queryLake({ lake, dataset: 'fundamentals', asOf: t }));
      expect(sort(got), `as of ${t}`).toEqual(sort(knownAt(good, key, t)));
      eps.set(t, got.find((r) => r['item'] === 'eps' && r['period'] === '2023Q4')?.['value']);
    }
    expect(eps.get(reported - 1)).toBeUndefined();
    expect(eps.get(restated - 1)).toBe(1.25);
    expect(eps.get(restated)).toBe(1.1);
  });

  it('adds nothing when the file is ingested again', async () => {
    const again = await ingest({ dataset: 'fundamentals', files: [path], format: 'fundamentals' });
    expect(again).toMatchObject({ added: 0, skipped: good.length, version: 1, created: false });
    expect(asObjects(await queryLake({ lake, dataset: 'fundamentals', allVersions: true }))).toHaveLength(good.length);
  });

  it('delta-rs reads the same rows, and the same answer as of T', () => {
    const table = join(lake, 'fundamentals');
    const all = deltaRs<{ records: Record<string, unknown>[] }>('read', ['--table', table]).records.map(({ date: _d, ...r }) => r);
    expect(sort(all)).toEqual(sort(good));
    const t = restated - 1;
    const asOf = deltaRs<{ records: Record<string, unknown>[] }>('read', [
      '--table',
      table,
      '--as-of',
      String(t),
      '--key',
      key.join(','),
      '--latest',
      'ts_known',
    ]).records.map(({ date: _d, ...r }) => r);
    expect(sort(asOf)).toEqual(sort(knownAt(good, key, t)));
  });
});

describe('corporate actions: a corrected dividend', () => {
  const key = ['symbol', 'kind', 'ts_event'];
  const sort = byIdentity(key);
  const exSplit = us('2024-03-01T14:30:00Z');
  const exDividend = us('2024-03-15T14:30:00Z');
  const announced = us('2024-02-20T21:00:00Z');
  const corrected = us('2024-02-22T21:00:00Z');
  const good: Row[] = [
    { ts_event: exSplit, ts_known: us('2024-02-01T21:00:00Z'), symbol: 'AAA', kind: 'SPLIT', ratio: 2, amount: 0 },
    { ts_event: exDividend, ts_known: announced, symbol: 'AAA', kind: 'DIVIDEND', ratio: 1, amount: 0.5 },
    { ts_event: exDividend, ts_known: corrected, symbol: 'AAA', kind: 'DIVIDEND', ratio: 1, amount: 0.55 },
  ];
  const csv = [
    'symbol,kind,ex_date,announced,ratio,amount', // 1
    'AAA,split,2024-03-01T14:30:00Z,2024-02-01T21:00:00Z,2,', // 2: kind in any case
    'AAA,DIVIDEND,2024-03-15T14:30:00Z,2024-02-20T21:00:00Z,,0.50', // 3
    'AAA,DIVIDEND,2024-03-15T14:30:00Z,2024-02-22T21:00:00Z,,0.55', // 4: the correction
    'AAA,MERGER,2024-03-15T14:30:00Z,2024-02-22T21:00:00Z,,1', // 5: unknown kind
    'BBB,DIVIDEND,2024-03-15T14:30:00Z,2024-02-22T21:00:00Z,,zero', // 6: not a number
    'BBB,SPLIT,2024-03-15T14:30:00Z,2024-02-22T21:00:00Z,,', // 7: a split without a ratio
    'BBB,DIVIDEND,yesterday,2024-02-22T21:00:00Z,,1', // 8: bad date
  ].join('\n');
  let path = '';
  beforeAll(() => {
    path = join(tmp.dir, 'actions.csv');
    writeFileSync(path, `${csv}\n`);
  });

  it('lands the good rows (announced before they take effect) and rejects the bad ones', async () => {
    const r = await ingest({ dataset: 'actions', files: [path], format: 'corporate-actions' });
    expect(r).toMatchObject({ rows: 7, rejected: 4, added: good.length, created: true, version: 1 });
    const lines = readFileSync(join(tmp.dir, 'actions.rejects'), 'utf8').split('\n');
    expect(lines.slice(0, 3)).toEqual([
      `${path}:5: kind "MERGER": expected SPLIT or DIVIDEND`,
      `${path}:6: amount "zero": expected a number`,
      `${path}:7: SPLIT without a ratio: expected the shares after per share before (2-for-1: 2)`,
    ]);
    expect(lines[3]).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:8: ts_event: time "yesterday": expected `));
    expect(lines.slice(4)).toEqual(['']);
  });

  it('as of a time before the correction gives the announced amount, after it the corrected one', async () => {
    for (const t of [announced - 1, corrected - 1, corrected]) {
      const got = asObjects(await queryLake({ lake, dataset: 'actions', asOf: t }));
      expect(sort(got), `as of ${t}`).toEqual(sort(knownAt(good, key, t)));
    }
  });

  it('alpha data query --as-of gives the same through the command line', async () => {
    const query = (asOf: string) => runAlpha(['data', 'query', 'actions', '--lake', lake, '--as-of', asOf, '--format', 'csv'], 60_000);
    const [before, after] = await Promise.all([query(String(corrected - 1)), query('2024-02-22T21:00:00Z')]);
    const csvOf = (rows: Row[]) =>
      [
        'ts_event,ts_known,symbol,kind,ratio,amount',
        ...[...rows]
          .sort((a, b) => (a['ts_known'] as number) - (b['ts_known'] as number))
          .map((r) => [r['ts_event'], r['ts_known'], r['symbol'], r['kind'], r['ratio'], r['amount']].join(',')),
      ].join('\n');
    expect(before.code).toBe(0);
    expect(before.stdout.trim()).toBe(csvOf(knownAt(good, key, corrected - 1)));
    expect(after.code).toBe(0);
    expect(after.stdout.trim()).toBe(csvOf(knownAt(good, key, corrected)));
    expect(after.stdout).toContain(',DIVIDEND,1,0.55');
    expect(before.stdout).toContain(',DIVIDEND,1,0.5\n');
  });

  it('adds nothing when the file is ingested again, and delta-rs reads the same rows', async () => {
    expect(await ingest({ dataset: 'actions', files: [path], format: 'corporate-actions' })).toMatchObject({
      added: 0,
      skipped: 3,
      version: 1,
    });
    const all = deltaRs<{ records: Record<string, unknown>[] }>('read', ['--table', join(lake, 'actions')]).records.map(
      ({ date: _d, ...r }) => r,
    );
    expect(sort(all)).toEqual(sort(good));
  });
});
