/**
 * convertItch (pipelines/itch/convert.ts) reads its file twice: once to decide the day, once to write
 * it. A file that gives other rows the second time (changed meanwhile: here the second opening is
 * handed a longer file) fails the run, and what it wrote is no dataset: `--out` is not created, and
 * the partial output kept beside it has no manifest and no spilled rows.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ItchWriter } from '../helpers/itch-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-itch-convert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Files the next openings of an ITCH file are given instead of the one asked for. */
const swaps: string[] = [];
vi.mock('../../pipelines/itch/book.ts', async (original) => {
  const book = await original<typeof import('../../pipelines/itch/book.ts')>();
  return { ...book, openItchFile: (file: string, symbols?: readonly string[]) => book.openItchFile(swaps.shift() ?? file, symbols) };
});
const { convertItch } = await import('../../pipelines/itch/convert.ts');

const HOUR = 3_600_000_000_000n;

/** A day of AAPL: a two-sided book, then `prints` prints a second apart (those after the third an hour earlier with `stepBack`). */
function day(name: string, prints: number, stepBack = false): string {
  const w = new ItchWriter();
  const at = 10n * HOUR;
  w.openTwoSided(1, at, 'AAPL');
  for (let i = 0; i < prints; i++)
    w.trade(1, (stepBack && i >= 3 ? at - HOUR : at) + BigInt(i + 2) * 1_000_000_000n, 'B', 10, 'AAPL', 1_000_000, BigInt(i + 3));
  writeFileSync(join(dir, name), w.bytes());
  return join(dir, name);
}

describe('convertItch on a file that changes between its two readings', () => {
  it.each([
    ['grew', false],
    ['grew with rows from before the last it wrote', true],
  ])('fails when it %s, leaving no dataset', async (what, stepBack) => {
    const file = day(`day-${stepBack}.itch`, 3);
    swaps.push(file, day(`longer-${stepBack}.itch`, 5, stepBack));
    const out = join(dir, `out-${stepBack}`);
    await expect(convertItch(file, { out, date: '2024-01-03' }), what).rejects.toThrow(
      /changed while it was converted \(its second reading differs from its first\)/,
    );
    expect(existsSync(out)).toBe(false);
    // The partial output, kept for a look, is no dataset: no manifest, no spilled rows.
    const kept = `${out}.failed`;
    expect(readdirSync(kept).sort()).toEqual(['quotes', 'trades']);
    expect([...readdirSync(join(kept, 'quotes')), ...readdirSync(join(kept, 'trades'))].filter((f) => f.includes('spill'))).toEqual([]);
    expect(swaps).toEqual([]);
  });
});

describe('convertItch on a day without a quote', () => {
  it('refuses a file whose symbols only print (no two-sided top): a dataset without quotes, which alpha backtest refuses', async () => {
    const w = new ItchWriter();
    w.stockDirectory(1, 9n * HOUR, 'DDD');
    for (let i = 0; i < 5; i++) w.trade(1, 10n * HOUR + BigInt(i) * 1_000_000_000n, 'B', 10, 'DDD', 1_000_000, BigInt(i + 1));
    const file = join(dir, 'prints-only.itch');
    writeFileSync(file, w.bytes());
    const out = join(dir, 'prints-only');
    await expect(convertItch(file, { out, date: '2024-01-03', symbols: ['DDD'] })).rejects.toThrow(
      `${file}: no quote to write for --symbols DDD (5 print(s), 0 one-sided, crossed or stub top(s)): a day of a dataset needs its quotes`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a day whose only two-sided top is a stub (an ask more than 10x the bid), which the replay refuses', async () => {
    const w = new ItchWriter();
    w.stockDirectory(1, 9n * HOUR, 'EEE');
    w.add(1, 10n * HOUR, 1n, 'B', 100, 'EEE', 100_000); // $10.00: a one-sided top
    w.add(1, 10n * HOUR + 1000n, 2n, 'S', 100, 'EEE', 1_999_999_900); // $199,999.99: a stub ask
    w.trade(1, 10n * HOUR + 2000n, 'B', 10, 'EEE', 100_000, 3n);
    const file = join(dir, 'stub-only.itch');
    writeFileSync(file, w.bytes());
    const out = join(dir, 'stub-only');
    await expect(convertItch(file, { out, date: '2024-01-03' })).rejects.toThrow(
      `${file}: no quote to write (1 print(s), 2 one-sided, crossed or stub top(s)): a day of a dataset needs its quotes`,
    );
    expect(existsSync(out)).toBe(false);
  });
});
