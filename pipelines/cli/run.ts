/**
 * `alpha run FILE --group NAME`: one process group of a topology, joined to the others through Kafka
 * (`alpha backtest FILE --split` starts one per group). It replays the data like a backtest, runs only
 * its group's nodes, publishes its Kafka edges that other groups read and reads the ones it needs.
 */
import type { Command } from 'commander';
import { AlphaError } from '../../lib/core/errors.ts';
import { checkRunId } from './flag-values.ts';
import { report } from './report-error.ts';
import { progressPrinter } from './report.ts';
import { replayOptions, type ReplayOptions } from './replay-options.ts';

interface RunOptions extends ReplayOptions {
  group: string;
  runId: string;
  attempt: string;
  replica: string;
}

export function registerRunCommand(program: Command): void {
  replayOptions(
    program
      .command('run')
      .description('Run one process group of a topology over the data, its edges to other groups on Kafka.')
      .argument('<file>', 'topology.yaml with "groups:"')
      .requiredOption('--group <name>', 'the group to run')
      .option('--run-id <id>', "suffix of the run's topics and consumer groups: every group of one run uses the same", 'manual')
      .option('--replica <i>', 'which replica of a replicated group (0-based): it runs the symbols that hash to it', '0')
      .option('--attempt <n>', 'how many times this group was started before in the run (a restart replays from the start)', '0'),
    'out/run',
    "output folder (the group's summary goes to OUT/groups/NAME/)",
  ).action(async (file: string, opts: RunOptions) => {
    // The counts are plain whole numbers ('1e3', '0x1' and '' are not).
    checkRunId(opts.runId);
    for (const [flag, value, what] of [
      ['--replica', opts.replica, 'a replica index'],
      ['--attempt', opts.attempt, 'a count of earlier starts'],
    ] as const)
      if (!/^\d{1,9}$/.test(value)) throw new AlphaError(`${flag} ${JSON.stringify(value)}: expected ${what}, a whole number from 0`);
    const [{ kafkaSettings }, { runBacktest }, { kafkaEdges }] = await Promise.all([
      import('../../lib/io/kafka/settings.ts'),
      import('../runtime/backtest.ts'),
      import('../runtime/group/kafka-edges.ts'),
    ]);
    const summary = await runBacktest({
      topologyFile: file,
      sets: opts.set,
      outDir: opts.out,
      holder: 'alpha run',
      ...(opts.data ? { dataDir: opts.data } : {}),
      lakeDir: opts.lake,
      ...(opts.from ? { from: opts.from } : {}),
      ...(opts.to ? { to: opts.to } : {}),
      ...(opts.quiet ? {} : { onProgress: progressPrinter() }),
      group: {
        name: opts.group,
        runId: opts.runId,
        attempt: Number(opts.attempt),
        replica: Number(opts.replica),
        edges: kafkaEdges(kafkaSettings()),
      },
    }).catch(async (err: unknown): Promise<never> => {
      // A worker exits at once on any failure (open Kafka clients would keep it alive), so a supervisor
      // (--split) can start it again, unless its input is refused or its disk full: then every attempt would fail alike.
      const { exitCodeOfFailure } = await import('../runtime/group/exit-code.ts');
      const code = exitCodeOfFailure(err);
      if (code !== undefined) process.exitCode = code;
      report(err);
      process.exit();
    });
    process.stderr.write(
      `group "${opts.group}"${opts.replica === '0' ? '' : ` replica ${opts.replica}`}: ${summary.events} events in ${summary.wall_seconds}s, ${summary.fills} fills, ${summary.dead_letters} dead letters\n`,
    );
  });
}
