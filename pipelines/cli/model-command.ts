/** `alpha model train` and `alpha model evaluate`: their options; pipelines/cli/model.ts runs them. */
import type { Command } from 'commander';
import { AlphaError } from '../../lib/core/errors.ts';
import { dataFolder, decimal, fromDay, toDay, whole } from './flag-values.ts';
import type { EvaluateOptions, TrainOptions } from './model.ts';
import { DEFAULT_MAX_DEAD_LETTERS } from '../model/dead-letter-share.ts';

export function registerModelCommand(program: Command): void {
  const model = program.command('model').description('Train models for the model.onnx operator.');
  model
    .command('train')
    .description("Compute the topology's features over --from … --to, then train the autoencoder + LightGBM model and export it to ONNX.")
    .requiredOption('--from <date>', 'first trading day of the training window (YYYY-MM-DD)')
    .requiredOption('--to <date>', 'last trading day of the training window (YYYY-MM-DD)')
    .requiredOption('--out <dir>', 'model folder to write (e.g. models/NAME)')
    .option('--topology <file>', 'topology whose model input is the training data', 'topology.yaml')
    .option('--data <dir>', 'dataset folder (default: the topology\'s "data:")', dataFolder)
    .option('--edge <node>', 'the cross-section edge to train on (default: the input of the first model node)')
    .option(
      '--work <dir>',
      "where the features run writes (default: out/model-train/<model folder name>-<8 hex digits of --out's path>, replaced each run)",
    )
    // Checked here, not by train.py after the features run: as train.py accepts them, but in plain digits.
    .option('--bottleneck <n>', 'autoencoder bottleneck size', asText(whole('--bottleneck', 1, 1024)))
    .option('--noise <x>', 'autoencoder input noise (std)', asText(decimalIn('--noise', 0, 100, 'a standard deviation from 0 to 100')))
    .option('--horizon <n>', 'label horizon, in snapshots', asText(whole('--horizon', 1, 100_000)))
    .option(
      '--holdout <x>',
      "fraction of the window's sessions held out for metrics",
      asText(decimalIn('--holdout', 0, 1, 'a fraction from 0 up to (not including) 1', false)),
    )
    .option('--seed <n>', 'training seed', asText(whole('--seed', 0, 2 ** 32 - 1)))
    .option(
      '--max-dead-letters <x>',
      `the largest share of the features run's events that may be dead letters, from 0 to 1 (any share); past it nothing is trained (default ${DEFAULT_MAX_DEAD_LETTERS})`,
      decimalIn('--max-dead-letters', 0, 1, 'a fraction from 0 to 1'),
    )
    .option('--quiet', 'no progress output')
    .option('--overwrite', 'replace an existing non-empty --out whole (default: refuse it)')
    .action(async (opts: TrainOptions) => {
      await (await import('./model.ts')).trainModel(opts);
    });

  model
    .command('evaluate')
    .description("Backtest a topology and report its model's out-of-sample information coefficient next to the backtest's Sharpe.")
    .option('--topology <file>', 'topology to run', 'topology.yaml')
    .option('--data <dir>', 'dataset folder (default: the topology\'s "data:")', dataFolder)
    .option('--from <date>', 'first trading day (YYYY-MM-DD)', fromDay)
    .option('--to <date>', 'last trading day (YYYY-MM-DD)', toDay)
    .option('--node <name>', 'the model node (default: the first node whose type starts with "model.")')
    .option('--out <dir>', 'backtest output folder, with evaluation.json (an earlier evaluate run there is replaced)', 'out/model-evaluate')
    .option('--overwrite', 'replace an existing non-empty --out that is not an earlier evaluate run (default: refuse it)')
    .option('--format <format>', 'text or json', textOrJson, 'text')
    .option('--quiet', 'no progress output')
    .action(async (opts: EvaluateOptions) => {
      const report = await (await import('./model.ts')).evaluateModel(opts);
      if (opts.format === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        const f = (x: number, d = 4): string => (Number.isFinite(x) ? x.toFixed(d) : String(x));
        process.stdout.write(
          `${report.topology} (${report.node}, ${report.model_type}): IC ${f(report.ic.ic_mean)} ± ${f(report.ic.ic_std)} ` +
            `(t ${f(report.ic.ic_t, 1)}, ${report.ic.snapshots} snapshots, ${f(100 * report.ic.hit_rate, 1)}% positive); ` +
            `backtest Sharpe ${f(report.sharpe, 2)}, total return ${f(100 * report.total_return, 2)}%\n`,
        );
      }
    });
}

/** The value as given once `parse` accepts it (train.py reads it again). */
const asText =
  (parse: (value: string) => number) =>
  (value: string): string => {
    parse(value);
    return value;
  };

/** A commander parser: a decimal from `lo` to `hi` (`hi` itself only when `hiIn`). */
const decimalIn =
  (flag: string, lo: number, hi: number, accepted: string, hiIn = true) =>
  (value: string): number => {
    const x = decimal(flag, value);
    if (x < lo || x > hi || (!hiIn && x === hi)) throw new AlphaError(`${flag} is "${value}": expected ${accepted}`);
    return x;
  };

/** A commander parser: `text` or `json`. */
function textOrJson(value: string): string {
  if (value !== 'text' && value !== 'json') throw new AlphaError(`--format is "${value}": expected text or json`);
  return value;
}
