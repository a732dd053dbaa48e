/**
 * `alpha data generate --lake DIR`: the generated quotes and trades appended to the lake's Delta tables
 * of the same names (created with the Quote and Trade schemas when missing), one commit per table. An
 * append is idempotent (lib/io/lake/append.ts), so generating the same sample again adds nothing; a
 * table of the name that holds another schema is refused before anything is written.
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { AlphaError } from '../../lib/core/errors.ts';
import { appendFiles } from '../../lib/io/lake/append.ts';
import { createTable } from '../../lib/io/lake/create.ts';
import { lakeInstall } from '../../lib/io/lake/install.ts';
import { tablePath } from '../../lib/io/lake/layout.ts';
import type { DatasetManifest } from './manifest.ts';

export interface SampleAppend {
  dataset: string;
  created: boolean;
  added: number;
  skipped: number;
  version: number;
}

const inside = (dir: string, path: string): boolean => {
  const rel = relative(resolve(dir), resolve(path));
  return rel === '' || !(rel === '..' || rel.startsWith(`..${sep}`) || rel.startsWith(sep));
};

/** Refuses, before the sample is generated, a lake that cannot take it: tools missing, a lake inside --out or --out inside it. */
export function checkLake(lake: string, out: string): void {
  if (inside(out, lake) || inside(lake, out))
    throw new AlphaError(`--lake ${lake} and --out ${out}: one is inside the other; expected separate folders`);
  lakeInstall();
  for (const dataset of ['quotes', 'trades']) tablePath(lake, dataset, false);
}

export async function sampleToLake(dir: string, manifest: DatasetManifest, lake: string): Promise<SampleAppend[]> {
  const out: SampleAppend[] = [];
  for (const [dataset, entry] of Object.entries(manifest.datasets)) {
    const table = tablePath(lake, dataset, false);
    const created = !existsSync(join(table.dir, '_delta_log'));
    if (created) await createTable(lake, dataset, entry.schema);
    const r = await appendFiles(
      lake,
      dataset,
      entry.files.map((f) => join(dir, f)),
    );
    out.push({ dataset, created, added: r.added, skipped: r.skipped, version: r.version });
  }
  return out;
}
