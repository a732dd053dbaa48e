/**
 * The generator's planted alpha (`--ic`, by default 0.03; `--alpha` instead) and where its trades
 * print (`--trade-prices`, by default quote-in-force; last-touch the older flattering rule). Byte-identical
 * files for the same options are covered by test/e2e/backtest.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readParquetFile } from '../../lib/io/parquet.ts';
import { generateDataset } from '../../pipelines/data/generate.ts';
import { strengthForIC } from '../../pipelines/data/market-model.ts';
import { plantedICs } from '../../pipelines/data/planted-ic.ts';
import { runAlpha } from '../helpers/cli.ts';
import { tempDir } from '../helpers/datasets.ts';

/** The realised IC at `strength`: the mean over the snapshots (pipelines/data/planted-ic.ts). */
function realisedIC(strength: number, symbols: number, days: number, seed: number): { ic: number; snapshots: number } {
  const ics = plantedICs(strength, symbols, days, seed);
  return { ic: ics.reduce((a, b) => a + b, 0) / ics.length, snapshots: ics.length };
}

describe('--ic: the planted alpha set by its information coefficient', () => {
  // 200 symbols × 20 days = 480 snapshots, on a seed other than the calibration's. Under the null a
  // snapshot's Spearman correlation has a standard deviation of about 1/√(symbols − 1), so the mean of
  // 480 has a standard error of 1/√(199 · 480) ≈ 0.0032; the calibration's own error is about 0.001
  // (scripts/data/calibrate-ic.ts). Tolerance: 4 standard errors of both.
  const symbols = 200;
  const days = 20;
  it.each([0, 0.03, 0.08])('realises an IC of %s within the sampling error', (target) => {
    const { ic, snapshots } = realisedIC(strengthForIC(target), symbols, days, 11);
    expect(snapshots).toBe(days * 24);
    const standardError = Math.hypot(1 / Math.sqrt((symbols - 1) * snapshots), 0.001);
    expect(Math.abs(ic - target)).toBeLessThan(4 * standardError);
  });

  it('is strength 1 at about 0.1325 and grows with the strength', () => {
    expect(strengthForIC(0)).toBe(0);
    expect(strengthForIC(0.1325)).toBeCloseTo(1, 2);
    expect(strengthForIC(0.08)).toBeLessThan(strengthForIC(0.1));
  });

  it('writes the strength and the target IC into the manifest', async () => {
    const out = join(tempDir('gen-ic'), 'd');
    const manifest = await generateDataset({ out, symbols: 2, days: 1, ic: 0.08 });
    expect(manifest.ic).toBe(0.08);
    expect(manifest.alpha).toBe(strengthForIC(0.08));
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'))).toMatchObject({ ic: 0.08, alpha: manifest.alpha });
  });
});

interface Row {
  ts_event: number;
  symbol: string;
  bid?: number;
  ask?: number;
  price?: number;
  aggressor?: string;
  version?: number;
}

function rows(dir: string, file: string): Row[] {
  return readParquetFile(join(dir, file))
    .toArray()
    .map((r) => r.toJSON() as Row);
}

describe('alpha data generate --ic', () => {
  it('sets the planted alpha (0.03 by default, --alpha instead), and refuses both given', async () => {
    const dir = tempDir('gen-ic-cli');
    const ok = await runAlpha(['data', 'generate', '--out', join(dir, 'a'), '--symbols', '2', '--days', '1', '--ic', '0.05'], 60_000);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'a', 'manifest.json'), 'utf8'))).toMatchObject({ ic: 0.05, alpha: strengthForIC(0.05) });
    const byDefault = await runAlpha(['data', 'generate', '--out', join(dir, 'c'), '--symbols', '2', '--days', '1'], 60_000);
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'c', 'manifest.json'), 'utf8'))).toMatchObject({
      ic: 0.03,
      alpha: strengthForIC(0.03),
      trade_prices: 'quote-in-force',
    });
    const strength = await runAlpha(['data', 'generate', '--out', join(dir, 'd'), '--symbols', '2', '--days', '1', '--alpha', '1'], 60_000);
    expect(strength.code, strength.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'd', 'manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest['alpha']).toBe(1);
    expect(manifest['ic']).toBeUndefined();
    const both = await runAlpha(['data', 'generate', '--out', join(dir, 'b'), '--ic', '0.05', '--alpha', '1'], 60_000);
    expect(both.code).toBe(1);
    expect(both.stderr).toBe('alpha: --ic and --alpha both set the planted alpha: expected one of them\n');
  });
});

describe('--trade-prices quote-in-force, the default', () => {
  it('prints each trade at the touch of the latest quote at or before it; the quotes are those of last-touch', async () => {
    const base = { symbols: 4, days: 2, seed: 5 };
    const [a, b] = [join(tempDir('gen-touch'), 'd'), join(tempDir('gen-inforce'), 'd')];
    await generateDataset({ ...base, out: a, tradePrices: 'last-touch' });
    const manifest = await generateDataset({ ...base, out: b });
    expect(manifest.trade_prices).toBe('quote-in-force');
    for (const day of manifest.dates) {
      const file = `quotes/${day}.parquet`;
      expect(readFileSync(join(a, file)).equals(readFileSync(join(b, file))), file).toBe(true);
    }
    // Quotes of both days by symbol, in event order (the files are in ts_known order).
    const quotes = new Map<string, Row[]>();
    for (const day of manifest.dates)
      for (const q of rows(b, `quotes/${day}.parquet`)) quotes.set(q.symbol, [...(quotes.get(q.symbol) ?? []), q]);
    for (const list of quotes.values()) list.sort((x, y) => x.ts_event - y.ts_event);
    let checked = 0;
    let differFromLastTouch = 0;
    const lastTouchTrades = new Map(
      manifest.dates.flatMap((day) => rows(a, `trades/${day}.parquet`)).map((t) => [`${t.symbol}@${t.ts_event}@${t.version}`, t]),
    );
    for (const day of manifest.dates) {
      for (const t of rows(b, `trades/${day}.parquet`)) {
        const list = quotes.get(t.symbol)!;
        const inForce = list.filter((q) => q.ts_event <= t.ts_event).at(-1);
        expect(inForce, `${t.symbol} trade at ${t.ts_event}`).toBeDefined();
        expect(t.price).toBe(t.aggressor === 'BUY' ? inForce!.ask : inForce!.bid);
        if (lastTouchTrades.get(`${t.symbol}@${t.ts_event}@${t.version}`)?.price !== t.price) differFromLastTouch++;
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
    // Most trades print before their minute's last quote, so last-touch prices most of them elsewhere.
    expect(differFromLastTouch / checked).toBeGreaterThan(0.3);
  });
});
