/**
 * Hostile input to `alpha report`, through the real command line: a folder that is missing, a file,
 * not a run, a run with a damaged, truncated, mistyped or symlinked-out file, a broker's costs file
 * that does not match the fills, a summary that is not
 * JSON, and --out names that would leave the run folder or overwrite what is not a report. Each is one
 * line `alpha: …` naming the file and what would be accepted, exit 1, no stack trace (unless --debug),
 * and no report written anywhere.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeRecordsParquet } from '../../lib/io/parquet.ts';
import { runBacktest } from '../../pipelines/runtime/backtest.ts';
import { ROOT, runAlpha } from '../helpers/cli.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

let run: string;

beforeAll(async () => {
  const data = await dataset({ symbols: 8, days: 2, seed: 9 });
  run = tempDir('report-hostile-run');
  await runBacktest({ topologyFile: join(ROOT, 'topology.yaml'), dataDir: data, outDir: run });
});

/** A copy of the run folder, changed by `damage`. */
function damaged(damage: (dir: string) => void): string {
  const dir = join(tempDir('report-damaged'), 'run');
  cpSync(run, dir, { recursive: true });
  damage(dir);
  return dir;
}

async function refused(args: string[], ...words: (string | RegExp)[]): Promise<string> {
  const r = await runAlpha(['report', ...args], 60_000);
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^alpha: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  for (const w of words) expect(r.stderr).toMatch(w);
  expect(r.stdout).toBe('');
  return r.stderr;
}

const noReport = (dir: string): void => expect(readdirSync(dir).filter((f) => f.endsWith('.html') || f.endsWith('.tmp'))).toEqual([]);

describe('alpha report refuses what is not a run folder', () => {
  it('a missing folder', async () => {
    await refused([join(tempDir('report-none'), 'nope')], 'no such folder', 'summary.json, equity.parquet, fills.parquet, orders.parquet');
  });

  it('a file', async () => {
    const f = join(tempDir('report-file'), 'x');
    writeFileSync(f, 'x');
    await refused([f], 'is not a folder');
  });

  it('an empty folder, and one holding other files', async () => {
    const dir = tempDir('report-empty');
    await refused([dir], 'is not a run folder', 'summary.json, equity.parquet, fills.parquet, orders.parquet missing');
    writeFileSync(join(dir, 'summary.json'), '{}');
    await refused([dir], 'equity.parquet, fills.parquet, orders.parquet missing');
    noReport(dir);
  });

  it('a truncated Parquet file', async () => {
    const dir = damaged((d) => truncateSync(join(d, 'fills.parquet'), 1000));
    await refused([dir], 'fills.parquet', 'not a readable Parquet file');
    noReport(dir);
  });

  it('random bytes as equity.parquet', async () => {
    const dir = damaged((d) => writeFileSync(join(d, 'equity.parquet'), Buffer.from('PAR1 this is not parquet PAR1')));
    await refused([dir], 'equity.parquet', 'not a readable Parquet file');
  });

  it("a broker's costs.parquet without a row for each fill, or of random bytes", async () => {
    const carry = { ts_event: 0, ts_known: 0, symbol: 'SYM000', notional: 1, spread: 0, impact: 0, fee: 0, borrow: 1, financing: 0 };
    // One fill (this short run has none) and cost rows that are not its.
    const fill = {
      ts_event: 0,
      ts_known: 0,
      fill_id: 'f1',
      order_id: 'o1',
      symbol: 'SYM000',
      side: 'BUY',
      qty: 1,
      price: 10,
      fee: 0,
      liquidity: 'TAKER',
    };
    const lacking = damaged((d) => {
      writeRecordsParquet(join(d, 'fills.parquet'), 'Fill', [fill]);
      writeRecordsParquet(join(d, 'costs.parquet'), 'ExecutionCost', [
        { ...carry, fill_id: null },
        { ...carry, fill_id: 'f2', impact: 2 },
      ]);
    });
    const garbage = damaged((d) => writeFileSync(join(d, 'costs.parquet'), Buffer.from('PAR1 not parquet PAR1')));
    await Promise.all([
      refused([lacking], 'costs.parquet', /no row for fill "f1" \(fills.parquet row 0\): expected one row per fill/),
      refused([garbage], 'costs.parquet', 'not a readable Parquet file'),
    ]);
    noReport(lacking);
  });

  it("another file's schema: orders as fills", async () => {
    const dir = damaged((d) => cpSync(join(d, 'orders.parquet'), join(d, 'fills.parquet')));
    await refused([dir], 'fills.parquet', 'column "liquidity" missing', 'expected a string column');
  });

  it('a summary that is not JSON, or not an object', async () => {
    await refused([damaged((d) => writeFileSync(join(d, 'summary.json'), '{"sharpe": '))], 'summary.json', 'not JSON');
    await refused([damaged((d) => writeFileSync(join(d, 'summary.json'), '[1, 2]'))], 'summary.json', 'expected a JSON object');
  });

  it('a file that is a symlink out of the run folder, or a folder', async () => {
    const outside = join(tempDir('report-outside'), 'fills.parquet');
    cpSync(join(run, 'fills.parquet'), outside);
    await refused(
      [
        damaged((d) => {
          rmSync(join(d, 'fills.parquet'));
          symlinkSync(outside, join(d, 'fills.parquet'));
        }),
      ],
      'fills.parquet',
      'outside the run folder',
    );
    await refused(
      [
        damaged((d) => {
          rmSync(join(d, 'orders.parquet'));
          mkdirSync(join(d, 'orders.parquet'));
        }),
      ],
      'orders.parquet',
      'not a regular file',
    );
  });

  it('--data that is not a dataset', async () => {
    await refused([run, '--data', tempDir('report-nodata')], 'manifest.json', 'dataset manifest not found');
  });
});

describe('alpha report writes only inside the run folder', () => {
  it('--out names that leave the run folder, hide, or are not .html are refused (7 launches at once)', async () => {
    const cases: [string, string][] = [
      ['../outside.html', 'without a path'],
      ['/tmp/outside.html', 'without a path'],
      ['sub/report.html', 'without a path'],
      ['..', 'without a path'],
      ['.hidden.html', 'does not start with a dot'],
      ['report.txt', 'ending in .html'],
      ['', 'without a path'],
    ];
    const dir = damaged(() => {});
    const before = readdirSync(join(dir, '..'));
    await Promise.all(cases.map(([out, why]) => refused([dir, '--out', out], '--out', why)));
    noReport(dir);
    expect(readdirSync(join(dir, '..'))).toEqual(before);
  });

  it('an --out that is a symlink or a folder is not written through', async () => {
    const target = join(tempDir('report-target'), 'victim.html');
    writeFileSync(target, 'keep me');
    const dir = damaged((d) => symlinkSync(target, join(d, 'report.html')));
    await refused([dir], 'exists and is not a regular file', 'symlink');
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    const dir2 = damaged((d) => mkdirSync(join(d, 'report.html')));
    await refused([dir2], 'exists and is not a regular file');
  });

  it('--debug adds the stack trace', async () => {
    const r = await runAlpha(['report', join(tempDir('report-none'), 'nope'), '--debug'], 60_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^alpha: report: no such folder/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('an earlier report is replaced whole', async () => {
    const dir = damaged((d) => writeFileSync(join(d, 'report.html'), 'old'));
    const r = await runAlpha(['report', dir], 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
