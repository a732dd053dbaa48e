/**
 * Reading a model folder: card.json and model.onnx must be files of the folder itself (a link out of
 * it is refused), the card UTF-8 and its fields consistent with each other and with the model file.
 * Cards are written here by hand from the default model's, so each expected value is what the test wrote.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isoToMicros, ModelCardError, readModelBytes, readModelCard } from '../../../lib/model/model-card.ts';

const MODEL_BYTES = new Uint8Array(readFileSync('models/default/model.onnx'));
const base = JSON.parse(readFileSync('models/default/card.json', 'utf8')) as Record<string, unknown> & { feature_names: string[] };

/** A model folder with the default model and `card` (the default card with `changes`) written as given. */
function folder(changes: Record<string, unknown> = {}): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'alpha-card-')), 'm');
  mkdirSync(dir);
  writeFileSync(join(dir, 'model.onnx'), MODEL_BYTES);
  writeFileSync(join(dir, 'card.json'), JSON.stringify({ ...base, ...changes }));
  return dir;
}

/** The message of what `f` throws (a ModelCardError), or 'no error'. */
function refusal(f: () => unknown): string {
  try {
    f();
    return 'no error';
  } catch (err) {
    expect(err).toBeInstanceOf(ModelCardError);
    return (err as Error).message;
  }
}

describe('readModelCard', () => {
  it('reads the default card of a folder of real files', () => {
    const dir = folder();
    const card = readModelCard(dir);
    expect(card.feature_names).toEqual(base.feature_names);
    expect(Buffer.from(readModelBytes(card)).equals(MODEL_BYTES)).toBe(true);
  });

  describe('files that resolve outside the model folder', () => {
    it('a card.json linked to a file elsewhere is refused, and none of that file is quoted', () => {
      const dir = folder();
      const secret = join(mkdtempSync(join(tmpdir(), 'alpha-secret-')), 'passwd');
      writeFileSync(secret, 'root:x:0:0:root:/root:/bin/bash\n');
      const card = join(dir, 'card.json');
      writeFileSync(card, '');
      symlinkSync(secret, `${card}.link`);
      renameSync(`${card}.link`, card);
      const message = refusal(() => readModelCard(dir));
      expect(message).toBe(
        `${card}: resolves to ${secret}, outside the model folder ${dir}: expected a file inside the folder (copy it in rather than link to it)`,
      );
      expect(message).not.toContain('root:x');
    });

    it('a model.onnx linked out of the folder is refused by readModelCard (validation) and readModelBytes (start-up)', () => {
      // Before: one linked into a run's --out was read, and --overwrite then deleted it.
      const outside = mkdtempSync(join(tmpdir(), 'alpha-out-'));
      writeFileSync(join(outside, 'model.onnx'), MODEL_BYTES);
      const dir = folder();
      const onnx = join(dir, 'model.onnx');
      symlinkSync(join(outside, 'model.onnx'), `${onnx}.link`);
      renameSync(`${onnx}.link`, onnx);
      const expected = `${onnx}: resolves to ${join(outside, 'model.onnx')}, outside the model folder ${dir}: expected a file inside the folder (copy it in rather than link to it)`;
      expect(refusal(() => readModelCard(dir))).toBe(expected);
      const card = { ...readModelCard(folder()), dir };
      expect(refusal(() => readModelBytes(card))).toBe(expected);
    });

    it('a link that stays inside the folder is read', () => {
      const dir = folder();
      mkdirSync(join(dir, 'v1'));
      writeFileSync(join(dir, 'v1', 'model.onnx'), MODEL_BYTES);
      unlinkSync(join(dir, 'model.onnx'));
      symlinkSync('v1/model.onnx', join(dir, 'model.onnx'));
      expect(Buffer.from(readModelBytes(readModelCard(dir))).equals(MODEL_BYTES)).toBe(true);
    });
  });

  it('refuses a card that is not UTF-8, instead of reading U+FFFD for the bad bytes', () => {
    const dir = folder();
    const text = readFileSync(join(dir, 'card.json'));
    const at = text.indexOf('"ret_1"') + 6; // the closing quote of the first feature name
    const bad = Buffer.concat([text.subarray(0, at), Buffer.from([0xff]), text.subarray(at)]);
    writeFileSync(join(dir, 'card.json'), bad);
    expect(refusal(() => readModelCard(dir))).toBe(
      `${dir}/card.json: not UTF-8 (an invalid byte sequence at byte ${at}), expected a JSON file in UTF-8`,
    );
  });

  it('refuses a cut-off that does not exist on the calendar (Date.parse rolled 2023-02-31 on to March 3)', () => {
    for (const t of ['2023-02-31T00:00:00Z', '2023-04-31T12:00:00.000000Z', '2023-12-28T24:00:00Z', '2023-12-28T23:60:00Z']) {
      expect(refusal(() => readModelCard(folder({ ts_known_cutoff: t })))).toContain(
        `card.json: ts_known_cutoff is "${t}": a time that exists on the calendar`,
      );
      expect(() => isoToMicros(t)).toThrow(ModelCardError);
    }
    // A leap day is one; 2024-02-29T00:00:00Z is 1709164800 s after the epoch (date -u -d 2024-02-29 +%s).
    expect(readModelCard(folder({ ts_known_cutoff: '2024-02-29T00:00:00.5Z' })).cutoff).toBe(1709164800_500000);
  });

  it('refuses a card whose own training or holdout days are after its cut-off (a look-ahead it declares)', () => {
    // The default card: trained 2023-11-01 … 2023-12-28, cut off 2023-12-28T21:00Z.
    expect(refusal(() => readModelCard(folder({ training_window: { from: '2024-01-02', to: '2024-01-05' } })))).toContain(
      'card.json: training_window.from is "2024-01-02", after ts_known_cutoff 2023-12-28T21:00:00.000000Z: the card says it learned from a day past its cut-off (expected its training and holdout days on or before 2023-12-28)',
    );
    const sessions = base['sessions'] as { train: string[]; holdout: string[] };
    expect(refusal(() => readModelCard(folder({ sessions: { ...sessions, holdout: [...sessions.holdout, '2024-01-02'] } })))).toContain(
      `card.json: sessions.holdout[${sessions.holdout.length}] is "2024-01-02", after ts_known_cutoff`,
    );
    // The cut-off's own day is in the window.
    expect(readModelCard(folder({ training_window: { from: '2023-11-01', to: '2023-12-28' } })).name).toBe(base['name']);
  });

  it('refuses an n_features that is not the number of feature names', () => {
    expect(refusal(() => readModelCard(folder({ n_features: 5 })))).toContain(
      'card.json: n_features is 5: the number of names in feature_names',
    );
    expect(readModelCard(folder({ n_features: base.feature_names.length })).feature_names).toHaveLength(base.feature_names.length);
  });

  it('refuses a model file whose size is not the one on the card, even when the card has its sha256', () => {
    const sha256 = createHash('sha256').update(MODEL_BYTES).digest('hex');
    const dir = folder({ files: { 'model.onnx': { sha256, bytes: 1 } } });
    expect(refusal(() => readModelBytes(readModelCard(dir)))).toBe(
      `${dir}/model.onnx: ${MODEL_BYTES.length} bytes, the card says 1: the model does not belong to this card`,
    );
  });

  it('keeps a refusal on one line: a card whose JSON error would quote line breaks, a name holding one', () => {
    const dir = folder();
    writeFileSync(join(dir, 'card.json'), '{\n"a":\n x\nalpha: all good, 0 problems\n}');
    const message = refusal(() => readModelCard(dir));
    expect(message).toMatch(/card\.json: not valid JSON/);
    expect(message).not.toContain('\n');
    const named = refusal(() => readModelCard(folder({ feature_names: ['ret_1', 'ret_2\nalpha: all good'] })));
    expect(named).toContain('card.json: feature_names[1] is "ret_2\\nalpha: all good": a name without control characters or line breaks');
    expect(named).not.toContain('\n');
  });
});
