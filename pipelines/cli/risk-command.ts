/** `alpha risk solve`: its options and exit codes (pipelines/cli/risk.ts has the problem file and the solve). */
import type { Command } from 'commander';
import type { QpSettings } from '../../native/osqp/index.ts';
import { printableLine } from '../../lib/core/printable.ts';

/** The solver settings of `alpha risk solve` (its --eps and --max-iter change them). */
export const EXACT: QpSettings = { epsAbs: 1e-8, epsRel: 1e-8, polish: true, maxIter: 200_000 };

/** The most ADMM iterations asked for: 50 times the default. */
const MAX_ITER = 10_000_000;
/** The tightest tolerance asked for: below it doubles cannot tell the residuals apart. */
const MIN_EPS = 1e-12;
/**
 * The longest one OSQP solve may take before it stops with time_limit_reached (exit 1). A command
 * makes up to six (two coarse stages and the final one, again with scaling when they fail): 10 minutes in all.
 */
const TIME_LIMIT_MS = 100 * 1000;
/** The largest problem file read (a covariance of 1,000 assets is about 20 MB of JSON). */
const MAX_PROBLEM_BYTES = 64 * 1024 * 1024;

const text = (value: string): string | number => value;

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Lines on stderr, each kept one line with its control bytes written out: a key or a file name can neither add a line nor drive the terminal. */
const say = (lines: readonly string[]): void => void process.stderr.write(lines.map((l) => `${printableLine(l)}\n`).join(''));

export function registerRiskCommand(program: Command): void {
  const risk = program.command('risk').description('Portfolio construction.');
  risk
    .command('solve')
    .description(
      'Solve one mean-variance problem (JSON, see docs/cli.md) with OSQP; print {status, weights, objective, iterations, solve_ms}.',
    )
    .argument('<problem>', 'PROBLEM.json')
    .option('--eps <x>', 'OSQP absolute and relative tolerance, from 1e-12', text, EXACT.epsAbs)
    .option(
      '--max-iter <n>',
      'most ADMM iterations per OSQP solve, at most 10,000,000 (each solve also stops after 100 s)',
      text,
      EXACT.maxIter,
    )
    .action(async (file: string, given: { eps: number | string; maxIter: number | string }) => {
      // Given flags arrive as text: '' is not 0, and the iterations are plain digits ('0x10', '1e15' are not).
      const opts = {
        // A decimal, with an exponent for the small ones (1e-10), never hex ('0x10' was a tolerance of 16).
        eps: typeof given.eps === 'number' ? given.eps : /^(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(given.eps) ? Number(given.eps) : Number.NaN,
        maxIter: typeof given.maxIter === 'number' ? given.maxIter : /^\d+$/.test(given.maxIter) ? Number(given.maxIter) : Number.NaN,
      };
      let text: string;
      try {
        const { readDataBytes } = await import('../../lib/io/data-file.ts');
        text = new TextDecoder().decode(readDataBytes(file, { bytes: MAX_PROBLEM_BYTES, of: 'a problem file' }));
      } catch (err) {
        // readDataBytes's errors name the file; a pipe, a folder or a file over the limit is refused, not read.
        say([err instanceof Error ? err.message : String(err)]);
        process.exitCode = 2;
        return;
      }
      const { parseProblem, solveProblem } = await import('./risk.ts');
      const parsed = parseProblem(text, file);
      if ('errors' in parsed) {
        say(parsed.errors);
        process.exitCode = 2;
        return;
      }
      if (
        !(opts.eps >= MIN_EPS && opts.eps < Number.POSITIVE_INFINITY) ||
        !Number.isInteger(opts.maxIter) ||
        opts.maxIter < 1 ||
        opts.maxIter > MAX_ITER
      ) {
        process.stderr.write(
          `--eps is ${JSON.stringify(String(given.eps))} and --max-iter ${JSON.stringify(String(given.maxIter))}: expected a number from ${MIN_EPS} and an integer from 1 to ${MAX_ITER.toLocaleString('en-US')}\n`,
        );
        process.exitCode = 2;
        return;
      }
      let r: ReturnType<typeof solveProblem>;
      try {
        r = solveProblem(parsed.problem, {
          ...EXACT,
          epsAbs: opts.eps,
          epsRel: opts.eps,
          maxIter: opts.maxIter,
          timeLimitMs: TIME_LIMIT_MS,
        });
      } catch (err) {
        // The contract holds whatever happens inside: a JSON result on stdout, a reason on stderr, exit 1.
        process.stdout.write(`${JSON.stringify({ status: 'error', weights: null, objective: null, iterations: 0, solve_ms: 0 })}\n`);
        say([`${file}: the solve failed: ${err instanceof Error ? err.message : String(err)}`]);
        process.exitCode = 1;
        return;
      }
      const weights = r.weights.every(Number.isFinite) ? [...r.weights] : null;
      process.stdout.write(
        `${JSON.stringify({
          status: r.status,
          weights,
          objective: finiteOrNull(r.objective),
          iterations: r.iterations,
          solve_ms: r.solveMs,
        })}\n`,
      );
      if (r.status !== 'solved') {
        say([`${file}: solver status ${r.status}${r.reason ? `: ${r.reason}` : ''}`]);
        process.exitCode = 1;
      }
    });
}
