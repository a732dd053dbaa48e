/**
 * `alpha report RUN --data DIR` checks that DIR is the data the run replayed: DIR's hash over the
 * run's days, as the run computed summary.json's data_sha256, must be the run's. Another dataset is
 * refused in one `alpha:` line naming both hashes; a run of some days (--from/--to) is checked over
 * those days; a run whose hash is not of a data folder alone (a live capture; a lake read, in
 * test/operators/source/lake-replay.test.ts) and a summary written before data_sha256_of are
 * reported with a warning that says why they were not checked.
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../pipelines/report/write-report.ts';
import { runBacktest } from '../../pipelines/runtime/backtest.ts';
import { ROOT, runAlpha } from '../helpers/cli.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

let data: string;
let other: string;
let whole: string;
let window: string;

const summaryOf = (dir: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;

/** A copy of the run folder `dir` whose summary.json is changed by `edit`. */
function withSummary(dir: string, edit: (s: Record<string, unknown>) => Record<string, unknown>): string {
  const copy = join(tempDir('report-data-copy'), 'run');
  cpSync(dir, copy, { recursive: true, filter: (f) => !f.endsWith('.html') });
  writeFileSync(join(copy, 'summary.json'), JSON.stringify(edit(summaryOf(dir))));
  return copy;
}

beforeAll(async () => {
  // Two datasets of one shape (same symbols and days), other noise.
  [data, other] = await Promise.all([dataset({ symbols: 6, days: 4, seed: 3 }), dataset({ symbols: 6, days: 4, seed: 4 })]);
  const dates = (JSON.parse(readFileSync(join(data, 'manifest.json'), 'utf8')) as { dates: string[] }).dates;
  whole = join(tempDir('report-data'), 'whole');
  window = join(tempDir('report-data'), 'window');
  const topologyFile = join(ROOT, 'topology.yaml');
  await runBacktest({ topologyFile, dataDir: data, outDir: whole });
  await runBacktest({ topologyFile, dataDir: data, outDir: window, from: dates[1]!, to: dates[2]! });
}, 180_000);

describe('alpha report --data DIR against the run', () => {
  it('a run says its hash is of a data folder, over its days', () => {
    expect(summaryOf(whole)['data_sha256_of']).toBe('folder');
    const dates = (JSON.parse(readFileSync(join(data, 'manifest.json'), 'utf8')) as { dates: string[] }).dates;
    expect([summaryOf(window)['first_day'], summaryOf(window)['last_day']]).toEqual([dates[1], dates[2]]);
  });

  it('the data the run replayed is taken without a warning, for the whole folder and for a run of some of its days', async () => {
    expect((await writeReport({ runDir: whole, data })).warnings).toEqual([]);
    // The window's hash is of its days' files only: another hash than the whole run's.
    expect(summaryOf(window)['data_sha256']).not.toBe(summaryOf(whole)['data_sha256']);
    expect((await writeReport({ runDir: window, data })).warnings).toEqual([]);
  });

  it('another dataset is refused in one alpha: line naming both hashes, and no report is written', async () => {
    const run = withSummary(whole, (s) => s); // a folder of its own: no report.html from the other tests
    const r = await runAlpha(['report', run, '--data', other], 120_000);
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const recorded = summaryOf(whole)['data_sha256'] as string;
    expect(lines[0]).toMatch(
      new RegExp(
        `^alpha: report --data ${other}: its data_sha256 over those days is [0-9a-f]{64}, while ${run}/summary.json has data_sha256 ${recorded} over \\d{4}-\\d\\d-\\d\\d … \\d{4}-\\d\\d-\\d\\d: this is not the folder the run replayed \\(its manifest\\.json, hashed whole, or a file of those days differs\\); expected the data folder as the run replayed it, or no --data$`,
      ),
    );
    expect(readdirSync(run).filter((f) => f.endsWith('.html'))).toEqual([]);
  });

  it("a dataset of other days (none of the run's) is refused too", async () => {
    const later = await dataset({ symbols: 6, days: 4, seed: 3, start: '2024-03-04' });
    await expect(writeReport({ runDir: whole, data: later })).rejects.toThrow(
      /^report --data .*: no trading day of it lies in the run's days \(it has 2024-03-04 … 2024-03-07\), while .*summary.json has data_sha256 [0-9a-f]{64} over 2024-01-02 … 2024-01-05: this is not the folder the run replayed/,
    );
  });

  it("a live run's hash (its capture's) cannot be compared: a warning, and the report", async () => {
    const live = withSummary(whole, (s) => ({ ...s, mode: 'live', data_sha256_of: 'capture' }));
    const r = await runAlpha(['report', live, '--data', other], 120_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `alpha: warning: --data ${other} is not checked against the run's data: the run's data_sha256 is its live capture's, not a data folder's\n`,
    );
  });

  it('a summary written before data_sha256_of: a warning naming both hashes when they differ, none when they agree', async () => {
    const old = withSummary(whole, ({ data_sha256_of: _of, first_day: _f, last_day: _l, ...s }) => s);
    expect((await writeReport({ runDir: old, data })).warnings).toEqual([]);
    const [warning] = (await writeReport({ runDir: old, data: other })).warnings;
    expect(warning).toMatch(
      /^--data .*: its data_sha256 \([0-9a-f]{64}\) is not the run's \([0-9a-f]{64}\), but .* was written before runs said what their data_sha256 covers/,
    );
  });

  it('a data_sha256_of no run writes is refused as a mistyped summary field', async () => {
    const run = withSummary(whole, (s) => ({ ...s, data_sha256_of: 'lake' }));
    await expect(writeReport({ runDir: run })).rejects.toThrow(
      /field "data_sha256_of" is "lake": expected folder or folder\+lake or capture/,
    );
  });
});
