/**
 * Where the lake's installed parts are: the venv of scripts/lake/lake.py (.venv/lake) and, inside it,
 * DuckDB's delta extension (duckdb-extensions/), both made by scripts/lake/setup.sh. LAKE_VENV points
 * elsewhere (the setup script takes the same variable). A missing part is an AlphaError saying how to
 * install it, never a download: nothing here reaches the network.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AlphaError } from '../../core/errors.ts';

/** The DuckDB engine of @duckdb/node-api (package.json pins 1.5.5-r.5); its extensions are built for it. */
export const DUCKDB_VERSION = '1.5.5';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface LakeInstall {
  /** The venv's python, which runs scripts/lake/lake.py. */
  python: string;
  /** scripts/lake/lake.py. */
  tool: string;
  /** DuckDB's extension_directory, holding v1.5.5/<platform>/delta.duckdb_extension. */
  extensionDir: string;
}

export function lakeVenv(): string {
  return process.env['LAKE_VENV'] || join(ROOT, '.venv/lake');
}

/** The installed parts, or an AlphaError naming the missing one and the command that installs it. */
export function lakeInstall(): LakeInstall {
  const venv = lakeVenv();
  const install = {
    python: join(venv, 'bin/python'),
    tool: join(ROOT, 'scripts/lake/lake.py'),
    extensionDir: join(venv, 'duckdb-extensions'),
  };
  const delta = join(install.extensionDir, `v${DUCKDB_VERSION}`);
  if (!existsSync(install.python) || !existsSync(delta))
    throw new AlphaError(
      `the lake tools are not installed (${existsSync(install.python) ? delta : venv} is missing): run npm run setup:lake`,
    );
  return install;
}
