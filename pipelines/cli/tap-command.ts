/** `alpha tap`: its options; pipelines/cli/tap.ts reads the topic, so the Kafka client loads only when it runs. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { AlphaError } from '../../lib/core/errors.ts';
import { RUN_ID, whole } from './flag-values.ts';
import type { TapOptions } from './tap.ts';

export function registerTapCommand(program: Command): void {
  program
    .command('tap')
    .description("Print the records of a node's Kafka topic (its output edge), decoded; control records show dimmed in table format.")
    .argument('<node>', 'node name in the topology')
    .option('--topology <file>', 'topology file', 'topology.yaml')
    .option(
      '--run <id>',
      'the edge of one run: a `backtest --split` run (the launcher prints the id) or a live group run (`alpha live --group --run-id ID`); its topics end in .ID',
    )
    .option('--from-beginning', 'start at the earliest record (default: at the end of the topic)')
    .option('--follow', 'keep waiting for new records (default: exit at the end of the topic)')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'table']).default('table'))
    .option('--max <n>', 'stop after N records', whole('--max', 1, Number.MAX_SAFE_INTEGER))
    .option('--dlq', "read the edge's dead letters (<topic>.dlq): the error, where the record came from, its bytes")
    .action(async (node: string, opts: TapOptions) => {
      if (opts.run !== undefined && !RUN_ID.test(opts.run))
        throw new AlphaError(`--run ${JSON.stringify(opts.run)}: expected a run id, 1–64 letters, digits, "_" or "-"`);
      await (await import('./tap.ts')).tap(node, opts);
    });
}
