/**
 * vitest globalSetup: when a selected test file needs the lake (a file under test/lib/io/lake/, or
 * whose name starts with `lake`, such as test/hostile/lake.test.ts), runs scripts/lake/setup.sh first, so one such file runs from a fresh clone
 * by itself. The script is idempotent (a few hundred ms when the venv and the DuckDB extension are
 * there; `npm test` runs it before vitest as `npm run setup:lake`) and bounded here to 10 minutes.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const needsLake = (file: string): boolean =>
  /(^|[/\\])test[/\\]lib[/\\]io[/\\]lake[/\\]/.test(file) || /(^|[/\\])lake[^/\\]*\.test\.[cm]?[jt]s$/.test(file);

export default async function setup(project: TestProject): Promise<void> {
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  const files = (await project.globTestFiles(filters)).testFiles;
  if (!files.some(needsLake)) return;
  const r = spawnSync('bash', [join(ROOT, 'scripts/lake/setup.sh')], { stdio: ['ignore', 'inherit', 'inherit'], timeout: 10 * 60_000 });
  if (r.status !== 0)
    throw new Error(
      `scripts/lake/setup.sh exited with ${r.status ?? r.signal}: the lake tests need .venv/lake and DuckDB's delta extension (see above)`,
    );
}
