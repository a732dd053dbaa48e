/**
 * The `alpha` command line: builds the program, runs it, and reports every error in one place:
 * `alpha: <what went wrong>` on stderr and exit 1 (a command may set another documented code first),
 * the topology's problems one per line, and a stack trace only with `--debug`.
 */
import { AlphaError } from '../../lib/core/errors.ts';
import { formatProblem, TopologyError } from '../topology/problems.ts';
import { buildProgram } from './program.ts';

const debug = process.argv.includes('--debug');

function report(err: unknown): void {
  if (err instanceof TopologyError) {
    process.stderr.write(`${err.problems.map(formatProblem).join('\n')}\nrefusing to run: ${err.problems.length} problem(s)\n`);
  } else if (err instanceof AlphaError) {
    process.stderr.write(`alpha: ${err.message}\n`);
  } else {
    // Not refused on purpose: a bug, or a failure nothing anticipated. Say so, and where to look.
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`alpha: unexpected error: ${message}${debug ? '' : ' (run again with --debug for the stack trace)'}\n`);
  }
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  if (!process.exitCode) process.exitCode = 1;
}

// Errors thrown outside the command's promise (a stream's subscriber, a timer) end the run the same way.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (err: unknown) => {
    report(err);
    process.exit();
  });
}

try {
  const program = await buildProgram();
  await program.parseAsync(process.argv);
} catch (err) {
  report(err);
}
