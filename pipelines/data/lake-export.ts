/**
 * `alpha data lake export DATASET --out DIR`: a lake dataset (the latest version of each record, or
 * what was known at `--as-of`) written as a data folder that `alpha backtest --data DIR` replays —
 * manifest.json and DATASET/DATE.parquet, one file per UTC date of ts_known, rows in delivery order.
 * It is the adapter between the lake and the replay until the replay reads the lake itself. A date's
 * session is the New York regular session (09:30–16:00) when every row of the date falls in it (US
 * equities, daily closes at 16:00), else the whole UTC day.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AlphaError } from '../../lib/core/errors.ts';
import { regularSession } from '../../lib/core/exchange-time.ts';
import { DAY } from '../../lib/core/time.ts';
import { tableFromRecords } from '../../lib/io/avro-arrow.ts';
import { queryLake } from '../../lib/io/lake/query.ts';
import { writeParquetFile } from '../../lib/io/parquet.ts';
import { openOutput } from '../io/output-folder.ts';
import type { DatasetManifest } from './manifest.ts';

export interface ExportOptions {
  lake: string;
  dataset: string;
  out: string;
  asOf?: number;
  overwrite?: boolean;
}

export async function exportDataset(
  o: ExportOptions,
): Promise<{ rows: number; dates: number; symbols: number; version: number; schema: string }> {
  if (`${resolve(o.out)}/`.startsWith(`${resolve(o.lake)}/`))
    throw new AlphaError(`--out ${o.out}: inside the lake folder ${o.lake}: expected a folder outside it`);
  const answer = await queryLake({ lake: o.lake, dataset: o.dataset, ...(o.asOf !== undefined ? { asOf: o.asOf } : {}) });
  const { schemaOfColumns } = await import('../../lib/io/lake/table-schema.ts');
  const schema = schemaOfColumns([...answer.columns.map((c) => c.name).filter((n) => n !== 'date'), 'date']);
  if (!schema) throw new AlphaError(`dataset "${o.dataset}": its columns are not those of a lake schema`);
  if (answer.rows.length === 0)
    throw new AlphaError(`dataset "${o.dataset}": no rows${o.asOf !== undefined ? ` known at ${o.asOf}` : ''}: nothing to export`);
  const names = answer.columns.map((c) => c.name).filter((n) => n !== 'date');
  const byDate = new Map<string, Record<string, unknown>[]>();
  for (const row of answer.rows) {
    const r: Record<string, unknown> = {};
    answer.columns.forEach((c, i) => {
      if (c.name !== 'date') r[c.name] = row[i];
    });
    const date = new Date(Math.floor((r['ts_known'] as number) / 1000)).toISOString().slice(0, 10);
    let day = byDate.get(date);
    if (!day) byDate.set(date, (day = []));
    day.push(r);
  }
  const dates = [...byDate.keys()].sort();
  const symbols = [...new Set(answer.rows.map((r) => String(r[names.indexOf('symbol')])))].sort();
  const output = openOutput(o.out, { overwrite: o.overwrite ?? false, holder: 'alpha data lake export' });
  try {
    mkdirSync(join(output.dir, o.dataset));
    const files: string[] = [];
    const hashes: string[] = [];
    const sessions: DatasetManifest['sessions'] = [];
    for (const date of dates) {
      const rows = byDate.get(date)!;
      const file = `${o.dataset}/${date}.parquet`;
      const bytes = writeParquetFile(join(output.dir, file), tableFromRecords(schema.name, rows));
      files.push(file);
      hashes.push(createHash('sha256').update(bytes).digest('hex'));
      const regular = regularSession(date);
      const inside = rows.every((r) => (r['ts_known'] as number) > regular.open && (r['ts_known'] as number) <= regular.close);
      const midnight = Date.parse(`${date}T00:00:00Z`) * 1000;
      sessions.push({ date, ...(inside ? regular : { open: midnight, close: midnight + DAY - 1 }) });
    }
    const manifest: DatasetManifest = {
      format: 1,
      generator: `alpha data lake export ${o.dataset} (table version ${answer.version}${o.asOf !== undefined ? `, as of ${o.asOf}` : ''})`,
      dates,
      sessions,
      universe: symbols.map((symbol) => ({ symbol, sector: 'UNKNOWN' })),
      symbols: symbols.length,
      start: dates[0]!,
      datasets: { [o.dataset]: { schema: schema.name, files, sha256: hashes, rows: answer.rows.length, corrections: 0 } },
    };
    writeFileSync(join(output.dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    output.commit();
  } catch (err) {
    throw output.abort(err);
  }
  return { rows: answer.rows.length, dates: dates.length, symbols: symbols.length, version: answer.version, schema: schema.name };
}
