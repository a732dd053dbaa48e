/** How the CLI reports an error, in one place (main.ts and the group worker of `alpha run` use it). */
import { AlphaError } from '../../lib/core/errors.ts';
import { redactSecrets } from '../../lib/core/secrets.ts';
import { systemErrorText } from '../../lib/core/system-errors.ts';
import { printable } from '../../lib/core/printable.ts';
import { formatProblem, TopologyError } from '../topology/problems.ts';

const debug = process.argv.includes('--debug');

const write = (text: string): void => void process.stderr.write(printable(redactSecrets(text)));

/** `cannot open PATH: the disk is full (ENOSPC): free some space, …` for a system error on a file, else undefined. */
function systemErrorLine(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException;
  const known = e instanceof Error && typeof e.code === 'string' ? systemErrorText(e.code) : undefined;
  if (!known) return undefined;
  const notes = e.message.includes('\n') ? e.message.slice(e.message.indexOf('\n')) : '';
  const what = e.path ? `cannot ${e.syscall ?? 'use'} ${e.path}` : `${e.syscall ?? 'a system call'} failed`;
  return `${what}: ${known}${notes}`;
}

/**
 * `alpha: <what went wrong>` on stderr (a topology's problems an `alpha:` line each), a stack trace only with
 * `--debug`, and exit code 1 unless the command set its own. A secret the process holds is blanked.
 */
export function report(err: unknown): void {
  const system = systemErrorLine(err);
  if (err instanceof TopologyError) {
    // One problem is one line like every refusal; several are one line each, counted on a last line,
    // as the problems of a sweep's grid are (validate-grid.ts).
    const lines = err.problems.map((p) => `alpha: ${formatProblem(p)}`);
    if (lines.length > 1) lines.push(`alpha: refusing to run: ${lines.length} problems in the topology`);
    write(`${lines.join('\n')}\n`);
  } else if (err instanceof AlphaError) {
    write(`alpha: ${err.message}\n`);
  } else if (system !== undefined) {
    write(`alpha: ${system}\n`);
  } else {
    // Not refused on purpose: a bug, or a failure nothing anticipated. Say so, and where to look.
    const message = err instanceof Error ? err.message : String(err);
    // The hint ends the first line: later lines are notes added on the way out (the --out folder's fate).
    const cut = message.includes('\n') ? message.indexOf('\n') : message.length;
    const hint = debug ? '' : ' (run again with --debug for the stack trace)';
    write(`alpha: unexpected error: ${message.slice(0, cut)}${hint}${message.slice(cut)}\n`);
  }
  if (debug && err instanceof Error && err.stack) write(`${err.stack}\n`);
  if (!process.exitCode) process.exitCode = 1;
}
