/** `DIR/manifest.json`: what a dataset holds and how it was made. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Session, UniverseMember } from '../../operators/sdk/context.ts';
import { DataError } from '../../lib/core/errors.ts';

export interface DatasetManifest {
  format: 1;
  generator: string;
  seed: number;
  alpha: number;
  symbols: number;
  start: string;
  dates: string[];
  sessions: (Session & { date: string })[];
  universe: UniverseMember[];
  /** Dataset name → schema and files (relative to the folder), one per trading day in date order. */
  datasets: Record<string, { schema: string; files: string[]; rows: number; corrections: number }>;
  planted_alpha: string;
}

export function readManifest(dir: string): DatasetManifest {
  const file = join(dir, 'manifest.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new DataError(file, 'dataset manifest not found — create a dataset with `alpha data generate --out DIR`');
  }
  let manifest: DatasetManifest;
  try {
    manifest = JSON.parse(text) as DatasetManifest;
  } catch (err) {
    throw new DataError(file, `not valid JSON (${(err as Error).message})`);
  }
  for (const key of ['dates', 'sessions', 'universe', 'datasets'] as const) {
    if (!manifest[key]) throw new DataError(file, `missing field "${key}"`);
  }
  return manifest;
}

/**
 * The manifest of the trading days from `from` to `to` (YYYY-MM-DD, both inclusive, either open):
 * the sessions and each dataset's files of those days only. Records known on a day are in that day's
 * file, so nothing known after `to`'s session is read.
 */
export function manifestWindow(dir: string, manifest: DatasetManifest, from?: string, to?: string): DatasetManifest {
  const file = join(dir, 'manifest.json');
  for (const [flag, date] of [
    ['--from', from],
    ['--to', to],
  ] as const) {
    if (date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(date))
      throw new DataError(file, `${flag} is "${date}": expected a date YYYY-MM-DD`);
  }
  if (from === undefined && to === undefined) return manifest;
  const keep = manifest.dates.map((d) => (from === undefined || d >= from) && (to === undefined || d <= to));
  if (!keep.includes(true)) {
    throw new DataError(
      file,
      `no trading day from ${from ?? 'the start'} to ${to ?? 'the end'} (the dataset has ${manifest.dates[0]} … ${manifest.dates[manifest.dates.length - 1]})`,
    );
  }
  const datasets = Object.fromEntries(
    Object.entries(manifest.datasets).map(([name, d]) => {
      if (d.files.length !== manifest.dates.length)
        throw new DataError(file, `dataset "${name}" lists ${d.files.length} files for ${manifest.dates.length} dates`);
      return [name, { ...d, files: d.files.filter((_, i) => keep[i]) }];
    }),
  );
  return {
    ...manifest,
    dates: manifest.dates.filter((_, i) => keep[i]),
    sessions: manifest.sessions.filter((_, i) => keep[i]),
    datasets,
  };
}
