/**
 * `alpha data query --version N` of a version whose data files a vacuum deleted gave DuckDB's "IO
 * Error: Cannot open file …"; it names the version, the vacuum and the versions that can still be
 * read. Versions: 1 and 2 append (one file each), 3 optimizes them into one file, 4 and 5 are the
 * vacuum's (VACUUM START, VACUUM END), which deletes the two files only versions 1 and 2 need.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFiles } from '../../../../lib/io/lake/append.ts';
import { createTable } from '../../../../lib/io/lake/create.ts';
import { optimizeTable, vacuumTable } from '../../../../lib/io/lake/maintain.ts';
import { tablePath } from '../../../../lib/io/lake/layout.ts';
import { addActions } from '../../../../lib/io/lake/delta-commit.ts';
import { writeRecordsParquet } from '../../../../lib/io/parquet.ts';
import type { Trade } from '../../../../schemas/types.generated.ts';
import { type CliRun, runAlpha } from '../../../helpers/cli.ts';
import { tempLake } from '../../../helpers/lake.ts';
import { T0, trade as tradeAt } from '../../../helpers/records.ts';

const tmp = tempLake('lake-vacuumed');
afterAll(() => tmp.remove());
const lake = join(tmp.dir, 'lake');

const trade = (id: number): Trade => tradeAt('AAA', T0 + id, 10, 100, id, { ts_known: T0 + id + 300, aggressor: 'SELL' });

const query = (dataset: string, version: number): Promise<CliRun> =>
  runAlpha(['data', 'query', dataset, '--version', String(version), '--lake', lake], 60_000);

let firstFile: string;
let runs: CliRun[];
let unvacuumed: CliRun;

beforeAll(async () => {
  for (const dataset of ['trades', 'untouched']) {
    await createTable(lake, dataset, 'Trade');
    for (const id of [1, 2]) {
      const file = join(tmp.dir, `${dataset}-${id}.parquet`);
      writeRecordsParquet(file, 'Trade', [trade(id)] as unknown as Record<string, unknown>[]);
      await appendFiles(lake, dataset, [file]);
    }
  }
  const table = tablePath(lake, 'trades', true);
  firstFile = [...addActions(table, 1).keys()][0]!;
  await optimizeTable(lake, 'trades');
  await vacuumTable(lake, 'trades', { retainHours: 0 });
  // A file deleted by hand, no vacuum: the message must not blame one.
  const untouched = tablePath(lake, 'untouched', true);
  rmSync(join(untouched.dir, [...addActions(untouched, 1).keys()][0]!));
  [unvacuumed, ...runs] = await Promise.all([query('untouched', 1), query('trades', 1), query('trades', 2), query('trades', 3)]);
}, 120_000);

describe('alpha data query --version of a vacuumed version', () => {
  it('names the version, the vacuum, a file gone and the versions that can be read, in one line', () => {
    const [v1, v2] = runs as [CliRun, CliRun];
    expect(v1.code, v1.stderr).toBe(1);
    expect(v1.stderr).toBe(
      `alpha: --version 1 of dataset "trades" can no longer be read: a vacuum removed the data files it needs (1 of 1 gone: ${firstFile}); versions 3 to 5 can be read\n`,
    );
    expect(v2.code).toBe(1);
    expect(v2.stderr).toMatch(
      /^alpha: --version 2 of dataset "trades" can no longer be read: a vacuum removed the data files it needs \(2 of 2 gone: date=2024-01-02\/\S+\.parquet, …\); versions 3 to 5 can be read\n$/,
    );
  });

  it('reads the version the vacuum kept', () => {
    const v3 = runs[2]!;
    expect(v3.code, v3.stderr).toBe(0);
    expect(v3.stdout.trim().split('\n')).toHaveLength(3); // the header and the two trades
  });

  it('says a file is missing, not vacuumed, when no vacuum ran', () => {
    expect(unvacuumed.code).toBe(1);
    expect(unvacuumed.stderr).toMatch(
      /^alpha: --version 1 of dataset "untouched" can no longer be read: the data files it needs are missing from .*untouched, though no vacuum ran \(1 of 1 gone: date=2024-01-02\/\S+\.parquet\); no version has all its files, the latest included\n$/,
    );
  });
});
