/** Runs the `alpha` command line as a child process (`node bin/alpha.mjs …` in the repository root), as a user would. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, where the command runs. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliRun {
  /** The exit code; null when a signal or the timeout ended the process. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `alpha ...args` in `cwd`; resolves (never rejects) once the process has ended or `timeoutMs` has passed. */
export function runAlpha(args: readonly string[], timeoutMs: number, cwd = ROOT): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/alpha.mjs'), ...args],
      { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

/** `alpha ...args` started in the background: its output so far, and its end (for a signal, or to wait). */
export function startAlpha(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  exited: Promise<CliRun>;
} {
  const child = spawn(process.execPath, ['bin/alpha.mjs', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (output.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output.stderr += d.toString()));
  const exited = new Promise<CliRun>((resolve) => child.once('exit', (code) => resolve({ code, ...output })));
  return { child, output, exited };
}
