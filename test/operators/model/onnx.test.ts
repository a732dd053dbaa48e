import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it, vi } from 'vitest';
import type { CrossSection, Prediction } from '../../../schemas/types.generated.ts';
import { MINUTE, T0, runInMemory } from '../../helpers/memory-graph.ts';
import { AXIS_1, BOOL, DOUBLE, FLOAT, INT64, onnxModel, rowSumModel } from './onnx-forge.ts';

const MODEL = 'models/default';
const card = JSON.parse(readFileSync(join(MODEL, 'card.json'), 'utf8')) as {
  feature_names: string[];
  ts_known_cutoff: string;
  name: string;
};
const golden = JSON.parse(readFileSync(join(MODEL, 'golden.json'), 'utf8')) as {
  feature_names: string[];
  inputs: number[][];
  outputs: number[][];
};
const DAY = 24 * 60 * MINUTE;

/** A graph of one memory cross-section source → model.onnx → probe, with the given model params. */
const topology = (params: string, features: readonly string[] = card.feature_names): string => `
nodes:
  - { name: snapshots, type: test.memory-cross-sections, params: { features: ${JSON.stringify(features)} } }
  - { name: model, type: model.onnx, inputs: snapshots, params: ${params} }
  - { name: out, type: test.probe, inputs: model }
`;

function snapshot(at: number, rows: readonly number[][], features: readonly string[] = card.feature_names): CrossSection {
  return {
    ts_event: at,
    ts_known: at,
    symbols: rows.map((_, i) => `S${String(i).padStart(2, '0')}`),
    features: [...features],
    values: rows.flat(),
    prices: rows.map(() => 100),
  };
}

/** A copy of the default model in a temp folder, with card fields replaced. */
function modelCopy(changes: Record<string, unknown> = {}, onnx?: Uint8Array): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'alpha-model-')), 'm');
  cpSync(MODEL, dir, { recursive: true });
  if (onnx) writeFileSync(join(dir, 'model.onnx'), onnx);
  writeFileSync(
    join(dir, 'card.json'),
    JSON.stringify({ ...card, ...JSON.parse(readFileSync(join(dir, 'card.json'), 'utf8')), ...changes }),
  );
  return dir;
}

const problemsOf = async (yaml: string): Promise<string> => {
  try {
    await runInMemory(yaml, { crossSections: [], sessions: [{ open: T0, close: T0 + 390 * MINUTE }] });
    return '';
  } catch (err) {
    return String((err as { problems?: unknown[] }).problems ? JSON.stringify((err as { problems: unknown[] }).problems) : err);
  }
};

describe('model.onnx', () => {
  it('reproduces the golden vectors Python ONNX Runtime wrote, to 1e-5', async () => {
    expect(golden.feature_names).toEqual(card.feature_names);
    const { probes, deadLetters } = await runInMemory(topology(`{ model: ${MODEL} }`), {
      crossSections: [snapshot(T0 + 30 * MINUTE, golden.inputs)],
    });
    const predictions = probes.get('out')!.records as Prediction[];
    expect(deadLetters).toEqual([]);
    expect(predictions).toHaveLength(golden.inputs.length);
    predictions.forEach((p, i) => expect(Math.abs(p.value - golden.outputs[i]![0]!)).toBeLessThan(1e-5));
    expect(predictions[0]!.model).toBe(`${card.name}@${card.ts_known_cutoff}`);
    // The predictions keep their place in event time: delivered while the clock is at the snapshot.
    expect(new Set(probes.get('out')!.clockAt)).toEqual(new Set([T0 + 30 * MINUTE]));
  });

  it('dead-letters a symbol with a NaN feature and still scores the others', async () => {
    const rows = golden.inputs.slice(0, 5).map((r) => [...r]);
    rows[2]![7] = NaN;
    const { probes, deadLetters } = await runInMemory(topology(`{ model: ${MODEL} }`), {
      crossSections: [snapshot(T0 + 30 * MINUTE, rows)],
    });
    const predictions = probes.get('out')!.records as Prediction[];
    expect(predictions.map((p) => p.symbol)).toEqual(['S00', 'S01', 'S03', 'S04']);
    predictions.forEach((p) => expect(Math.abs(p.value - golden.outputs[Number(p.symbol.slice(1))]![0]!)).toBeLessThan(1e-5));
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]!.reason).toContain(`feature "${card.feature_names[7]}" of S02 is NaN`);
  });

  describe('refuses, at validation, a topology whose features differ from the card', () => {
    const names = card.feature_names;
    it('a missing feature', async () => {
      const text = await problemsOf(topology(`{ model: ${MODEL} }`, names.slice(0, -1)));
      expect(text).toContain(`expects ${names.length} features, the topology delivers ${names.length - 1}`);
      expect(text).toContain(`missing: ${names[names.length - 1]}`);
    });
    it('an extra feature', async () => {
      const text = await problemsOf(topology(`{ model: ${MODEL} }`, [...names, 'surprise']));
      expect(text).toContain('not in the card: surprise');
    });
    it('another name', async () => {
      const text = await problemsOf(topology(`{ model: ${MODEL} }`, [...names.slice(0, -1), 'renamed']));
      expect(text).toContain(`missing: ${names[names.length - 1]}`);
      expect(text).toContain('not in the card: renamed');
    });
    it('another order', async () => {
      const swapped = [names[1]!, names[0]!, ...names.slice(2)];
      const text = await problemsOf(topology(`{ model: ${MODEL} }`, swapped));
      expect(text).toContain(`in another order: position 0 is \\"${names[1]}\\" in the topology and \\"${names[0]}\\" in the card`);
    });
    it('a name twice', async () => {
      const text = await problemsOf(topology(`{ model: ${MODEL} }`, [...names, names[0]!]));
      expect(text).toMatch(/delivers \d+; some names occur more than once|not in the card/);
    });
    it('no card, or a broken one, naming the file and field', async () => {
      expect(await problemsOf(topology('{ model: /nonexistent/model }'))).toContain('/nonexistent/model/card.json: no model card');
      const bad = modelCopy({ ts_known_cutoff: 'yesterday' });
      expect(await problemsOf(topology(`{ model: ${bad} }`))).toContain(`${bad}/card.json: ts_known_cutoff is \\"yesterday\\"`);
    });
    it('both or neither of model and schedule', async () => {
      expect(await problemsOf(topology('{}'))).toContain('give either \\"model\\" or \\"schedule\\"');
    });
  });

  describe('fails at start-up, with the file named, on a model it cannot use', () => {
    it("a model file that does not match the card's sha256", async () => {
      // Of the card's size (a file of another size is refused for that first), one bit changed.
      const changed = Uint8Array.from(readFileSync(join(MODEL, 'model.onnx')));
      changed[changed.length - 1]! ^= 1;
      const dir = modelCopy({}, changed);
      await expect(runInMemory(topology(`{ model: ${dir} }`), { crossSections: [] })).rejects.toThrow(`${dir}/model.onnx: sha256 is`);
    });
    it('a file ONNX Runtime cannot load', async () => {
      const garbage = new TextEncoder().encode('not an onnx model');
      const { createHash } = await import('node:crypto');
      const dir = modelCopy(
        { files: { 'model.onnx': { sha256: createHash('sha256').update(garbage).digest('hex'), bytes: garbage.length } } },
        garbage,
      );
      await expect(runInMemory(topology(`{ model: ${dir} }`), { crossSections: [] })).rejects.toThrow(
        /model\.onnx: ONNX Runtime cannot load it/,
      );
    });
  });

  describe('walk-forward', () => {
    const cutoff = Date.parse(card.ts_known_cutoff) * 1000;
    const dayOf = (t: number): string => new Date(t / 1000).toISOString().slice(0, 10);

    it('refuses a model whose cut-off is after the first snapshot it would score', async () => {
      // A run that starts the day of the cut-off: the model was trained on that day's data.
      const open = cutoff - 6 * 60 * MINUTE;
      await expect(
        runInMemory(topology(`{ model: ${MODEL} }`), {
          crossSections: [snapshot(open + 30 * MINUTE, golden.inputs)],
          sessions: [{ open, close: open + 390 * MINUTE }],
        }),
      ).rejects.toThrow(/trained on data known until .* after the first snapshot it would score .* look-ahead/);
    });

    it("refuses a schedule entry that starts on or before its model's cut-off", async () => {
      const text = await problemsOf(topology(`{ schedule: [{ from: "${dayOf(cutoff)}", model: ${MODEL} }] }`));
      expect(text).toContain(`trained on data known until ${card.ts_known_cutoff}, not before its first day ${dayOf(cutoff)}`);
    });

    it('switches models on their dates, and scores nothing before the first', async () => {
      const later = modelCopy({ name: 'later' });
      const days = [1, 2, 3, 4].map((d) => T0 + d * DAY);
      const sessions = days.map((open) => ({ open, close: open + 390 * MINUTE }));
      const { probes, metrics } = await runInMemory(
        topology(`{ schedule: [{ from: "${dayOf(days[1]!)}", model: ${MODEL} }, { from: "${dayOf(days[3]!)}", model: ${later} }] }`),
        {
          crossSections: days.map((d) => snapshot(d + 30 * MINUTE, golden.inputs.slice(0, 3))),
          sessions,
        },
      );
      const byDay = new Map<string, string>();
      for (const p of probes.get('out')!.records as Prediction[]) byDay.set(dayOf(p.ts_known), p.model);
      expect([...byDay]).toEqual([
        [dayOf(days[1]!), `${card.name}@${card.ts_known_cutoff}`],
        [dayOf(days[2]!), `${card.name}@${card.ts_known_cutoff}`],
        [dayOf(days[3]!), `later@${card.ts_known_cutoff}`],
      ]);
      expect(metrics.get('model')!['unscheduled']).toBe(1);
    });

    it('opens one ONNX session for a folder the schedule names twice (a model back after another)', async () => {
      const other = modelCopy({ name: 'other' });
      const days = [1, 2, 3].map((d) => T0 + d * DAY);
      const create = vi.spyOn(ort.InferenceSession, 'create');
      try {
        const { probes } = await runInMemory(
          topology(
            `{ schedule: [{ from: "${dayOf(days[0]!)}", model: ${MODEL} }, { from: "${dayOf(days[1]!)}", model: ${other} }, { from: "${dayOf(days[2]!)}", model: ${MODEL} }] }`,
          ),
          {
            crossSections: days.map((d) => snapshot(d + 30 * MINUTE, golden.inputs.slice(0, 3))),
            sessions: days.map((open) => ({ open, close: open + 390 * MINUTE })),
          },
        );
        expect(create).toHaveBeenCalledTimes(2);
        const byDay = new Map<string, string>();
        for (const p of probes.get('out')!.records as Prediction[]) byDay.set(dayOf(p.ts_known), p.model);
        expect([...byDay.values()]).toEqual([
          `${card.name}@${card.ts_known_cutoff}`,
          `other@${card.ts_known_cutoff}`,
          `${card.name}@${card.ts_known_cutoff}`,
        ]);
      } finally {
        create.mockRestore();
      }
    });
  });

  describe('models forged with another signature (test/operators/model/onnx-forge.ts)', () => {
    const FEATURES = ['f0', 'f1', 'f2'];
    /** A model folder holding `onnx` and a card for FEATURES whose size and hash match it. */
    const forged = (onnx: Uint8Array, features: readonly string[] = FEATURES): string => {
      const dir = join(mkdtempSync(join(tmpdir(), 'alpha-forged-')), 'm');
      mkdirSync(dir);
      writeFileSync(join(dir, 'model.onnx'), onnx);
      const files = { 'model.onnx': { sha256: createHash('sha256').update(onnx).digest('hex'), bytes: onnx.length } };
      writeFileSync(
        join(dir, 'card.json'),
        JSON.stringify({ name: 'forged', feature_names: features, ts_known_cutoff: card.ts_known_cutoff, files }),
      );
      return dir;
    };
    const rows = [
      [1, 2, 3],
      [0.5, -0.25, 4],
    ];
    const run = (dir: string) =>
      runInMemory(topology(`{ model: ${dir} }`, FEATURES), { crossSections: [snapshot(T0 + 30 * MINUTE, rows, FEATURES)] });
    const refusal = async (dir: string): Promise<string> => {
      try {
        await run(dir);
        return 'no error';
      } catch (err) {
        return (err as Error).message;
      }
    };

    it('scores with a sum-of-features model: each prediction is its row summed', async () => {
      const { probes, deadLetters } = await run(forged(rowSumModel(3)));
      expect(deadLetters).toEqual([]);
      // 1 + 2 + 3 = 6; 0.5 - 0.25 + 4 = 4.25 (exact in float32).
      expect((probes.get('out')!.records as Prediction[]).map((p) => p.value)).toEqual([6, 4.25]);
    });

    it('feeds a float64 input as float64 and reads a float64 output, or an [N, 1] one', async () => {
      for (const onnx of [
        rowSumModel(3, { inputType: DOUBLE }),
        rowSumModel(3, { outputType: DOUBLE }),
        rowSumModel(3, { keepdims: true }),
      ]) {
        const { probes, deadLetters } = await run(forged(onnx));
        expect(deadLetters).toEqual([]);
        expect((probes.get('out')!.records as Prediction[]).map((p) => p.value)).toEqual([6, 4.25]);
      }
    });

    it('refuses at start-up an int64 or a bool output (scored as BigInts, or all 1.0, before)', async () => {
      const int = forged(rowSumModel(3, { outputType: INT64 }));
      expect(await refusal(int)).toBe(
        `${int}/model.onnx: its output "Y" is of type int64, expected a float32 (or float64) tensor shaped [N] or [N, 1] (one score per row)`,
      );
      expect(await refusal(forged(rowSumModel(3, { outputType: BOOL })))).toMatch(
        /model\.onnx: its output "Y" is of type bool, expected a float32/,
      );
    });

    it("refuses at start-up an input narrower than the card's features, or of another type", async () => {
      const narrow = forged(rowSumModel(10));
      expect(await refusal(narrow)).toBe(
        `${narrow}/model.onnx: its input "X" is shaped [N, 10], expected a float32 (or float64) tensor shaped [N, 3] (N symbols, the card's 3 features)`,
      );
      const ints = onnxModel({
        nodes: [
          { op: 'Cast', inputs: ['X'], outputs: ['XF'], ints: { to: FLOAT } },
          { op: 'ReduceSum', inputs: ['XF', 'axis1'], outputs: ['Y'], ints: { keepdims: 0 } },
        ],
        initializers: [AXIS_1],
        inputs: [{ name: 'X', type: INT64, shape: ['N', 3] }],
        outputs: [{ name: 'Y', type: FLOAT, shape: ['N'] }],
      });
      expect(await refusal(forged(ints))).toMatch(
        /its input "X" is of type int64, expected a float32 \(or float64\) tensor shaped \[N, 3\]/,
      );
    });

    it('refuses at start-up an output of a row per feature, or one scalar', async () => {
      const identity = onnxModel({
        nodes: [{ op: 'Identity', inputs: ['X'], outputs: ['Y'] }],
        inputs: [{ name: 'X', type: FLOAT, shape: ['N', 3] }],
        outputs: [{ name: 'Y', type: FLOAT, shape: ['N', 3] }],
      });
      expect(await refusal(forged(identity))).toMatch(
        /its output "Y" is shaped \[N, 3\], expected a float32 \(or float64\) tensor shaped \[N\] or \[N, 1\]/,
      );
      const scalar = onnxModel({
        nodes: [{ op: 'ReduceSum', inputs: ['X'], outputs: ['Y'], ints: { keepdims: 0 } }],
        inputs: [{ name: 'X', type: FLOAT, shape: ['N', 3] }],
        outputs: [{ name: 'Y', type: FLOAT, shape: [] }],
      });
      expect(await refusal(forged(scalar))).toMatch(
        /its output "Y" is shaped \[\] \(a scalar, or not declared\), and for 2 rows it is a float32 tensor shaped \[\]: expected a float32/,
      );
    });

    it('dead-letters a score that is not finite, naming the symbol and its row, and publishes none', async () => {
      const { probes, deadLetters } = await run(forged(rowSumModel(3, { times: NaN })));
      expect(probes.get('out')!.records).toEqual([]);
      expect(deadLetters.map((d) => d.reason)).toEqual([
        `non-finite prediction: S00 (row 0 of the batch) scored NaN by the model forged@${card.ts_known_cutoff}; a score must be finite, it is not published`,
        `non-finite prediction: S01 (row 1 of the batch) scored NaN by the model forged@${card.ts_known_cutoff}; a score must be finite, it is not published`,
      ]);
    });

    it('refuses, at validation, a model.onnx or card.json that links out of the model folder', async () => {
      const dir = forged(rowSumModel(3));
      const elsewhere = mkdtempSync(join(tmpdir(), 'alpha-elsewhere-'));
      cpSync(join(dir, 'model.onnx'), join(elsewhere, 'model.onnx'));
      unlinkSync(join(dir, 'model.onnx'));
      symlinkSync(join(elsewhere, 'model.onnx'), join(dir, 'model.onnx'));
      expect(await problemsOf(topology(`{ model: ${dir} }`, FEATURES))).toContain(
        `${dir}/model.onnx: resolves to ${elsewhere}/model.onnx, outside the model folder ${dir}: expected a file inside the folder`,
      );
      const secret = join(elsewhere, 'secret.txt');
      writeFileSync(secret, 'TOP-SECRET first line\nsecond line\n');
      const other = forged(rowSumModel(3));
      unlinkSync(join(other, 'card.json'));
      symlinkSync(secret, join(other, 'card.json'));
      const text = await problemsOf(topology(`{ model: ${other} }`, FEATURES));
      expect(text).toContain(`${other}/card.json: resolves to ${secret}, outside the model folder`);
      expect(text).not.toContain('TOP-SECRET');
    });

    it('says in one line why ONNX Runtime cannot load a model, and ONNX Runtime prints nothing itself', async () => {
      // A weight in another file: loaded from its bytes, ONNX Runtime refuses it (and logged it in colour on stderr).
      const external = onnxModel({
        nodes: [
          { op: 'ReduceSum', inputs: ['X', 'axis1'], outputs: ['S'], ints: { keepdims: 0 } },
          { op: 'ReduceSum', inputs: ['W'], outputs: ['WS'], ints: { keepdims: 0 } },
          { op: 'Add', inputs: ['S', 'WS'], outputs: ['Y'] },
        ],
        initializers: [AXIS_1, { name: 'W', dims: [4], external: { location: 'package.json', length: 16 } }],
        inputs: [{ name: 'X', type: FLOAT, shape: ['N', 3] }],
        outputs: [{ name: 'Y', type: FLOAT, shape: ['N'] }],
      });
      const dir = forged(external);
      const message = await refusal(dir);
      expect(message).toMatch(
        new RegExp(`^${dir}/model\\.onnx: ONNX Runtime cannot load it: .*model_path must not be empty.*; expected an ONNX model`),
      );
      expect(message).not.toContain('\n');
      // The native log goes straight to file descriptor 2: a child process shows whether anything was written.
      const script = `
        import * as ort from 'onnxruntime-node';
        import { readFileSync } from 'node:fs';
        import { SESSION_OPTIONS } from './operators/model/onnx.ts';
        await ort.InferenceSession.create(readFileSync(${JSON.stringify(join(dir, 'model.onnx'))}), SESSION_OPTIONS).then(
          () => console.log('loaded'), (err) => console.log('refused: ' + err.message.slice(0, 40)));`;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(child.stdout).toMatch(/^refused: /);
      expect(child.stderr).toBe('');
    });
  });
});
