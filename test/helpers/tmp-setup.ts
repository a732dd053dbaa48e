/**
 * vitest globalSetup: gives the run one temporary folder, `$TMPDIR/alpha-tests-XXXXXX`, as the test
 * workers' TMPDIR (so `os.tmpdir()` and every `mkdtemp` under it, and the processes the tests start,
 * write there), and removes it when the run ends. The tests' datasets, run folders and damaged copies
 * used to stay behind in /tmp, gigabytes after a few runs.
 *
 * ALPHA_KEEP_TEST_TMP=1 keeps the folder (its path is printed) to look at what a failing test wrote.
 * Listed last in vitest.config.ts so the services started before it keep the system's TMPDIR: they
 * outlive the run.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'alpha-tests-'));
  // As /tmp: tests run commands as an unprivileged user, who must reach their folders in it.
  chmodSync(dir, 0o1777);
  const before = process.env['TMPDIR'];
  process.env['TMPDIR'] = dir;
  return () => {
    if (before === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = before;
    if (process.env['ALPHA_KEEP_TEST_TMP'] === '1') {
      process.stdout.write(`\ntest files kept in ${dir} (ALPHA_KEEP_TEST_TMP=1)\n`);
      return;
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
}
