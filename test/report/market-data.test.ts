/**
 * The market data `alpha report --data` reads: only the rows the replay keeps. A generated dataset's
 * first day of quotes is damaged the way a replay refuses (a bid of 0, a crossed quote) in rows the
 * test picks; the mids must be those of the other rows, computed here from the file itself, and the
 * rows left out counted by the reasons the replay gives.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Float64, Table, type Vector, vectorFromArray } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { readParquetFile, writeParquetFile } from '../../lib/io/parquet.ts';
import type { DatasetManifest } from '../../pipelines/data/manifest.ts';
import { leftOutNote, readMids } from '../../pipelines/report/market-data.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

let dir: string;
let manifest: DatasetManifest;
/** Rows of the first quotes file given a bid of 0, and given a bid above the ask. */
const ZERO_BID = (i: number): boolean => i % 10 === 3;
const CROSSED = (i: number): boolean => i % 10 === 7;

beforeAll(async () => {
  const clean = await dataset({ symbols: 4, days: 2, seed: 11 });
  dir = join(tempDir('report-market-data'), 'data');
  cpSync(clean, dir, { recursive: true });
  manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as DatasetManifest;
  // The file is edited: its hashes dropped, as in a manifest written by hand (the row count stays).
  for (const d of Object.values(manifest.datasets)) delete d.sha256;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const file = join(dir, manifest.datasets['quotes']!.files[0]!);
  const t = readParquetFile(file);
  const bid = t.getChild('bid')!;
  const ask = t.getChild('ask')!;
  const columns: Record<string, Vector> = {};
  for (const f of t.schema.fields) columns[f.name] = t.getChild(f.name)!;
  columns['bid'] = vectorFromArray(
    Array.from({ length: t.numRows }, (_, i) => (ZERO_BID(i) ? 0 : CROSSED(i) ? (ask.get(i) as number) + 0.01 : (bid.get(i) as number))),
    new Float64(),
  );
  writeParquetFile(file, new Table(columns));
});

/** Each symbol's (ts_known, mid) of the rows of the dataset's files the test did not damage, in file order. */
function expectedMids(): Map<string, { ts: number[]; mid: number[] }> {
  const out = new Map<string, { ts: number[]; mid: number[] }>();
  manifest.datasets['quotes']!.files.forEach((f, day) => {
    const t = readParquetFile(join(dir, f));
    for (let i = 0; i < t.numRows; i++) {
      if (day === 0 && (ZERO_BID(i) || CROSSED(i))) continue;
      const s = t.getChild('symbol')!.get(i) as string;
      if (!out.has(s)) out.set(s, { ts: [], mid: [] });
      const ts = t.getChild('ts_known')!.get(i) as number | bigint;
      // Arrow reads a microsecond timestamp as milliseconds (a double); the report keeps µs.
      out.get(s)!.ts.push(typeof ts === 'bigint' ? Number(ts) : Math.round(ts * 1000));
      out.get(s)!.mid.push(((t.getChild('bid')!.get(i) as number) + (t.getChild('ask')!.get(i) as number)) / 2);
    }
  });
  return out;
}

describe('readMids', () => {
  it('leaves out the quotes the replay refuses (bid 0, crossed), counting them by reason', async () => {
    const rows = readParquetFile(join(dir, manifest.datasets['quotes']!.files[0]!)).numRows;
    const zero = Array.from({ length: rows }, (_, i) => i).filter(ZERO_BID).length;
    const crossed = Array.from({ length: rows }, (_, i) => i).filter(CROSSED).length;
    const { mids, leftOut } = await readMids(dir, manifest);
    expect(leftOut.rows).toBe(zero + crossed);
    expect(leftOut.of).toBe(manifest.datasets['quotes']!.rows);
    expect(Object.fromEntries(leftOut.reasons)).toEqual({ 'bad price': zero, 'crossed quote': crossed });
    const expected = expectedMids();
    expect([...mids.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [s, e] of expected) {
      expect(Array.from(mids.get(s)!.ts), s).toEqual(e.ts);
      expect(Array.from(mids.get(s)!.mid), s).toEqual(e.mid);
    }
    expect(leftOutNote(leftOut, 'the prediction IC')).toBe(
      `${zero + crossed} of the ${leftOut.of} rows of dataset "quotes" left out of the prediction IC, as the replay refuses them (bad price: ${zero}, crossed quote: ${crossed})`,
    );
  });
});
