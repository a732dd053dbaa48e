/**
 * How a group's process (`alpha run --group`) tells its supervisor (`--split`) whether starting it
 * again can help: a failure of its input (the data, the topology, a model card) fails every attempt
 * the same way, so it exits with {@link EXIT_INPUT_REFUSED} and is not restarted; anything else (the
 * broker gone, a signal, a crash) exits 1 or by the signal, and is.
 */
import { DataError } from '../../../lib/core/errors.ts';
import { ModelCardError } from '../../../lib/model/model-card.ts';
import { TopologyError } from '../../topology/problems.ts';

/** sysexits' EX_DATAERR: the input data was incorrect. */
export const EXIT_INPUT_REFUSED = 65;

/** Whether `err` would fail a restarted process the same way (its input is refused). */
export function failsEveryAttempt(err: unknown): boolean {
  return err instanceof DataError || err instanceof TopologyError || err instanceof ModelCardError;
}
