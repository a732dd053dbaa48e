/**
 * `alpha data generate --depth N`: a `depth` dataset of the book's levels 2…N beside each quote,
 * consistent with it (bids strictly below the bid and falling, asks strictly above the ask and rising,
 * on the cent grid, sizes > 0), deterministic by seed, listed in the manifest, and leaving the quotes
 * and trades the very files a run without depth writes. Hostile values are refused (test/hostile/data.test.ts
 * has the generator's argument table; the CLI's parsing is here).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readParquetFile } from '../../lib/io/parquet.ts';
import { generateDataset } from '../../pipelines/data/generate.ts';
import { readManifest } from '../../pipelines/data/manifest.ts';
import { runAlpha } from '../helpers/cli.ts';
import { tempDir } from '../helpers/datasets.ts';

interface Row {
  ts_event: number;
  ts_known: number;
  symbol: string;
  seq: number;
  bid?: number;
  ask?: number;
  side?: 'BID' | 'ASK';
  level?: number;
  price?: number;
  size?: number;
}

function rows(dir: string, file: string): Row[] {
  return readParquetFile(join(dir, file))
    .toArray()
    .map((r) => {
      const o = r.toJSON() as Record<string, unknown>;
      // Arrow gives timestamps in ms (a float) and longs as bigint: µs and numbers here.
      return {
        ...o,
        ts_event: Math.round(Number(o['ts_event']) * 1000),
        ts_known: Math.round(Number(o['ts_known']) * 1000),
        seq: Number(o['seq']),
      } as Row;
    });
}

const options = { symbols: 3, days: 2, seed: 5 };
let dir: string;
let plain: string;

beforeAll(async () => {
  const base = tempDir('gen-depth');
  dir = join(base, 'depth');
  plain = join(base, 'plain');
  await generateDataset({ ...options, out: dir, depth: 4 });
  await generateDataset({ ...options, out: plain });
});

describe('alpha data generate --depth', () => {
  it('lists the depth dataset in the manifest, one file per day, and the levels in all', () => {
    const m = readManifest(dir);
    expect(m.depth).toBe(4);
    const d = m.datasets['depth']!;
    expect(d.schema).toBe('BookDepth');
    expect(d.files).toEqual(m.dates.map((date) => `depth/${date}.parquet`));
    expect(d.sha256).toHaveLength(2);
    const total = d.files.reduce((n, f) => n + rows(dir, f).length, 0);
    expect(d.rows).toBe(total);
    // Prices here are far above a tick: every quote has all 3 levels beyond the top on both sides.
    expect(total).toBe(m.datasets['quotes']!.rows! * 3 * 2);
  });

  it('writes no depth dataset by default, and the quotes and trades are the same files with or without depth', () => {
    const m = readManifest(plain);
    expect(m.datasets['depth']).toBeUndefined();
    expect(m.depth).toBeUndefined();
    expect(existsSync(join(plain, 'depth'))).toBe(false);
    for (const name of ['quotes', 'trades'])
      for (const f of m.datasets[name]!.files) expect(readFileSync(join(dir, f)).equals(readFileSync(join(plain, f))), f).toBe(true);
    const withDepth = readManifest(dir);
    expect(withDepth.datasets['quotes']).toEqual(m.datasets['quotes']);
    expect(withDepth.datasets['trades']).toEqual(m.datasets['trades']);
  });

  it('gives each quote a picture consistent with it: levels 2…4 a side, bids below the bid falling, asks above rising, sizes > 0', () => {
    const m = readManifest(dir);
    // Every departure from the rule, as text (one expect at the end: tens of thousands of rows).
    const bad: string[] = [];
    const check = (ok: boolean, what: string): void => {
      if (!ok && bad.length < 10) bad.push(what);
    };
    for (const [day, file] of m.datasets['depth']!.files.entries()) {
      const quotes = rows(dir, m.datasets['quotes']!.files[day]!);
      const depth = rows(dir, file);
      // Pictures come in the quotes' order, 6 rows each: bids 2, 3, 4 then asks 2, 3, 4.
      expect(depth.length).toBe(quotes.length * 6);
      quotes.forEach((quote, k) => {
        const picture = depth.slice(6 * k, 6 * k + 6);
        for (const r of picture) {
          const at = `${file} seq ${r.seq}`;
          check(
            r.symbol === quote.symbol && r.ts_event === quote.ts_event && r.ts_known === quote.ts_known,
            `${at}: not quote ${k}'s times`,
          );
          check(r.size! > 0 && Number.isInteger(r.size! / 100), `${at}: size ${r.size}`);
          check(Math.abs(r.price! * 100 - Math.round(r.price! * 100)) < 1e-6, `${at}: price ${r.price} off the cent grid`);
        }
        const sides = picture.map((r) => `${r.side}${r.level}`).join(' ');
        check(sides === 'BID2 BID3 BID4 ASK2 ASK3 ASK4', `${file} quote ${k}: levels ${sides}`);
        const bids = [quote.bid!, ...picture.slice(0, 3).map((r) => r.price!)];
        const asks = [quote.ask!, ...picture.slice(3).map((r) => r.price!)];
        for (let i = 1; i < 4; i++) {
          // Each level one or two ticks further out than the one before (so strictly beyond the touch).
          const bidStep = Math.round((bids[i - 1]! - bids[i]!) * 100);
          const askStep = Math.round((asks[i]! - asks[i - 1]!) * 100);
          check(bidStep === 1 || bidStep === 2, `${file} quote ${k}: bid level ${i + 1} ${bidStep} ticks below the one before`);
          check(askStep === 1 || askStep === 2, `${file} quote ${k}: ask level ${i + 1} ${askStep} ticks above the one before`);
        }
      });
      // seq rises through the dataset, and the rows are in ts_known order.
      for (let i = 1; i < depth.length; i++) {
        check(depth[i]!.seq > depth[i - 1]!.seq && depth[i]!.ts_known >= depth[i - 1]!.ts_known, `${file} row ${i}: out of order`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('is deterministic by seed: the same seed writes the same files, another seed other sizes and prices', async () => {
    const again = join(tempDir('gen-depth-again'), 'd');
    const other = join(tempDir('gen-depth-other'), 'd');
    const a = await generateDataset({ ...options, out: again, depth: 4 });
    const b = await generateDataset({ ...options, seed: 6, out: other, depth: 4 });
    expect(a.datasets['depth']!.sha256).toEqual(readManifest(dir).datasets['depth']!.sha256);
    expect(b.datasets['depth']!.sha256![0]).not.toBe(a.datasets['depth']!.sha256![0]);
  });

  it('refuses a --depth that is not a number on the command line, with one alpha: line', async () => {
    const out = join(tempDir('gen-depth-cli'), 'd');
    const run = await runAlpha(['data', 'generate', '--out', out, '--symbols', '2', '--days', '1', '--depth', 'lots'], 60_000);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('alpha: --depth is "lots": expected a number in plain digits (e.g. 40 or 0.03)');
    const one = await runAlpha(['data', 'generate', '--out', out, '--symbols', '2', '--days', '1', '--depth', '1'], 60_000);
    expect(one.code).toBe(1);
    expect(one.stderr.trim()).toBe(
      'alpha: --depth is 1: expected 0 (no depth dataset) or a whole number of levels from 2 to 10, the top included',
    );
    expect(existsSync(out)).toBe(false);
  });
});
