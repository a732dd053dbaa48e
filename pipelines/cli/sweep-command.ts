/**
 * `alpha sweep FILE --grid NODE.PARAM=v1,v2,… [--grid …] [--jobs N]`: a topology run once per grid
 * point in parallel workers (pipelines/sweep/), the figures of every point in OUT/sweep.parquet and
 * printed. Exit 0 when every point ran, 2 when the table was written but a point failed, 1 when the
 * sweep was refused (nothing ran), 130 (SIGINT) or 143 (SIGTERM) when interrupted (the output folder
 * left as it was).
 */
import { type Command, Option } from 'commander';
import { AlphaError } from '../../lib/core/errors.ts';
import { collect, replayOptions, type ReplayOptions } from './replay-options.ts';

interface SweepCliOptions extends ReplayOptions {
  grid: string[];
  jobs?: string;
  overwrite?: boolean;
  workers: 'process' | 'thread';
}

export function registerSweepCommand(program: Command): void {
  replayOptions(
    program
      .command('sweep')
      .description(
        'Run a topology once per point of a parameter grid, in parallel worker processes, and write the figures of every point to OUT/sweep.parquet.',
      )
      .argument('<file>', 'topology.yaml')
      .option(
        '--grid <NODE.PARAM=v1,v2,…>',
        'one axis of the grid: a param and its values (repeatable; points are every combination)',
        collect,
        [],
      )
      .option('--jobs <n>', 'workers running at once (default: the number of cores, at most one per point)'),
    'out/sweep',
  )
    .option('--overwrite', 'replace an existing non-empty --out whole (default: refuse it)')
    .addOption(
      new Option('--workers <kind>', 'child processes or worker threads').choices(['process', 'thread']).default('process').hideHelp(),
    )
    .action(async (file: string, opts: SweepCliOptions) => {
      const [{ registry }, { runSweep }, { sweepText }, { show }] = await Promise.all([
        import('../../operators/index.ts'),
        import('../sweep/sweep.ts'),
        import('../sweep/table.ts'),
        import('../sweep/grid.ts'),
      ]);
      let jobs: number | undefined;
      if (opts.jobs !== undefined) {
        jobs = /^\d{1,6}$/.test(opts.jobs) ? Number(opts.jobs) : Number.NaN;
        if (!Number.isInteger(jobs))
          throw new AlphaError(`--jobs is "${show(opts.jobs)}": expected a whole number of workers from 1 to 64`);
      }
      const controller = new AbortController();
      const onSignal = (signal: NodeJS.Signals): void => {
        process.stderr.write(`\nalpha: ${signal}: stopping the workers…\n`);
        controller.abort(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let failed = 0;
      try {
        const sweep = await runSweep({
          topologyFile: file,
          grid: opts.grid,
          sets: opts.set,
          outDir: opts.out,
          overwrite: opts.overwrite ?? false,
          workers: opts.workers,
          specs: registry,
          signal: controller.signal,
          ...(jobs !== undefined ? { jobs } : {}),
          ...(opts.data !== undefined ? { dataDir: opts.data } : {}),
          lakeDir: opts.lake,
          ...(opts.from !== undefined ? { from: opts.from } : {}),
          ...(opts.to !== undefined ? { to: opts.to } : {}),
          onNote: (text) => process.stderr.write(`alpha: note: ${text}\n`),
          onPoint: (r, finished, total) => {
            const label = `point ${r.point.index} (${r.point.sets.map(show).join(', ')})`;
            if (!r.outcome.ok) {
              failed++;
              process.stderr.write(`alpha: ${label} failed: ${r.outcome.error}\n`);
            } else if (!opts.quiet) {
              process.stderr.write(`  ${finished}/${total} ${label}: sharpe ${r.outcome.summary.sharpe.toFixed(2)}\n`);
            }
          },
        });
        process.stdout.write(
          `sweep of ${file}: ${sweep.results.length} points, ${sweep.results.length - failed} ran, ${failed} failed, ` +
            `${sweep.jobs} worker ${opts.workers === 'thread' ? 'thread' : 'process'}${sweep.jobs === 1 ? '' : opts.workers === 'thread' ? 's' : 'es'} in ${sweep.seconds.toFixed(1)}s\n` +
            `${sweepText(sweep.axes, sweep.results)}\n` +
            `wrote ${opts.out.replace(/\/+$/, '')}/: sweep.parquet, points/ (a run folder per point that ran${failed > 0 ? `; ${failed} failed: their errors in sweep.parquet's error column` : ''})\n`,
        );
        if (failed > 0) process.exitCode = 2;
      } catch (err) {
        // 128 + the signal's number, as a shell reports a process the signal ended.
        if (controller.signal.aborted) process.exitCode = controller.signal.reason === 'SIGTERM' ? 143 : 130;
        throw err;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
