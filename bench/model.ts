/**
 * `npm run bench:model`: batch inference of the default model (or --model DIR) for one cross-section
 * of 500 symbols at the model's feature count, through onnxruntime-node as the model.onnx operator
 * calls it, then the same model on the same rows through Python onnxruntime (research/model/
 * bench_onnx.py, in the project's venv, set up on first use), with the ratio.
 *
 * Both sides: one intra-op thread, sequential execution, 50 warm-up runs, then --iterations timed
 * runs of one `run` of the whole batch. The TypeScript side also times the operator's own work around
 * the call (packing the cross-section into a Float32Array and building the predictions).
 *
 * Flags: --model models/default  --rows 500  --iterations 2000  --no-python
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Rng } from '../lib/core/rng.ts';
import { type ModelCard, readModelBytes, readModelCard } from '../lib/model/model-card.ts';
import { SESSION_OPTIONS } from '../operators/model/onnx.ts';
import { ensureResearchEnv, RESEARCH_PYTHON } from '../pipelines/cli/model.ts';
import { benchFlags, refuse, wholeNumber } from './flags.ts';

const flags = benchFlags('model', {
  model: { type: 'string', default: 'models/default' },
  rows: { type: 'string', default: '500' },
  iterations: { type: 'string', default: '2000' },
  'no-python': { type: 'boolean' },
});
const modelDir = flags.values.model;
const rows = wholeNumber(flags, 'rows', { max: 100_000 });
const iterations = wholeNumber(flags, 'iterations', { max: 1_000_000 });
const WARMUP = 50;

interface Timing {
  p50_us: number;
  p99_us: number;
  mean_us: number;
  min_us: number;
}

function summarise(us: Float64Array): Timing {
  const sorted = Float64Array.from(us).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))]!;
  return { p50_us: at(0.5), p99_us: at(0.99), mean_us: us.reduce((a, b) => a + b, 0) / us.length, min_us: sorted[0]! };
}

const { card, modelBytes } = ((): { card: ModelCard; modelBytes: Uint8Array } => {
  try {
    const card = readModelCard(modelDir);
    return { card, modelBytes: readModelBytes(card) };
  } catch (err) {
    return refuse('model', `--model '${modelDir}': ${err instanceof Error ? err.message : String(err)}`);
  }
})();
const k = card.feature_names.length;
const rng = new Rng(7);
const x = new Float32Array(rows * k);
for (let i = 0; i < x.length; i++) x[i] = rng.normal();
const values = Array.from(x);
const symbols = Array.from({ length: rows }, (_, i) => `S${i}`);

const session = await ort.InferenceSession.create(modelBytes, SESSION_OPTIONS);
const input = session.inputNames[0]!;
const output = session.outputNames[0]!;

async function time(fn: () => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const us = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    us[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  return summarise(us);
}

const run = await time(() => session.run({ [input]: new ort.Tensor('float32', x, [rows, k]) }));
const operatorPath = await time(async () => {
  const data = new Float32Array(rows * k);
  for (let i = 0; i < data.length; i++) data[i] = values[i]!;
  const out = await session.run({ [input]: new ort.Tensor('float32', data, [rows, k]) });
  const scores = out[output]!.data as Float32Array;
  return symbols.map((symbol, i) => ({ symbol, value: scores[i]! }));
});

let py: (Timing & { onnxruntime_version: string }) | undefined;
if (flags.values['no-python'] !== true) {
  ensureResearchEnv();
  const inputFile = join(mkdtempSync(join(tmpdir(), 'bench-model-')), 'rows.f32');
  writeFileSync(inputFile, x);
  py = JSON.parse(
    execFileSync(
      RESEARCH_PYTHON,
      [
        'research/model/bench_onnx.py',
        '--model',
        join(modelDir, 'model.onnx'),
        '--rows',
        String(rows),
        '--iterations',
        String(iterations),
        '--warmup',
        String(WARMUP),
        '--input',
        inputFile,
        '--json',
      ],
      { encoding: 'utf8' },
    ),
  ) as Timing & { onnxruntime_version: string };
}

const f = (us: number): string => us.toFixed(1).padStart(9);
const line = (name: string, t: Timing): string =>
  `${name.padEnd(44)} ${f(t.p50_us)} ${f(t.p99_us)} ${f(t.mean_us)} ${Math.round((rows * 1e6) / t.p50_us)
    .toLocaleString('en-US')
    .padStart(12)}`;
console.log(`model ${modelDir}: ${k} features, ${rows} rows per batch, ${iterations} timed runs (after ${WARMUP} warm-up), 1 thread`);
console.log(`${'side'.padEnd(44)} ${'p50 µs'.padStart(9)} ${'p99 µs'.padStart(9)} ${'mean µs'.padStart(9)} ${'rows/s (p50)'.padStart(12)}`);
console.log(line(`onnxruntime-node ${ort.env.versions.common} session.run`, run));
console.log(line("  + the operator's packing and predictions", operatorPath));
if (py) {
  console.log(line(`python onnxruntime ${py.onnxruntime_version} session.run`, py));
  console.log(
    `ratio node / python (p50): ${(run.p50_us / py.p50_us).toFixed(2)}×, operator path / python: ${(operatorPath.p50_us / py.p50_us).toFixed(2)}×`,
  );
}
