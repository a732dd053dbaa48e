/**
 * Whether `alpha report --data DIR` is the data the run replayed: DIR's hash over the run's days,
 * computed as the run computed summary.json's `data_sha256` (pipelines/data/data-hash.ts), must be the
 * run's. A run whose hash is not of a data folder alone (a live run's capture, a lake read) cannot be
 * checked this way: that is a warning, and the report goes on.
 */
import { join } from 'node:path';
import { formatDate } from '../../lib/core/dates.ts';
import { AlphaError } from '../../lib/core/errors.ts';
import { dataHash } from '../data/data-hash.ts';
import { type DatasetManifest, manifestWindow } from '../data/manifest.ts';

/** Refuses `dataDir` when it is not the run's data; returns a warning when that cannot be told. */
export function checkRunData(
  runDir: string,
  summary: Record<string, unknown>,
  dataDir: string,
  manifest: DatasetManifest,
): string | undefined {
  const recorded = summary['data_sha256'] as string | undefined;
  const of = summary['data_sha256_of'] as string | undefined;
  const notChecked = `--data ${dataDir} is not checked against the run's data`;
  if (recorded === undefined) return `${notChecked}: ${join(runDir, 'summary.json')} has no data_sha256`;
  if (of === 'capture') return `${notChecked}: the run's data_sha256 is its live capture's, not a data folder's`;
  if (of === 'folder+lake') return `${notChecked}: the run read a lake too (a store: lake source), which the report does not read`;
  const first = summary['first_day'] as string | undefined;
  const last = summary['last_day'] as string | undefined;
  // The dates whose sessions lie within the run's days: its --from/--to window of the folder.
  const days = manifest.sessions.filter(
    (s) => (first === undefined || formatDate(s.open) >= first) && (last === undefined || formatDate(s.close) <= last),
  );
  const range = `${first ?? 'the start'} … ${last ?? 'the end'}`;
  const refusal = (found: string): AlphaError =>
    new AlphaError(
      `report --data ${dataDir}: ${found}, while ${join(runDir, 'summary.json')} has data_sha256 ${recorded} over ${range}: this is not the folder the run replayed (its manifest.json, hashed whole, or a file of those days differs); expected the data folder as the run replayed it, or no --data`,
    );
  if (days.length === 0) {
    if (of === undefined) return `${notChecked}: it has no trading day in the run's days ${range}`;
    throw refusal(`no trading day of it lies in the run's days (it has ${manifest.dates[0]} … ${manifest.dates.at(-1)})`);
  }
  const hash = dataHash(dataDir, manifestWindow(dataDir, manifest, days[0]!.date, days.at(-1)!.date));
  if (hash === recorded) return undefined;
  // A summary written before data_sha256_of says neither what its hash covers nor its days.
  if (of === undefined)
    return `${notChecked}: its data_sha256 (${hash}) is not the run's (${recorded}), but ${join(runDir, 'summary.json')} was written before runs said what their data_sha256 covers (a lake read, a live capture, or only the days of --from/--to)`;
  throw refusal(`its data_sha256 over those days is ${hash}`);
}
