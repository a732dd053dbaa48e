/**
 * How a group's process (`alpha run --group`) tells its supervisor (`--split`) whether starting it
 * again can help: a failure of its input (the data, the topology, a model card) fails every attempt
 * the same way, so it exits with {@link EXIT_INPUT_REFUSED} and is not restarted; nor is one whose
 * disk is full ({@link EXIT_CANNOT_WRITE}): the next attempt writes to the same disk at once. Anything
 * else (the broker gone, a signal, a crash) exits 1 or by the signal, and is.
 */
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
