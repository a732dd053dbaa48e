/**
 * `alpha model train`: runs the part of the topology behind its model's input over a window of the
 * data, writes that edge to Parquet, and trains on it with research/model/train.py (in the project's
 * own Python environment, set up by research/setup.sh). The model folder gets model.onnx, card.json
 * and golden.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { AlphaError } from '../../lib/core/errors.ts';
import { resolveTopology, runBacktest } from '../runtime/backtest.ts';
import { featureEdge, featuresTopologyYaml, FEATURES_FILE } from '../model/features-topology.ts';
import { openOutput } from '../io/output-folder.ts';
import { progressPrinter, wroteLine } from './report.ts';
import { informationCoefficient, type IcReport } from '../model/evaluate.ts';
import { microsToDate } from '../../lib/model/model-card.ts';
import type { CrossSection, Prediction } from '../../schemas/types.generated.ts';

const ROOT = resolve(import.meta.dirname, '../..');
export const RESEARCH_PYTHON = join(ROOT, '.venv/research/bin/python');

/** Creates or updates the research virtual environment (a no-op when it is up to date). */
export function ensureResearchEnv(): void {
  const setup = spawnSync('bash', [join(ROOT, 'research/setup.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (setup.status !== 0)
    throw new AlphaError(`research/setup.sh failed (exit ${setup.status}): the Python environment for training is not ready`);
}

interface EvaluateOptions {
  topology: string;
  data?: string;
  from?: string;
  to?: string;
  node?: string;
  out: string;
  format: string;
  quiet?: boolean;
}

interface TrainOptions {
  from: string;
  to: string;
  out: string;
  topology: string;
  data?: string;
  edge?: string;
  work?: string;
  bottleneck?: string;
  seed?: string;
  noise?: string;
  holdout?: string;
  horizon?: string;
  quiet?: boolean;
  overwrite?: boolean;
}

export function registerModelCommand(program: Command): void {
  const model = program.command('model').description('Train models for the model.onnx operator.');
  model
    .command('train')
    .description("Compute the topology's features over --from … --to, then train the autoencoder + LightGBM model and export it to ONNX.")
    .requiredOption('--from <date>', 'first trading day of the training window (YYYY-MM-DD)')
    .requiredOption('--to <date>', 'last trading day of the training window (YYYY-MM-DD)')
    .requiredOption('--out <dir>', 'model folder to write (e.g. models/NAME)')
    .option('--topology <file>', 'topology whose model input is the training data', 'topology.yaml')
    .option('--data <dir>', 'dataset folder (default: the topology\'s "data:")')
    .option('--edge <node>', 'the cross-section edge to train on (default: the input of the first model node)')
    .option('--work <dir>', 'where the features run writes (default: out/model-train/<model folder name>, replaced each run)')
    .option('--bottleneck <n>', 'autoencoder bottleneck size')
    .option('--noise <x>', 'autoencoder input noise (std)')
    .option('--horizon <n>', 'label horizon, in snapshots')
    .option('--holdout <x>', "fraction of the window's sessions held out for metrics")
    .option('--seed <n>', 'training seed')
    .option('--quiet', 'no progress output')
    .option('--overwrite', 'replace an existing non-empty --out whole (default: refuse it)')
    .action(async (opts: TrainOptions) => {
      const topology = resolveTopology(opts.topology);
      const edge = featureEdge(topology, opts.edge);
      const name = resolve(opts.out).split('/').pop()!;
      const work = resolve(opts.work ?? join('out/model-train', name));
      // The model folder is written atomically: staged beside --out, moved into place once trained.
      const output = openOutput(opts.out, { overwrite: opts.overwrite ?? false });
      try {
        await train(opts, topology, edge, name, work, output.dir);
      } catch (err) {
        throw output.abort(err);
      }
      output.commit();
      process.stderr.write(`${wroteLine(opts.out)}\n`);
    });

  model
    .command('evaluate')
    .description("Backtest a topology and report its model's out-of-sample information coefficient next to the backtest's Sharpe.")
    .option('--topology <file>', 'topology to run', 'topology.yaml')
    .option('--data <dir>', 'dataset folder (default: the topology\'s "data:")')
    .option('--from <date>', 'first trading day (YYYY-MM-DD)')
    .option('--to <date>', 'last trading day (YYYY-MM-DD)')
    .option('--node <name>', 'the model node (default: the first node whose type starts with "model.")')
    .option('--out <dir>', 'backtest output folder (replaced by each run)', 'out/model-evaluate')
    .option('--format <format>', 'text or json', 'text')
    .option('--quiet', 'no progress output')
    .action(async (opts: EvaluateOptions) => {
      const report = await evaluateModel(opts);
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

/** The features run (into `work`, a scratch folder replaced each time), then train.py writing the model into `modelDir`. */
async function train(
  opts: TrainOptions,
  topology: ReturnType<typeof resolveTopology>,
  edge: string,
  name: string,
  work: string,
  modelDir: string,
): Promise<void> {
  // The features topology sits in a temporary folder: the features run replaces `work` whole.
  const scratch = mkdtempSync(join(tmpdir(), 'alpha-model-train-'));
  const featuresTopology = join(scratch, 'features.yaml');
  writeFileSync(featuresTopology, featuresTopologyYaml(topology, edge));
  const dataDir = opts.data ?? topology.data;
  process.stderr.write(`features: the ${edge} edge of ${opts.topology}, ${opts.from} … ${opts.to} → ${join(work, FEATURES_FILE)}\n`);
  let summary: Awaited<ReturnType<typeof runBacktest>>;
  try {
    summary = await runBacktest({
      topologyFile: featuresTopology,
      outDir: work,
      // The default work folder is this command's scratch, replaced each time; one given with --work is the user's.
      overwrite: opts.work === undefined || (opts.overwrite ?? false),
      from: opts.from,
      to: opts.to,
      ...(dataDir ? { dataDir } : {}),
      ...(opts.quiet ? {} : { onProgress: progressPrinter() }),
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (summary.dead_letters > 0)
    process.stderr.write(`warning: the features run wrote ${summary.dead_letters} dead letters (${join(work, 'dead_letters.jsonl')})\n`);
  ensureResearchEnv();
  const extra = (['bottleneck', 'noise', 'horizon', 'holdout', 'seed'] as const).flatMap((k) =>
    opts[k] !== undefined ? [`--${k}`, opts[k]!] : [],
  );
  const train = spawnSync(
    RESEARCH_PYTHON,
    [
      join(ROOT, 'research/model/train.py'),
      '--features',
      join(work, FEATURES_FILE),
      '--from',
      opts.from,
      '--to',
      opts.to,
      '--out',
      modelDir,
      '--name',
      name,
      ...extra,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (train.status !== 0) throw new AlphaError(`research/model/train.py failed (exit ${train.status ?? train.signal})`);
}

export async function evaluateModel(opts: EvaluateOptions): Promise<{
  topology: string;
  node: string;
  model_type: string;
  ic: IcReport;
  sharpe: number;
  total_return: number;
  days: number;
}> {
  const topology = resolveTopology(opts.topology);
  const node = opts.node ? topology.nodes.find((n) => n.name === opts.node) : topology.nodes.find((n) => n.type.startsWith('model.'));
  if (node?.output !== 'Prediction')
    throw new AlphaError(`${opts.topology}: ${opts.node ? `no node "${opts.node}" emitting Predictions` : 'no model node'}`);
  const input = Object.values(node.inputs).flat()[0]!;
  const snapshots: CrossSection[] = [];
  const predictions: Prediction[] = [];
  const dataDir = opts.data ?? topology.data;
  const summary = await runBacktest({
    topologyFile: opts.topology,
    outDir: opts.out,
    // A scratch backtest for the report, replaced by each run as before (the atomic-output rule covers backtest, data generate and model train).
    overwrite: true,
    ...(dataDir ? { dataDir } : {}),
    ...(opts.from ? { from: opts.from } : {}),
    ...(opts.to ? { to: opts.to } : {}),
    ...(opts.quiet ? {} : { onProgress: progressPrinter() }),
    observers: {
      [input]: (b) => snapshots.push(...(b as CrossSection[])),
      [node.name]: (b) => predictions.push(...(b as Prediction[])),
    },
  });
  const ic = informationCoefficient(snapshots, predictions, (a, b) => microsToDate(a) === microsToDate(b));
  return {
    topology: opts.topology,
    node: node.name,
    model_type: node.type,
    ic,
    sharpe: summary.sharpe,
    total_return: summary.total_return,
    days: summary.days,
  };
}
