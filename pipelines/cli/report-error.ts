/** How the CLI reports an error, in one place (main.ts and the group worker of `alpha run` use it). */
import { AlphaError } from '../../lib/core/errors.ts';
import { redactSecrets } from '../../lib/core/secrets.ts';
import { formatProblem, TopologyError } from '../topology/problems.ts';

const debug = process.argv.includes('--debug');

/**
 * `alpha: <what went wrong>` on stderr (a topology's problems one per line), a stack trace only with
 * `--debug`, and exit code 1 unless the command set its own. A secret the process holds is blanked.
 */
export function report(err: unknown): void {
  if (err instanceof TopologyError) {
    process.stderr.write(
      redactSecrets(`${err.problems.map(formatProblem).join('\n')}\nrefusing to run: ${err.problems.length} problem(s)\n`),
    );
  } else if (err instanceof AlphaError) {
    process.stderr.write(redactSecrets(`alpha: ${err.message}\n`));
  } else {
    // Not refused on purpose: a bug, or a failure nothing anticipated. Say so, and where to look.
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(
      redactSecrets(`alpha: unexpected error: ${message}${debug ? '' : ' (run again with --debug for the stack trace)'}\n`),
    );
  }
  if (debug && err instanceof Error && err.stack) process.stderr.write(redactSecrets(`${err.stack}\n`));
  if (!process.exitCode) process.exitCode = 1;
}
