/**
 * A trained model's folder, as `alpha model train` writes it: `card.json` (what the model expects and
 * what it was trained on), `model.onnx`, `golden.json`. Reading and checking a card is synchronous, so
 * validation can refuse a topology whose features differ from the card's before anything runs.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { AlphaError } from '../core/errors.ts';
import { DataFileMissing, MAX_DATA_FILE_BYTES, readDataBytes } from '../io/data-file.ts';
import { describeIssues } from '../core/zod-issues.ts';
import { isoTime, type Micros } from '../core/time.ts';

const fileEntry = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() });

const cardSchema = z
  .object({
    name: z.string().min(1),
    feature_names: z
      .array(z.string().min(1))
      .min(1)
      .refine((names) => new Set(names).size === names.length, 'every feature name once'),
    ts_known_cutoff: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/, 'an ISO-8601 UTC time such as 2023-12-29T20:45:00.000000Z'),
    files: z.record(z.string(), fileEntry),
  })
  .loose();

export type ModelCard = z.infer<typeof cardSchema> & { readonly dir: string; readonly cutoff: Micros };

/** The largest model card read (a card is a few kilobytes). */
const MAX_CARD_BYTES = 1024 * 1024;

export class ModelCardError extends AlphaError {
  override readonly name = 'ModelCardError';
}

/** Reads and checks `DIR/card.json`; a problem is a ModelCardError naming the file, field and value. */
export function readModelCard(dir: string): ModelCard {
  const file = join(dir, 'card.json');
  let text: string;
  try {
    text = new TextDecoder().decode(readDataBytes(file, { bytes: MAX_CARD_BYTES, of: 'a model card' }));
  } catch (err) {
    if (!(err instanceof DataFileMissing)) throw new ModelCardError(err instanceof Error ? err.message : String(err));
    throw new ModelCardError(`${file}: no model card (train a model with \`alpha model train --out ${dir}\`)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ModelCardError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const parsed = cardSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ModelCardError(describeIssues(file, raw, parsed.error.issues.slice(0, 1))[0]!);
  }
  if (!parsed.data.files['model.onnx']) throw new ModelCardError(`${file}: field "files" does not list model.onnx`);
  return { ...parsed.data, dir, cutoff: isoToMicros(parsed.data.ts_known_cutoff) };
}

/** The bytes of the model file, after checking them against the card's sha256. */
export function readModelBytes(card: ModelCard): Uint8Array {
  const file = join(card.dir, 'model.onnx');
  let bytes: Uint8Array;
  try {
    bytes = readDataBytes(file, { bytes: MAX_DATA_FILE_BYTES, of: 'a model file' });
  } catch (err) {
    if (!(err instanceof DataFileMissing)) throw new ModelCardError(err instanceof Error ? err.message : String(err));
    throw new ModelCardError(`${file}: model file not found (the card lists it)`);
  }
  const want = card.files['model.onnx']!.sha256;
  const got = createHash('sha256').update(bytes).digest('hex');
  if (got !== want) throw new ModelCardError(`${file}: sha256 is ${got}, the card says ${want}: the model does not belong to this card`);
  return bytes;
}

/**
 * Why `received` (the features the topology delivers) differs from the card's, or undefined when the
 * names, their order and their count all match.
 */
export function featureMismatch(card: ModelCard, received: readonly string[]): string | undefined {
  const want = card.feature_names;
  const missing = want.filter((f) => !received.includes(f));
  const extra = received.filter((f) => !want.includes(f));
  const head = `the model in ${card.dir} expects ${want.length} features, the topology delivers ${received.length}`;
  if (missing.length > 0 || extra.length > 0) {
    const list = (xs: string[]): string => xs.slice(0, 8).join(', ') + (xs.length > 8 ? `, … (${xs.length} in all)` : '');
    return `${head}; ${[missing.length ? `missing: ${list(missing)}` : '', extra.length ? `not in the card: ${list(extra)}` : ''].filter(Boolean).join('; ')}`;
  }
  if (want.length !== received.length) return `${head}; some names occur more than once`;
  const at = want.findIndex((f, i) => f !== received[i]);
  if (at >= 0) return `${head}, in another order: position ${at} is "${received[at]}" in the topology and "${want[at]}" in the card`;
  return undefined;
}

/** Microseconds since the epoch of an ISO-8601 UTC time with up to 6 fractional digits. */
export function isoToMicros(iso: string): Micros {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/.exec(iso);
  if (!m) throw new ModelCardError(`"${iso}" is not an ISO-8601 UTC time`);
  const seconds = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(seconds)) throw new ModelCardError(`"${iso}" is not an ISO-8601 UTC time`);
  return seconds * 1000 + Number((m[2] ?? '').padEnd(6, '0'));
}

/** The UTC date (YYYY-MM-DD) of a time in microseconds. */
export function microsToDate(t: Micros): string {
  return isoTime(t).slice(0, 10);
}
