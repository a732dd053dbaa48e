/** The `alpha` command line: builds the program and reports its errors in one place. */
import { AlphaError } from '../../lib/core/errors.ts';
import { formatProblem, TopologyError } from '../topology/problems.ts';
import { buildProgram } from './program.ts';

const program = await buildProgram();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof TopologyError) {
    process.stderr.write(`${err.problems.map(formatProblem).join('\n')}\nrefusing to run: ${err.problems.length} problem(s)\n`);
    process.exitCode = 1;
  } else if (err instanceof AlphaError || err instanceof RangeError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = 1;
  } else {
    throw err;
  }
}
