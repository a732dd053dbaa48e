/**
 * vitest globalSetup: when a selected test file drives a browser (its name ends in `.browser.test.ts`),
 * runs scripts/browser/setup.sh first, which installs Debian's chromium through apt when it is missing
 * (a few ms when it is there), and hands its path to the tests (`inject('chromiumPath')`). Bounded to 10 minutes.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

declare module 'vitest' {
  export interface ProvidedContext {
    /** The chromium binary scripts/browser/setup.sh found or installed. */
    chromiumPath: string;
  }
}

export const needsBrowser = (file: string): boolean => /\.browser\.test\.[cm]?[jt]s$/.test(file);

export default async function setup(project: TestProject): Promise<void> {
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  const files = (await project.globTestFiles(filters)).testFiles;
  if (!files.some(needsBrowser)) return;
  const r = spawnSync('bash', [join(ROOT, 'scripts/browser/setup.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    timeout: 10 * 60_000,
  });
  if (r.status !== 0)
    throw new Error(`scripts/browser/setup.sh exited with ${r.status ?? r.signal}: the browser tests need Debian's chromium (see above)`);
  project.provide('chromiumPath', r.stdout.trim().split('\n').pop() ?? '');
}
