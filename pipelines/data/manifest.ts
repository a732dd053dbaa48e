/** `DIR/manifest.json`: what a dataset holds and how it was made. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Session, UniverseMember } from '../../operators/sdk/context.ts';
import { DataError } from '../errors.ts';

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
