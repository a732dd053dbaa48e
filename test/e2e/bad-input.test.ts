import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBacktest } from '../../pipelines/runtime/backtest.ts';
import { DEAD_LETTERS_KEPT } from '../../pipelines/runtime/dead-letter-log.ts';
import { tableFromColumns } from '../../lib/io/avro-arrow.ts';
import { readParquetFile, writeParquetFile } from '../../lib/io/parquet.ts';
import { float64Column, int64Column, stringColumn } from '../../lib/io/arrow-columns.ts';
import type { DeadLetter } from '../../schemas/types.generated.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

const topologyFile = new URL('../../topology.yaml', import.meta.url).pathname;
let clean: string;

beforeAll(async () => {
  clean = await dataset({ symbols: 4, days: 3, seed: 5 });
});

/** A copy of the clean dataset whose manifest gives no sha256 of its files, so they can be edited. */
function copy(): string {
  const dir = tempDir('bad');
  cpSync(clean, dir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { datasets: Record<string, { sha256?: string[] }> };
  for (const d of Object.values(manifest.datasets)) delete d.sha256;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

/** Rewrites a quotes file with `edit` applied to its rows (as plain objects). */
function editQuotes(file: string, edit: (rows: Record<string, number | string>[]) => Record<string, number | string>[]): void {
  const batch = readParquetFile(file).batches;
  const rows: Record<string, number | string>[] = [];
  for (const b of batch) {
    const sym = stringColumn(b, 'symbol');
    const cols = {
      ts_event: int64Column(b, 'ts_event'),
      ts_known: int64Column(b, 'ts_known'),
      seq: int64Column(b, 'seq'),
      id: int64Column(b, 'id'),
      bid: float64Column(b, 'bid'),
      ask: float64Column(b, 'ask'),
      bid_size: float64Column(b, 'bid_size'),
      ask_size: float64Column(b, 'ask_size'),
    };
    const version = b.getChild('version')!.toArray() as Int32Array;
    for (let i = 0; i < b.numRows; i++) {
      rows.push({
        ...Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v[i]!])),
        version: version[i]!,
        symbol: sym.dictionary[sym.indices[i]!]!,
      });
    }
  }
  const out = edit(rows);
  const columns: Record<string, unknown[]> = {};
  for (const k of Object.keys(out[0]!)) columns[k] = out.map((r) => r[k]);
  writeParquetFile(file, tableFromColumns('Quote', columns, out.length));
}

describe('bad input', () => {
  it('turns bad quotes into dead letters with their reason, counts them, and finishes the run', async () => {
    const dir = copy();
    editQuotes(join(dir, 'quotes/2024-01-03.parquet'), (rows) => {
      const at = (i: number) => ({ ...rows[i]! });
      const bad = [
        { ...at(100), bid: NaN },
        { ...at(200), ask: -1 },
        { ...at(300), bid: 50, ask: 49 },
        { ...at(400), symbol: 'NOPE' },
      ];
      rows[100] = bad[0]!;
      rows[200] = bad[1]!;
      rows[300] = bad[2]!;
      rows[400] = bad[3]!;
      // Out of order: a record whose ts_known goes back in time (with a later seq).
      rows.splice(501, 0, { ...at(500), ts_known: (rows[500]!['ts_known'] as number) - 1_000_000 });
      return rows;
    });
    // The manifest counts the inserted row (a count that does not match the files is refused).
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { datasets: Record<string, { rows: number }> };
    manifest.datasets['quotes']!.rows += 1;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const out = tempDir('bad-out');
    const summary = await runBacktest({ topologyFile, dataDir: dir, outDir: out });
    const letters = readFileSync(join(out, 'dead_letters.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DeadLetter);
    const reasons = letters.map((l) => l.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^bad price: bid NaN/),
        expect.stringMatching(/^bad price: bid [\d.]+, ask -1/),
        expect.stringMatching(/^crossed quote: bid 50 > ask 49/),
        expect.stringMatching(/^unknown symbol "NOPE"/),
        expect.stringMatching(/^out of order: \(ts_known \d+, seq \d+\) after/),
      ]),
    );
    // The five bad records are the data's dead letters; any other is the trading loop's own refusal
    // (a pre-trade limit, an order reaching a closed market), never another node's.
    expect(letters.filter((l) => l.node === 'quotes')).toHaveLength(5);
    expect(letters.filter((l) => l.node !== 'quotes' && l.node !== 'pretrade' && l.node !== 'broker')).toEqual([]);
    expect(JSON.parse(letters.find((l) => l.reason.startsWith('bad price: bid NaN'))!.payload)).toMatchObject({ bid: 'NaN' });
    expect(summary.dead_letters).toBe(letters.length);
    expect(summary.dead_letter_reasons['quotes: crossed quote']).toBe(1);
    expect(summary.fills).toBeGreaterThan(0);
  });

  it('counts every dead letter of a flood of bad quotes, and keeps the first ones in the file', async () => {
    const dir = copy();
    let crossed = 0;
    for (const day of ['2024-01-03', '2024-01-04'])
      editQuotes(join(dir, `quotes/${day}.parquet`), (rows) => {
        crossed += rows.length;
        return rows.map((r) => ({ ...r, bid: r['ask']!, ask: r['bid']! }));
      });
    expect(crossed).toBeGreaterThan(DEAD_LETTERS_KEPT);
    const out = tempDir('flood-out');
    const summary = await runBacktest({ topologyFile, dataDir: dir, outDir: out });
    const lines = readFileSync(join(out, 'dead_letters.jsonl'), 'utf8').trim().split('\n');
    expect(summary.dead_letter_reasons['quotes: crossed quote']).toBe(crossed);
    expect(summary.dead_letters).toBeGreaterThanOrEqual(crossed);
    expect(summary.dead_letters_written).toBe(DEAD_LETTERS_KEPT);
    expect(lines).toHaveLength(DEAD_LETTERS_KEPT);
    // The first ones, in the order they came: the first day's quotes, crossed, in the replay's order.
    const first = lines.slice(0, 3).map((l) => JSON.parse(l) as DeadLetter);
    expect(first.map((l) => l.node)).toEqual(['quotes', 'quotes', 'quotes']);
    expect(first[0]!.ts_known).toBeLessThanOrEqual(first[1]!.ts_known);
    expect(first[0]!.reason).toMatch(/^crossed quote: bid [\d.]+ > ask [\d.]+$/);
  });

  it('names a missing data file, and its manifest entry, before the run starts', async () => {
    const dir = copy();
    rmSync(join(dir, 'trades/2024-01-04.parquet'));
    await expect(runBacktest({ topologyFile, dataDir: dir, outDir: tempDir('x') })).rejects.toThrow(
      /manifest\.json: datasets\.trades\.files\[2\] is "trades\/2024-01-04\.parquet": file not found/,
    );
  });

  it('names a corrupt data file', async () => {
    const dir = copy();
    writeFileSync(join(dir, 'quotes/2024-01-02.parquet'), 'not parquet at all');
    await expect(runBacktest({ topologyFile, dataDir: dir, outDir: tempDir('x') })).rejects.toThrow(
      /quotes\/2024-01-02\.parquet: not a readable Parquet file/,
    );
  });

  it('names a missing dataset folder', async () => {
    await expect(runBacktest({ topologyFile, dataDir: '/nonexistent/data', outDir: tempDir('x') })).rejects.toThrow(
      /\/nonexistent\/data\/manifest\.json: dataset manifest not found/,
    );
  });
});
