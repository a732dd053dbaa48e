/**
 * model.onnx — scores each cross-section with a model trained by `alpha model train` (research/model),
 * served by ONNX Runtime. One inference per snapshot, batched over its symbols.
 *
 * Point in time: each model of the schedule scores only snapshots known at or after its card's
 * `ts_known_cutoff`; the run is refused at start-up when a model would score a period it was trained
 * on. A symbol whose features are not all finite becomes a dead letter; the others are still scored.
 * Start-up also refuses a model whose input or output cannot carry the card's features and one score
 * per row (lib/model/onnx-signature.ts); a score that is not finite is a dead letter, not a prediction.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { isoTime } from '../../lib/core/time.ts';
import * as ort from 'onnxruntime-node';
import type { CrossSection, Prediction } from '../../schemas/types.generated.ts';
import type { Micros } from '../sdk/context.ts';
import { defineOperator, definePorts, type FeatureProblem } from '../sdk/spec.ts';
import { handle, on } from '../sdk/handle.ts';
import {
  featureMismatch,
  microsToDate,
  ModelCardError,
  readModelBytes,
  readModelCard,
  type ModelCard,
} from '../../lib/model/model-card.ts';
import { checkSignature, isReal, onePerRow, oneLine, type Real, SILENT } from '../../lib/model/onnx-signature.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

const inputs = definePorts({
  cross_section: { schema: 'CrossSection', description: 'Normalised features, in the order of the model card.' },
});

/** The most models of a walk-forward schedule: each is loaded into its own session before the run starts. */
const MAX_SCHEDULE = 256;

const params = z
  .strictObject({
    model: z
      .string()
      .min(1)
      .optional()
      .describe('Folder of one model (card.json, model.onnx) that scores the whole run, relative to the working folder.'),
    schedule: z
      .array(
        z.strictObject({
          from: z.string().regex(DATE, 'a date YYYY-MM-DD').describe('First trading day the model scores.'),
          model: z.string().min(1).describe('Folder of the model, relative to the working folder.'),
        }),
      )
      .min(1)
      .max(MAX_SCHEDULE)
      .optional()
      .describe('Walk-forward: models in order of `from`; each scores from its date until the next one starts (at most 256).'),
  })
  .refine((p) => (p.model === undefined) !== (p.schedule === undefined), {
    message: 'give either "model" or "schedule", not both and not neither',
  })
  .refine((p) => !p.schedule || p.schedule.every((e, i) => i === 0 || e.from > p.schedule![i - 1]!.from), {
    message: 'schedule dates must increase',
    path: ['schedule'],
  });

type Params = z.infer<typeof params>;

/** The schedule a params object describes; one model with no date scores from the first session. */
function entries(p: Params): { from: string | undefined; model: string; param: (string | number)[] }[] {
  return p.schedule
    ? p.schedule.map((e, i) => ({ from: e.from, model: e.model, param: ['schedule', i, 'model'] }))
    : [{ from: undefined, model: p.model!, param: ['model'] }];
}

interface LoadedModel {
  card: ModelCard;
  session: ort.InferenceSession;
  input: string;
  /** The element type of the input: the features are handed over in it. */
  inputType: Real;
  output: string;
  label: string;
  from: string | undefined;
}

/**
 * One thread and sequential execution: the same scores every run, and no contention with the graph.
 * ONNX Runtime logs nothing (severity 4 and up only): its error reaches the alpha: line through the
 * exception, not as coloured lines of its own on stderr.
 */
export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  ...SILENT,
};

/**
 * A model as scored from `from` on. `opened` holds the sessions already made in this prepare, by
 * folder: a schedule that names one folder twice (a model back after another) shares one session.
 */
async function loadModel(
  card: ModelCard,
  from: string | undefined,
  firstScored: Micros | undefined,
  node: string,
  opened: Map<string, Promise<ort.InferenceSession>>,
): Promise<LoadedModel> {
  if (firstScored !== undefined && card.cutoff > firstScored) {
    throw new ModelCardError(
      `node "${node}": the model in ${card.dir} was trained on data known until ${card.ts_known_cutoff}, ` +
        `after the first snapshot it would score (${isoTime(firstScored)}): that would be look-ahead; ` +
        `score only after the cut-off${from ? ' (move its "from")' : ' (replay from a later --from)'} or train on an earlier window`,
    );
  }
  const dir = resolve(card.dir);
  let pending = opened.get(dir);
  if (!pending) {
    pending = (async () => ort.InferenceSession.create(readModelBytes(card), SESSION_OPTIONS))();
    opened.set(dir, pending);
  }
  let session: ort.InferenceSession;
  try {
    session = await pending;
  } catch (err) {
    if (err instanceof ModelCardError) throw err;
    throw new ModelCardError(
      `${resolve(card.dir, 'model.onnx')}: ONNX Runtime cannot load it: ${oneLine(err)}; expected an ONNX model with its weights inside the file, as \`alpha model train\` writes one`,
    );
  }
  if (session.inputNames.length !== 1 || session.outputNames.length < 1) {
    throw new ModelCardError(
      `${card.dir}/model.onnx: expected one input (the feature matrix) and an output, found inputs [${session.inputNames.join(', ')}], outputs [${session.outputNames.join(', ')}]`,
    );
  }
  const signature = await checkSignature(session, card.feature_names.length);
  if (signature.problem !== undefined) throw new ModelCardError(`${resolve(card.dir, 'model.onnx')}: ${signature.problem}`);
  return {
    card,
    session,
    input: session.inputNames[0]!,
    inputType: signature.type,
    output: session.outputNames[0]!,
    label: `${card.name}@${card.ts_known_cutoff}`,
    from,
  };
}

export const onnxModel = defineOperator({
  type: 'model.onnx',
  summary: 'Scores each cross-section with a trained ONNX model (or a walk-forward schedule of them).',
  inputs,
  output: 'Prediction',
  params,
  checkFeatures: (p, upstream) => {
    const problems: FeatureProblem[] = [];
    for (const e of entries(p)) {
      let card: ModelCard;
      try {
        card = readModelCard(e.model);
      } catch (err) {
        problems.push({ param: e.param, message: (err as Error).message });
        continue;
      }
      const mismatch = featureMismatch(card, upstream);
      if (mismatch)
        problems.push({
          param: e.param,
          message: mismatch,
          hint: "feed the model the edge it was trained on, or retrain it on this topology's features",
        });
      if (e.from !== undefined && microsToDate(card.cutoff) >= e.from) {
        problems.push({
          param: e.param,
          message: `the model was trained on data known until ${card.ts_known_cutoff}, not before its first day ${e.from}`,
          hint: 'each model of a schedule may score only days after its training cut-off',
        });
      }
    }
    return problems;
  },
  reads: (p) => entries(p).map((e) => ({ param: e.param.join('.'), path: e.model, folder: true })),
  prepare: async (p, run) => {
    const models: LoadedModel[] = [];
    const opened = new Map<string, Promise<ort.InferenceSession>>();
    for (const e of entries(p)) {
      const card = readModelCard(e.model);
      const first = run.sessions.find((s) => e.from === undefined || microsToDate(s.open) >= e.from);
      models.push(await loadModel(card, e.from, first?.open, run.node, opened));
    }
    return models;
  },
  create:
    (_p, ctx) =>
    ({ cross_section }) => {
      const models = ctx.prepared;
      if (!models) throw new Error(`model.onnx node "${ctx.node}" was not prepared: run it through runBacktest (or prepareNodes)`);
      const unscheduled = ctx.metrics.counter('unscheduled');
      const scored = ctx.metrics.counter('scored');
      const modelFor = (cs: CrossSection): LoadedModel | undefined => {
        const date = microsToDate(cs.ts_known);
        let chosen: LoadedModel | undefined;
        for (const m of models) if (m.from === undefined || m.from <= date) chosen = m;
        return chosen;
      };

      const score = async (cs: CrossSection, m: LoadedModel, emit: (b: Prediction[]) => void): Promise<void> => {
        const k = cs.features.length;
        const values = cs.values;
        const rows: number[] = [];
        for (let i = 0; i < cs.symbols.length; i++) {
          let j = 0;
          while (j < k && Number.isFinite(values[i * k + j]!)) j++;
          if (j === k) {
            rows.push(i);
            continue;
          }
          const x = values[i * k + j]!;
          const symbol = cs.symbols[i]!;
          ctx.deadLetter(
            { ts_event: cs.ts_event, ts_known: cs.ts_known, symbol, feature: cs.features[j], value: String(x) },
            `feature "${cs.features[j]}" of ${symbol} is ${x}: the symbol is not scored`,
          );
        }
        if (rows.length === 0) return;
        const data = m.inputType === 'float64' ? new Float64Array(rows.length * k) : new Float32Array(rows.length * k);
        for (let r = 0; r < rows.length; r++) {
          const from = rows[r]! * k;
          for (let j = 0; j < k; j++) data[r * k + j] = values[from + j]!;
        }
        const out = (await m.session.run({ [m.input]: new ort.Tensor(m.inputType, data, [rows.length, k]) }, SILENT))[m.output]!;
        // The signature was checked at load; a model whose shapes depend on its data can still differ.
        if (!isReal(out.type) || !onePerRow(out.dims, rows.length)) {
          ctx.deadLetter(
            cs,
            `model output of another shape: the model ${m.label} returned a ${out.type} tensor shaped [${out.dims.join(', ')}] for ${rows.length} rows, expected float32 or float64 shaped [${rows.length}] or [${rows.length}, 1]; the snapshot is not scored`,
          );
          return;
        }
        const scores = out.data as Float32Array | Float64Array;
        const predictions: Prediction[] = [];
        rows.forEach((i, r) => {
          const value = scores[r]!;
          const symbol = cs.symbols[i]!;
          if (Number.isFinite(value)) {
            predictions.push({ ts_event: cs.ts_event, ts_known: cs.ts_known, symbol, value, model: m.label });
            return;
          }
          ctx.deadLetter(
            { ts_event: cs.ts_event, ts_known: cs.ts_known, symbol, value: String(value), row: r },
            `non-finite prediction: ${symbol} (row ${r} of the batch) scored ${value} by the model ${m.label}; a score must be finite, it is not published`,
          );
        });
        scored.inc(predictions.length);
        if (predictions.length > 0) emit(predictions);
      };

      return handle<Prediction>(ctx, [
        on(cross_section, (batch, emit) => {
          for (const cs of batch) {
            const m = modelFor(cs);
            if (!m) {
              unscheduled.inc();
              continue;
            }
            if (m.card.cutoff > cs.ts_known) {
              ctx.deadLetter(cs, `the model ${m.label} was trained on data known after this snapshot: not scored (look-ahead)`);
              continue;
            }
            // Validation checked the declared names; a snapshot that differs anyway is refused, not misread.
            if (!sameNames(cs.features, m.card.feature_names)) {
              ctx.deadLetter(cs, featureMismatch(m.card, cs.features) ?? 'features differ from the card');
              continue;
            }
            ctx.hold(score(cs, m, emit));
          }
        }),
      ]);
    },
});

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((x, i) => x === b[i]));
}
