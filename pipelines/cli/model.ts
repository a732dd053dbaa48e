/**
 * `alpha model train`: runs the part of the topology behind its model's input over a window of the
 * data, writes that edge to Parquet, and trains on it with research/model/train.py (in the project's
 * own Python environment, set up by research/setup.sh). The model folder gets model.onnx, card.json
 * and golden.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { AlphaError } from '../../lib/core/errors.ts';
import { resolveTopology, runBacktest } from '../runtime/backtest.ts';
import { featureEdge, featuresTopologyYaml, FEATURES_FILE } from '../model/features-topology.ts';
import { count, DEFAULT_MAX_DEAD_LETTERS, refuseDeadLetters } from '../model/dead-letter-share.ts';
import { openOutput, refuseInputs, runInputs } from '../io/output-folder.ts';
import { writeFileAtomically } from '../io/write-file.ts';
import { toJson } from '../runtime/node-context.ts';
import { progressPrinter, wroteLine } from './report.ts';
import { informationCoefficient, type IcReport } from '../model/evaluate.ts';
import { microsToDate } from '../../lib/model/model-card.ts';
import type { CrossSection, Prediction } from '../../schemas/types.generated.ts';
import { removedOnSignal } from '../../lib/core/on-signal.ts';

const ROOT = resolve(import.meta.dirname, '../..');
export const RESEARCH_PYTHON = join(ROOT, '.venv/research/bin/python');

/**
 * Creates or updates the research virtual environment (a no-op when it is up to date). What it says
 * goes to stderr (stdout is the command's result), and nothing with `quiet` unless it fails.
 */
export function ensureResearchEnv(quiet = false): void {
  const setup = spawnSync('bash', [join(ROOT, 'research/setup.sh')], { stdio: ['ignore', quiet ? 'ignore' : 2, 'inherit'] });
  if (setup.status !== 0)
    throw new AlphaError(`research/setup.sh failed (exit ${setup.status}): the Python environment for training is not ready`);
}

export interface EvaluateOptions {
  topology: string;
  data?: string;
  from?: string;
  to?: string;
  node?: string;
  out: string;
  overwrite?: boolean;
  format: string;
  quiet?: boolean;
}

export interface TrainOptions {
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
  /** The largest share of the features run's events that may be dead letters (default DEFAULT_MAX_DEAD_LETTERS). */
  maxDeadLetters?: number;
  quiet?: boolean;
  overwrite?: boolean;
}

/**
 * The features run's folder when --work is not given: out/model-train/<model folder name>-<8 hex digits
 * of --out's absolute path>. By the name alone, two trainings at once into /a/m1 and /b/m1 shared it,
 * and one trained on the other's features (two into one --out are refused by its lock).
 */
export function defaultWork(out: string): string {
  const abs = resolve(out);
  const name = abs.split('/').pop()!;
  return join('out/model-train', `${name}-${createHash('sha256').update(abs).digest('hex').slice(0, 8)}`);
}

/** `alpha model train`: the features run, then training, into --out (staged, moved into place once trained). */
export async function trainModel(opts: TrainOptions): Promise<void> {
  if (opts.out.trim() === '') throw new AlphaError('--out is empty: expected the model folder to write (e.g. models/NAME)');
  if (opts.work?.trim() === '') throw new AlphaError('--work is empty: expected a folder for the features run (or leave it out)');
  const topology = resolveTopology(opts.topology);
  const edge = featureEdge(topology, opts.edge);
  const name = resolve(opts.out).split('/').pop()!;
  const work = resolve(opts.work ?? defaultWork(opts.out));
  // The features run replaces --work whole and locks it: as --out (or around it) it met its own lock.
  refuseInputs(
    work,
    [{ what: 'the model folder (--out)', path: opts.out, folder: true, role: 'which this run writes' }],
    `--work ${opts.work ?? work}`,
    'a folder apart from it',
  );
  // The model folder is written atomically: staged beside --out, moved into place once trained.
  const output = openOutput(opts.out, {
    overwrite: opts.overwrite ?? false,
    holder: 'alpha model train',
    inputs: runInputs(opts.topology, opts.data ?? topology.data),
  });
  try {
    await train(opts, topology, edge, name, work, output.dir);
  } catch (err) {
    throw output.abort(err);
  }
  output.commit();
  process.stderr.write(`${wroteLine(opts.out)}\n`);
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
  const forget = removedOnSignal(scratch);
  const featuresTopology = join(scratch, 'features.yaml');
  writeFileSync(featuresTopology, featuresTopologyYaml(topology, edge));
  const dataDir = opts.data ?? topology.data;
  process.stderr.write(`features: the ${edge} edge of ${opts.topology}, ${opts.from} … ${opts.to} → ${join(work, FEATURES_FILE)}\n`);
  let summary: Awaited<ReturnType<typeof runBacktest>>;
  try {
    summary = await runBacktest({
      topologyFile: featuresTopology,
      outDir: work,
      holder: 'alpha model train',
      // Named as given, or as the default it fell back to.
      outFlag: opts.work === undefined ? '--work (default out/model-train/<model folder name>-<hash of --out>)' : '--work',
      // The default work folder is this command's scratch, replaced each time; one given with --work is the user's.
      overwrite: opts.work === undefined || (opts.overwrite ?? false),
      from: opts.from,
      to: opts.to,
      ...(dataDir ? { dataDir } : {}),
      ...(opts.quiet ? {} : { onProgress: progressPrinter() }),
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    forget();
  }
  const deadLetters = join(work, 'dead_letters.jsonl');
  refuseDeadLetters(summary, opts.maxDeadLetters ?? DEFAULT_MAX_DEAD_LETTERS, deadLetters);
  if (summary.dead_letters > 0)
    process.stderr.write(
      `warning: the features run wrote ${count(summary.dead_letters)} dead letters (${deadLetters}); training on the rest\n`,
    );
  ensureResearchEnv(opts.quiet);
  const extra = (['bottleneck', 'noise', 'horizon', 'holdout', 'seed'] as const).flatMap((k) =>
    opts[k] !== undefined ? [`--${k}`, opts[k]!] : [],
  );
  await runTrainPy([
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
  ]);
}

/**
 * Runs train.py, its lines on this process's stderr. A SIGINT or SIGTERM to this process is passed on
 * (from a terminal both get Ctrl-C; a signal to this process alone must not leave it training into a
 * staging folder nobody commits), and the command then fails with 130 or 143. train.py's refusal
 * (`train.py: error: …`, exit 2) becomes the command's `alpha:` line.
 */
async function runTrainPy(args: string[]): Promise<void> {
  // ALPHA_PARENT_PID: train.py ends with this process even when it is killed outright (SIGKILL).
  const child = spawn(RESEARCH_PYTHON, args, {
    stdio: ['ignore', 'inherit', 'pipe'],
    env: { ...process.env, ALPHA_PARENT_PID: String(process.pid) },
  });
  let refusal: string | undefined;
  // Every line, the last one too, is read before the child's 'close' (its stderr ends first).
  createInterface({ input: child.stderr!, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
    if (line.startsWith(TRAIN_REFUSAL)) refusal = line.slice(TRAIN_REFUSAL.length);
    else process.stderr.write(`${line}\n`);
  });
  let interrupted: NodeJS.Signals | undefined;
  const pass = (signal: NodeJS.Signals): void => {
    interrupted ??= signal;
    child.kill(signal);
  };
  process.on('SIGINT', pass);
  process.on('SIGTERM', pass);
  let code: number | null;
  let signal: NodeJS.Signals | null;
  try {
    [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done, fail) => {
      child.on('error', fail);
      child.on('close', (c, s) => done([c, s]));
    });
  } catch (err) {
    throw new AlphaError(`${RESEARCH_PYTHON}: cannot start it (${(err as Error).message}): run research/setup.sh`);
  } finally {
    process.off('SIGINT', pass);
    process.off('SIGTERM', pass);
  }
  const by = interrupted ?? signal ?? (code === 130 ? 'SIGINT' : code === 143 ? 'SIGTERM' : undefined);
  if (by !== undefined) {
    process.exitCode = by === 'SIGTERM' ? 143 : 130;
    throw new AlphaError(`training interrupted (${by}): no model written`);
  }
  if (code !== 0) throw new AlphaError(refusal !== undefined ? `train.py: ${refusal}` : `research/model/train.py failed (exit ${code})`);
}

const TRAIN_REFUSAL = 'train.py: error: ';

/** What `evaluate` writes beside the backtest's files: its report, and the mark of a folder it may replace unasked. */
const EVALUATION_FILE = 'evaluation.json';

/** A folder an earlier `evaluate` wrote (its report and the run's summary are there): what it replaces unasked. */
function isEvaluateFolder(dir: string): boolean {
  return [EVALUATION_FILE, 'summary.json'].every((f) => {
    try {
      return lstatSync(join(dir, f)).isFile();
    } catch {
      return false;
    }
  });
}

export interface EvaluationReport {
  topology: string;
  node: string;
  model_type: string;
  ic: IcReport;
  sharpe: number;
  total_return: number;
  days: number;
}

export async function evaluateModel(opts: EvaluateOptions): Promise<EvaluationReport> {
  const topology = resolveTopology(opts.topology);
  const node = opts.node ? topology.nodes.find((n) => n.name === opts.node) : topology.nodes.find((n) => n.type.startsWith('model.'));
  if (node?.output !== 'Prediction')
    throw new AlphaError(`${opts.topology}: ${opts.node ? `no node "${opts.node}" emitting Predictions` : 'no model node'}`);
  const input = Object.values(node.inputs).flat()[0]!;
  const snapshots: CrossSection[] = [];
  const predictions: Prediction[] = [];
  const dataDir = opts.data ?? topology.data;
  let report: EvaluationReport | undefined;
  await runBacktest({
    topologyFile: opts.topology,
    outDir: opts.out,
    holder: 'alpha model evaluate',
    // A scratch backtest for the report: an earlier run's folder is replaced, anything else only with --overwrite.
    overwrite: opts.overwrite === true || isEvaluateFolder(opts.out),
    ...(dataDir ? { dataDir } : {}),
    ...(opts.from ? { from: opts.from } : {}),
    ...(opts.to ? { to: opts.to } : {}),
    ...(opts.quiet ? {} : { onProgress: progressPrinter() }),
    observers: {
      [input]: (b) => snapshots.push(...(b as CrossSection[])),
      [node.name]: (b) => predictions.push(...(b as Prediction[])),
    },
    // Written into the run's folder before it is moved into place: a folder holding a run holds its evaluation.
    beforeCommit: (summary, dir) => {
      report = {
        topology: opts.topology,
        node: node.name,
        model_type: node.type,
        ic: informationCoefficient(snapshots, predictions, (a, b) => microsToDate(a) === microsToDate(b)),
        sharpe: summary.sharpe,
        total_return: summary.total_return,
        days: summary.days,
      };
      writeFileAtomically('--out', join(dir, EVALUATION_FILE), new TextEncoder().encode(`${toJson(report)}\n`));
    },
  });
  return report!;
}
