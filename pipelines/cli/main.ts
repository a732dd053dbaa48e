/**
 * The `alpha` command line: builds the program, runs it, and reports every error in one place:
 * `alpha: <what went wrong>` on stderr and exit 1 (a command may set another documented code first),
 * a topology's problems an `alpha:` line each, and a stack trace only with `--debug`.
 */
import { fixMmapThreshold } from '../../native/parquet/index.ts';
import { endingBySignal } from '../../lib/core/on-signal.ts';
import { report } from './report-error.ts';
import { buildProgram } from './program.ts';

// Large blocks go back to the system when freed, instead of staying in glibc's per-thread arenas
// (docs/benchmarks.md, "Memory of the default backtest"); ALPHA_MMAP_THRESHOLD=0 leaves glibc's default.
if (process.env['ALPHA_MMAP_THRESHOLD'] !== '0') fixMmapThreshold(128 * 1024);

// A reader that went away (`alpha data query … | head -1`) is not an error of the command. On stdout,
// which every command writes only once its work is done (progress goes to stderr), the process ends
// quietly; on stderr, later lines are dropped, so a live run goes on when its log's reader is gone.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit();
});
process.stderr.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.stderr.write = () => true;
});

// Errors thrown outside the command's promise (a stream's subscriber, a timer) end the run the same way.
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (err: unknown) => {
    // Failures of what a signal's closers close (a consumer leaving its group) are not the run's.
    if (endingBySignal()) return;
    report(err);
    process.exit();
  });
}

try {
  const program = await buildProgram();
  await program.parseAsync(process.argv);
} catch (err) {
  // The process ends by the signal once its closers are done (lib/core/on-signal.ts); till then, quiet.
  if (endingBySignal()) await new Promise(() => {});
  report(err);
  // A failed command ends here: a connection it opened before failing (a venue session, a client)
  // must not keep the process waiting.
  process.exit();
}
