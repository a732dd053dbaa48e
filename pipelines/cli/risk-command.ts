/** `alpha risk solve`: its options and exit codes (pipelines/cli/risk.ts has the problem file and the solve). */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { QpSettings } from '../../native/osqp/index.ts';

/** The solver settings of `alpha risk solve` (its --eps and --max-iter change them). */
export const EXACT: QpSettings = { epsAbs: 1e-8, epsRel: 1e-8, polish: true, maxIter: 200_000 };

/** The most iterations the OSQP binding takes (native/osqp/index.ts). */
const MAX_ITER = 0x7fffffff;

const text = (value: string): string | number => value;

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function registerRiskCommand(program: Command): void {
  const risk = program.command('risk').description('Portfolio construction.');
  risk
    .command('solve')
    .description(
      'Solve one mean-variance problem (JSON, see docs/cli.md) with OSQP; print {status, weights, objective, iterations, solve_ms}.',
    )
    .argument('<problem>', 'PROBLEM.json')
    .option('--eps <x>', 'OSQP absolute and relative tolerance', text, EXACT.epsAbs)
    .option('--max-iter <n>', 'most ADMM iterations', text, EXACT.maxIter)
    .action(async (file: string, given: { eps: number | string; maxIter: number | string }) => {
      // Given flags arrive as text: '' is not 0, and the iterations are plain digits ('0x10', '1e15' are not).
      const opts = {
        eps: typeof given.eps === 'number' ? given.eps : given.eps.trim() === '' ? Number.NaN : Number(given.eps),
        maxIter: typeof given.maxIter === 'number' ? given.maxIter : /^\d+$/.test(given.maxIter) ? Number(given.maxIter) : Number.NaN,
      };
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        process.stderr.write(`${file}: cannot read: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 2;
        return;
      }
      const { parseProblem, solveProblem } = await import('./risk.ts');
      const parsed = parseProblem(text, file);
      if ('errors' in parsed) {
        process.stderr.write(`${parsed.errors.join('\n')}\n`);
        process.exitCode = 2;
        return;
      }
      if (
        !(opts.eps > 0 && opts.eps < Number.POSITIVE_INFINITY) ||
        !Number.isInteger(opts.maxIter) ||
        opts.maxIter < 1 ||
        opts.maxIter > MAX_ITER
      ) {
        process.stderr.write(
          `--eps is ${JSON.stringify(String(given.eps))} and --max-iter ${JSON.stringify(String(given.maxIter))}: expected a number > 0 and an integer from 1 to ${MAX_ITER.toLocaleString('en-US')}\n`,
        );
        process.exitCode = 2;
        return;
      }
      let r: ReturnType<typeof solveProblem>;
      try {
        r = solveProblem(parsed.problem, { ...EXACT, epsAbs: opts.eps, epsRel: opts.eps, maxIter: opts.maxIter });
      } catch (err) {
        // The contract holds whatever happens inside: a JSON result on stdout, a reason on stderr, exit 1.
        process.stdout.write(`${JSON.stringify({ status: 'error', weights: null, objective: null, iterations: 0, solve_ms: 0 })}\n`);
        process.stderr.write(`${file}: the solve failed: ${err instanceof Error ? err.message : String(err)}\n`);
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
        process.stderr.write(`${file}: solver status ${r.status}${r.reason ? `: ${r.reason}` : ''}\n`);
        process.exitCode = 1;
      }
    });
}
