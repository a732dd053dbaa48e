/**
 * What an ONNX session must look like to score a card's features: one input of float32 or float64
 * shaped [N, features], and a first output of float32 or float64 with one score per row ([N] or
 * [N, 1]). Checked once when the model is loaded, from the session's input and output metadata, so a
 * model that would fail (or be misread) on every snapshot is refused before the run starts.
 */
import * as ort from 'onnxruntime-node';

/** The element types the features are fed in and the scores read from. */
export type Real = 'float32' | 'float64';
export const isReal = (t: string): t is Real => t === 'float32' || t === 'float64';

/** Options that keep ONNX Runtime's own log off stderr: its errors reach the caller as exceptions. */
export const SILENT = { logSeverityLevel: 4 } as const;

/** A dimension that takes any batch size: symbolic (`N`), unnamed ('') or open (-1). */
const anySize = (d: number | string | undefined): boolean => typeof d === 'string' || d === -1;

const showShape = (shape: readonly (number | string)[]): string =>
  `[${shape.map((d) => (d === -1 || d === '' ? '?' : String(d))).join(', ')}]`;

/** An ONNX Runtime error's message on one line: its messages hold line breaks and end with one. */
export function oneLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err)
    .replace(/\s+/g, ' ')
    .replace(/[\s.]+$/, '')
    .trim();
}

/** Whether `dims` (of a result for `rows` rows) hold one score per row: [rows] or [rows, 1]. */
export function onePerRow(dims: readonly number[], rows: number): boolean {
  return dims[0] === rows && (dims.length === 1 || (dims.length === 2 && dims[1] === 1));
}

/**
 * Why `session` cannot score `width` features, or undefined; `type` is the input's element type when
 * it can. A shape the model does not declare (metadata shape []: unknown, or a scalar) is judged by
 * scoring two rows of zeros.
 */
export async function checkSignature(
  session: ort.InferenceSession,
  width: number,
): Promise<{ problem: string; type?: undefined } | { problem?: undefined; type: Real }> {
  const input = session.inputMetadata[0]!;
  const output = session.outputMetadata[0]!;
  const wantIn = `expected a float32 (or float64) tensor shaped [N, ${width}] (N symbols, the card's ${width} features)`;
  const wantOut = 'expected a float32 (or float64) tensor shaped [N] or [N, 1] (one score per row)';
  if (!input.isTensor) return { problem: `its input "${input.name}" is not a tensor, ${wantIn}` };
  if (!isReal(input.type)) return { problem: `its input "${input.name}" is of type ${input.type}, ${wantIn}` };
  const [rows, cols] = input.shape;
  if (input.shape.length > 0 && (input.shape.length !== 2 || !anySize(rows) || (typeof cols === 'number' && cols !== width)))
    return { problem: `its input "${input.name}" is shaped ${showShape(input.shape)}, ${wantIn}` };
  if (!output.isTensor) return { problem: `its output "${output.name}" is not a tensor, ${wantOut}` };
  if (!isReal(output.type)) return { problem: `its output "${output.name}" is of type ${output.type}, ${wantOut}` };
  const shape = output.shape;
  const perRow = anySize(shape[0]) && (shape.length === 1 || (shape.length === 2 && (shape[1] === 1 || typeof shape[1] === 'string')));
  if (shape.length > 0 && !perRow) return { problem: `its output "${output.name}" is shaped ${showShape(shape)}, ${wantOut}` };
  const type = input.type;
  if (input.shape.length > 0 && shape.length > 0) return { type };

  // Not declared: two rows of zeros say what the model returns.
  const zeros = type === 'float64' ? new Float64Array(2 * width) : new Float32Array(2 * width);
  let result: ort.Tensor;
  try {
    result = (await session.run({ [input.name]: new ort.Tensor(type, zeros, [2, width]) }, SILENT))[output.name]!;
  } catch (err) {
    const reason = oneLine(err);
    return { problem: `its shapes are not declared, and it cannot score 2 rows of ${width} features (${reason}): ${wantIn}` };
  }
  if (!isReal(result.type) || !onePerRow(result.dims, 2))
    return {
      problem: `its output "${output.name}" is shaped ${showShape(shape)}${shape.length === 0 ? ' (a scalar, or not declared)' : ''}, and for 2 rows it is a ${result.type} tensor shaped [${result.dims.join(', ')}]: ${wantOut}`,
    };
  return { type };
}
