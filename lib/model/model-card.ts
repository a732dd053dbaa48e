/**
 * A trained model's folder, as `alpha model train` writes it: `card.json` (what the model expects and
 * what it was trained on), `model.onnx`, `golden.json`. Reading and checking a card is synchronous, so
 * validation can refuse a topology whose features differ from the card's before anything runs.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { z } from 'zod';
import { AlphaError, DataError } from '../core/errors.ts';
import { DataFileMissing, type FileLimit, MAX_DATA_FILE_BYTES, readDataBytes } from '../io/data-file.ts';
import { parseJsonText } from '../core/json-text.ts';
import { describeIssues } from '../core/zod-issues.ts';
import { isoTime, type Micros } from '../core/time.ts';
import { isDate } from '../core/dates.ts';

const fileEntry = z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().nonnegative() });

/** Control characters (a line break among them) would let a name from the card forge lines of a message. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
const printable = z
  .string()
  .min(1)
  .refine((s) => !CONTROL.test(s), 'a name without control characters or line breaks');

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

const cardSchema = z
  .object({
    name: printable,
    feature_names: z
      .array(printable)
      .min(1)
      .refine((names) => new Set(names).size === names.length, 'every feature name once'),
    ts_known_cutoff: z
      .string()
      .regex(ISO_UTC, 'an ISO-8601 UTC time such as 2023-12-29T20:45:00.000000Z')
      .refine(isRealTime, 'a time that exists on the calendar (a valid day of its month, hour 00-23, minute and second 00-59)'),
    n_features: z.number().optional(),
    files: z.record(z.string(), fileEntry),
  })
  .loose()
  .refine((c) => c.n_features === undefined || c.n_features === c.feature_names.length, {
    message: 'the number of names in feature_names',
    path: ['n_features'],
  });

export type ModelCard = z.infer<typeof cardSchema> & { readonly dir: string; readonly cutoff: Micros };

/** The largest model card read (a card is a few kilobytes). */
const MAX_CARD_BYTES = 1024 * 1024;

export class ModelCardError extends AlphaError {
  override readonly name = 'ModelCardError';
}

/**
 * Where `name` of model folder `dir` really is, after symlinks, or undefined when it is not there. A
 * file that resolves outside the folder is a ModelCardError: the run protects its inputs (an --out may
 * not hold them), and that protection, like the reader, covers only the folder itself.
 */
function fileInFolder(dir: string, name: string): string | undefined {
  const file = join(dir, name);
  let root: string;
  let real: string;
  try {
    root = realpathSync(dir);
    real = realpathSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: a part of the path is a file (a card.json given as the model folder).
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new ModelCardError(`${file}: cannot read (${code ?? String(err)}), expected a file of the model folder`);
  }
  const rel = relative(root, real);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new ModelCardError(
      `${file}: resolves to ${real}, outside the model folder ${root}: expected a file inside the folder (copy it in rather than link to it)`,
    );
  }
  return real;
}

/** The bytes of `name` of model folder `dir` (see fileInFolder), or undefined when it is not there; other problems name `dir/name`. */
function readModelFile(dir: string, name: string, limit: FileLimit): Uint8Array | undefined {
  const real = fileInFolder(dir, name);
  if (real === undefined) return undefined;
  try {
    return readDataBytes(real, limit);
  } catch (err) {
    if (err instanceof DataFileMissing) return undefined;
    throw new ModelCardError(`${join(dir, name)}: ${err instanceof DataError ? err.detail : String(err)}`);
  }
}

/** `text` for a message on one line: control characters (line breaks) escaped as in JSON. */
function escapeControls(text: string): string {
  return text.replace(new RegExp(CONTROL.source, 'gu'), (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Reads and checks `DIR/card.json`; a problem is a ModelCardError naming the file, field and value. */
export function readModelCard(dir: string): ModelCard {
  const file = join(dir, 'card.json');
  const bytes = readModelFile(dir, 'card.json', { bytes: MAX_CARD_BYTES, of: 'a model card' });
  if (bytes === undefined) throw new ModelCardError(`${file}: no model card (train a model with \`alpha model train --out ${dir}\`)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ModelCardError(`${file}: not UTF-8 (an invalid byte sequence at ${firstBadUtf8(bytes)}), expected a JSON file in UTF-8`);
  }
  const json = parseJsonText(text);
  if ('error' in json) throw new ModelCardError(`${file}: not valid JSON (${json.error})`);
  const raw = json.value;
  const parsed = cardSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ModelCardError(escapeControls(describeIssues(file, raw, parsed.error.issues.slice(0, 1))[0]!));
  }
  if (!parsed.data.files['model.onnx']) throw new ModelCardError(`${file}: field "files" does not list model.onnx`);
  const late = dayAfterCutoff(raw as Record<string, unknown>, parsed.data.ts_known_cutoff);
  if (late)
    throw new ModelCardError(
      `${file}: ${late.field} is "${late.day}", after ts_known_cutoff ${parsed.data.ts_known_cutoff}: ` +
        `the card says it learned from a day past its cut-off (expected its training and holdout days on or before ${parsed.data.ts_known_cutoff.slice(0, 10)})`,
    );
  // A model.onnx linked out of the folder is refused here, at validation, not only when the run starts.
  fileInFolder(dir, 'model.onnx');
  return { ...parsed.data, dir, cutoff: isoToMicros(parsed.data.ts_known_cutoff) };
}

/**
 * The first day the card says it trained or held out on (`training_window`, `sessions.train`,
 * `sessions.holdout`, as `alpha model train` writes them) that is after its cut-off's date. The run
 * checks the cut-off alone against its data, so a card whose own window lies inside the backtest
 * would pass: a look-ahead the card declares.
 */
function dayAfterCutoff(card: Record<string, unknown>, cutoff: string): { field: string; day: string } | undefined {
  const last = cutoff.slice(0, 10);
  const days: [string, unknown][] = [];
  const window = card['training_window'];
  if (window && typeof window === 'object')
    for (const k of ['from', 'to']) days.push([`training_window.${k}`, (window as Record<string, unknown>)[k]]);
  const sessions = card['sessions'];
  if (sessions && typeof sessions === 'object')
    for (const k of ['train', 'holdout']) {
      const list = (sessions as Record<string, unknown>)[k];
      if (Array.isArray(list)) list.forEach((d, i) => days.push([`sessions.${k}[${i}]`, d]));
    }
  for (const [field, day] of days) if (typeof day === 'string' && isDate(day) && day > last) return { field, day };
  return undefined;
}

/** Where UTF-8 decoding of `bytes` first fails: the offset of the offending byte, or "the end" for a cut sequence. */
function firstBadUtf8(bytes: Uint8Array): string {
  // The longest prefix that decodes as a stream (a sequence cut at its end waits) ends before the bad byte.
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo === bytes.length ? 'the end' : `byte ${lo}`;
}

/** The bytes of the model file, after checking them against the card's size and sha256. */
export function readModelBytes(card: ModelCard): Uint8Array {
  const file = join(card.dir, 'model.onnx');
  const bytes = readModelFile(card.dir, 'model.onnx', { bytes: MAX_DATA_FILE_BYTES, of: 'a model file' });
  if (bytes === undefined) throw new ModelCardError(`${file}: model file not found (the card lists it)`);
  const entry = card.files['model.onnx']!;
  if (bytes.length !== entry.bytes)
    throw new ModelCardError(`${file}: ${bytes.length} bytes, the card says ${entry.bytes}: the model does not belong to this card`);
  const got = createHash('sha256').update(bytes).digest('hex');
  if (got !== entry.sha256)
    throw new ModelCardError(`${file}: sha256 is ${got}, the card says ${entry.sha256}: the model does not belong to this card`);
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
  if (!isRealTime(iso)) throw new ModelCardError(`"${iso}" is not an ISO-8601 UTC time that exists on the calendar`);
  return seconds * 1000 + Number((m[2] ?? '').padEnd(6, '0'));
}

/**
 * Whether the date and time of an ISO-8601 UTC time exist: Date.parse takes 2023-02-31 and rolls it
 * on to March 3, so the time is read back and compared with what was written.
 */
function isRealTime(iso: string): boolean {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})/.exec(iso);
  if (!m) return false;
  const t = Date.parse(`${m[1]}Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 19) === m[1];
}

/** The UTC date (YYYY-MM-DD) of a time in microseconds. */
export function microsToDate(t: Micros): string {
  return isoTime(t).slice(0, 10);
}
