/**
 * A Prediction is identified in the lake by (symbol, ts_event, model): the forecasts of two models for
 * one symbol at one instant are two records, whether they come in one append or in two, and a later
 * ts_known of one model's forecast supersedes that model's only. Expected rows are the forecasts the
 * test writes, the latest chosen here by hand.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendFiles } from '../../../../lib/io/lake/append.ts';
import { createTable } from '../../../../lib/io/lake/create.ts';
import { queryLake } from '../../../../lib/io/lake/query.ts';
import { writeRecordsParquet } from '../../../../lib/io/parquet.ts';
import { MINUTE } from '../../../../lib/core/time.ts';
import type { Prediction } from '../../../../schemas/types.generated.ts';
import { asObjects, tempLake } from '../../../helpers/lake.ts';

const lake = tempLake('lake-predictions');
afterAll(() => lake.remove());
const dir = join(lake.dir, 'lake');

const T = Date.UTC(2024, 0, 2, 15) * 1000;
const forecast = (model: string, value: number, known = T): Prediction => ({ ts_event: T, ts_known: known, symbol: 'AAA', value, model });
const file = (name: string, rows: readonly Prediction[]): string => {
  const path = join(lake.dir, `${name}.parquet`);
  writeRecordsParquet(path, 'Prediction', rows as unknown as Record<string, unknown>[]);
  return path;
};
const byModel = (rows: Record<string, unknown>[]): Record<string, unknown>[] =>
  [...rows].sort((a, b) => String(a['model']).localeCompare(String(b['model'])) || Number(a['ts_known']) - Number(b['ts_known']));

describe('a Prediction in the lake is identified by symbol, ts_event and model', () => {
  it("keeps two models' forecasts of one instant, in one append or two; a model's later forecast supersedes its own", async () => {
    const ridge = forecast('ridge@2024-01-01', 0.012);
    const gbm = forecast('gbm@2024-01-01', -0.004);
    const lgb = forecast('lgb@2024-01-01', 0.003);
    await createTable(dir, 'preds', 'Prediction');
    expect(await appendFiles(dir, 'preds', [file('one', [ridge, gbm])])).toEqual({ added: 2, skipped: 0, before: 0, version: 1 });
    expect(await appendFiles(dir, 'preds', [file('two', [lgb])])).toEqual({ added: 1, skipped: 0, before: 1, version: 2 });
    expect(await appendFiles(dir, 'preds', [file('again', [ridge, gbm, lgb])])).toEqual({ added: 0, skipped: 3, before: 2, version: 2 });

    // gbm's forecast of T restated 5 minutes later: the latest view has it in place of gbm's first, the others as they were.
    const restated = forecast('gbm@2024-01-01', -0.001, T + 5 * MINUTE);
    await appendFiles(dir, 'preds', [file('restated', [restated])]);
    const latest = asObjects(await queryLake({ lake: dir, dataset: 'preds' }));
    expect(byModel(latest)).toEqual(byModel([ridge, restated, lgb].map((p) => ({ ...p }))));
    expect(asObjects(await queryLake({ lake: dir, dataset: 'preds', allVersions: true }))).toHaveLength(4);
  });
});
