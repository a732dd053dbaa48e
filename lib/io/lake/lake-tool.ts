/**
 * Runs scripts/lake/lake.py (delta-rs) in the lake venv: one command, its JSON answer. The tool says
 * `lake: <what>` on stderr and exits 2 when it refuses; that becomes an AlphaError with the same words.
 */
import { execFile } from 'node:child_process';
import { AlphaError } from '../../core/errors.ts';
import { lakeInstall } from './install.ts';

/** A Z-order of a day's partition of quotes takes seconds; this bounds a hung tool. */
const TIMEOUT_MS = 15 * 60_000;

export function runLakeTool<T = Record<string, unknown>>(command: string, args: readonly string[]): Promise<T> {
  const { python, tool } = lakeInstall();
  return new Promise((resolve, reject) => {
    execFile(python, [tool, command, ...args], { timeout: TIMEOUT_MS, maxBuffer: 16 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const said = stderr
          .split('\n')
          .find((l) => l.startsWith('lake: '))
          ?.slice('lake: '.length);
        reject(
          new AlphaError(
            said ??
              `scripts/lake/lake.py ${command} failed (${err.killed ? 'timed out' : `exit ${err.code ?? err.signal}`}): ${stderr.trim().split('\n').pop() ?? ''}`,
          ),
        );
        return;
      }
      try {
        resolve(JSON.parse(stdout) as T);
      } catch {
        reject(new AlphaError(`scripts/lake/lake.py ${command} answered something other than JSON: ${stdout.slice(0, 200)}`));
      }
    });
  });
}
