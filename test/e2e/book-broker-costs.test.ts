/**
 * topology.yaml (the default graph, with execution.book-broker) end to end through the command line:
 * the broker's carry reaches the equity (accounting's `costs` input), the run reports gross and net
 * with the cost breakdown, and its tear sheet shows all five costs.
 * Expected figures come from the run's Parquet files read with hyparquet (costs.parquet, the broker's
 * own record of every cost; equity.parquet, the books), not from the summary's code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import { tearSheet } from '../../lib/report/tear-sheet.ts';
import { readRunFolder } from '../../pipelines/report/run-folder.ts';
import { runAlpha } from '../helpers/cli.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

const KINDS = ['spread', 'impact', 'fee', 'borrow', 'financing'] as const;
let out: string;
let stdout: string;

async function rows(file: string): Promise<Record<string, unknown>[]> {
  const buf = readFileSync(join(out, file));
  return (await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer })) as Record<
    string,
    unknown
  >[];
}

beforeAll(async () => {
  const data = await dataset({ symbols: 10, days: 3, seed: 9 });
  out = join(tempDir('book-broker-costs'), 'run');
  const r = await runAlpha(['backtest', 'topology.yaml', '--data', data, '--out', out], 60_000);
  expect(r.stderr.split('\n').filter((l) => l.startsWith('alpha:'))).toEqual([]);
  expect(r.code).toBe(0);
  stdout = r.stdout;
}, 90_000);

describe('topology.yaml: costs that add up', () => {
  it("shows every cost in the tear sheet: impact from the broker's costs.parquet, the carry from the books", async () => {
    const costs = await rows('costs.parquet');
    const sum = (k: string, fills: boolean) =>
      costs.filter((c) => (c['fill_id'] !== null) === fills).reduce((a, c) => a + (c[k] as number), 0);
    const sheet = tearSheet(readRunFolder(out));
    const line = (name: string) => sheet.costs.find((c) => c.name === name);
    expect(line('impact')).toMatchObject({ source: 'sum of costs.impact' });
    expect(line('impact')!.amount).toBeCloseTo(sum('impact', true), 6);
    expect(line('fees')!.amount).toBeCloseTo(sum('fee', true), 6);
    expect(line('borrow')!.amount).toBeCloseTo(sum('borrow', false), 6);
    expect(line('financing')!.amount).toBeCloseTo(sum('financing', false), 6);
    expect(sheet.missing['costs']).toBeUndefined();
  });

  it('books the carry the broker reported, and reports gross and net with each cost', async () => {
    const costs = await rows('costs.parquet');
    const sum = (k: string) => costs.reduce((a, c) => a + (c[k] as number), 0);
    const expected = Object.fromEntries(KINDS.map((k) => [k, sum(k)]));
    // The run held positions over its closes: there is carry to book.
    expect(expected['borrow']).toBeGreaterThan(0);
    expect(expected['financing']).toBeGreaterThan(0);

    const states = await rows('equity.parquet');
    const [first, last] = [states[0]!, states.at(-1)!];
    expect(last['borrow']).toBeCloseTo(expected['borrow']!, 6);
    expect(last['financing']).toBeCloseTo(expected['financing']!, 6);
    // The books: equity = initial + realised + unrealised − fees − borrow − financing.
    const pnl = (last['realized_pnl'] as number) + (last['unrealized_pnl'] as number);
    const paid = (last['fees'] as number) + (last['borrow'] as number) + (last['financing'] as number);
    expect(last['equity']).toBeCloseTo((first['equity'] as number) + pnl - paid, 4);

    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      total_return: number;
      gross_return: number;
      costs: Record<string, number>;
    };
    for (const k of KINDS) expect(s.costs[k], k).toBeCloseTo(expected[k]!, 2);
    const total = KINDS.reduce((a, k) => a + expected[k]!, 0);
    expect(s.costs['total']).toBeCloseTo(total, 2);
    // Every cost was paid by the books once (fills: spread, impact, fee; accounting: carry), so before
    // costs the run would have made exactly their total more.
    expect(s.gross_return - s.total_return).toBeCloseTo(total / (first['equity'] as number), 7);

    const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
    const money = (x: number) => Math.round(x).toLocaleString('en-US');
    // Printed from the summary's figures (to the cent), each to the unit.
    expect(stdout).toContain(
      `  gross ${pct(s.gross_return)}  net ${pct(s.total_return)}  costs ${money(s.costs['total']!)} (${KINDS.map((k) => `${k} ${money(s.costs[k]!)}`).join(', ')})`,
    );
  });
});
