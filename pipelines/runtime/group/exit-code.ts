/**
 * How a group's process (`alpha run --group`) tells its supervisor (`--split`) whether starting it
 * again can help: a failure of its input (the data, the topology, a model card) fails every attempt
 * the same way, so it exits with {@link EXIT_INPUT_REFUSED} and is not restarted; nor is one whose
 * disk is full ({@link EXIT_CANNOT_WRITE}): the next attempt writes to the same disk at once. Anything
 * else (the broker gone, a signal, a crash) exits 1 or by the signal, and is.
 */
import { constants } from 'node:os';
import { DataError } from '../../../lib/core/errors.ts';
import { ranOutOfSpace } from '../../../lib/core/system-errors.ts';
import { ModelCardError } from '../../../lib/model/model-card.ts';
import { TopologyError } from '../../topology/problems.ts';

/** sysexits' EX_DATAERR: the input data was incorrect. */
export const EXIT_INPUT_REFUSED = 65;

/** sysexits' EX_CANTCREAT: an output file could not be written. */
export const EXIT_CANNOT_WRITE = 73;

/** The exit code that tells the supervisor not to start the process again, or undefined when a restart may help. */
export function exitCodeOfFailure(err: unknown): number | undefined {
  if (err instanceof DataError || err instanceof TopologyError || err instanceof ModelCardError) return EXIT_INPUT_REFUSED;
  return ranOutOfSpace(err) ? EXIT_CANNOT_WRITE : undefined;
}

/** Whether a group's process that exited with `code` would fail again the same way if started again. */
export function failsEveryAttempt(code: number): boolean {
  return code === EXIT_INPUT_REFUSED || code === EXIT_CANNOT_WRITE;
}

/** How a group's process ended, as a shell reports it: a signal is 128 + its number. */
export function processEnd(code: number | null, signal: NodeJS.Signals | null): { code: number; how: string } {
  if (code !== null) return { code, how: `exited with ${code}` };
  if (signal === null) return { code: 1, how: 'ended without an exit code or a signal (exit 1)' };
  const n = constants.signals[signal] as number | undefined;
  const shell = n === undefined ? 128 : 128 + n;
  return { code: shell, how: `killed by ${signal} (exit ${shell})` };
}

/**
 * The one line of a group that failed for good: how its process ended, and its last line on stderr
 * (its own `alpha:` line, when it wrote one), or that it wrote none.
 */
export function groupFailure(group: string, how: string, stderrTail: readonly string[]): string {
  const last = stderrTail.findLast((l) => l.trim() !== '')?.trim();
  return `group "${group}" failed: its process ${how}${last === undefined ? ', with nothing on stderr' : `: ${last.replace(/^alpha: /, '')}`}`;
}
