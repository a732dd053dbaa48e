/**
 * Small ONNX models written in TypeScript from onnx.proto's field numbers (a minimal protobuf writer),
 * independently of the code under test, for tests that need a model of a given signature: an output
 * of another type, an input of another width, a scalar. Test tooling only: nothing here is checked.
 */

/** onnx.proto TensorProto.DataType. */
export const FLOAT = 1;
export const INT64 = 7;
export const BOOL = 9;
export const DOUBLE = 11;

class Writer {
  readonly bytes: number[] = [];
  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      this.bytes.push(x > 0n ? b | 0x80 : b);
    } while (x > 0n);
    return this;
  }
  int(field: number, v: number | bigint): this {
    return this.varint(field << 3).varint(v);
  }
  /** A length-delimited field: a string, bytes or a nested message. */
  bytesField(field: number, data: Uint8Array | number[]): this {
    this.varint((field << 3) | 2).varint(data.length);
    this.bytes.push(...data);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytesField(field, new TextEncoder().encode(s));
  }
  msg(field: number, build: (w: Writer) => void): this {
    const w = new Writer();
    build(w);
    return this.bytesField(field, w.bytes);
  }
}

/** A graph input or output: its name, element type and shape (a string is a symbolic dimension). */
export interface ValueInfo {
  name: string;
  type: number;
  shape: readonly (number | string)[];
}

export interface Node {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  /** Integer attributes (keepdims, to). */
  ints?: Record<string, number>;
}

/** A constant tensor: float32 values, int64 values, or data in another file (`external`). */
export interface Initializer {
  name: string;
  dims: readonly number[];
  floats?: readonly number[];
  int64s?: readonly number[];
  external?: { location: string; length: number };
}

function valueInfo(w: Writer, v: ValueInfo): void {
  w.str(1, v.name).msg(2, (type) =>
    type.msg(1, (tensor) =>
      tensor.int(1, v.type).msg(2, (shape) => {
        for (const d of v.shape) shape.msg(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.str(2, d)));
      }),
    ),
  );
}

function initializer(w: Writer, t: Initializer): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.floats ? FLOAT : t.int64s ? INT64 : FLOAT);
  if (t.floats) {
    const data = new Float32Array(t.floats);
    w.bytesField(9, [...new Uint8Array(data.buffer)]); // raw_data, little-endian
  }
  if (t.int64s) w.msg(7, (p) => t.int64s!.forEach((v) => p.varint(v)));
  w.str(8, t.name);
  if (t.external) {
    const entries: [string, string][] = [
      ['location', t.external.location],
      ['offset', '0'],
      ['length', String(t.external.length)],
    ];
    for (const [k, v] of entries) w.msg(13, (e) => e.str(1, k).str(2, v));
    w.int(14, 1); // data_location: EXTERNAL
  }
}

/** The bytes of a model (IR version 8, opset 17) of one graph. */
export function onnxModel(graph: {
  nodes: readonly Node[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  initializers?: readonly Initializer[];
}): Uint8Array {
  const w = new Writer();
  w.int(1, 8);
  w.msg(7, (g) => {
    graph.nodes.forEach((n, i) => {
      g.msg(1, (node) => {
        for (const x of n.inputs) node.str(1, x);
        for (const y of n.outputs) node.str(2, y);
        node.str(3, `n${i}`).str(4, n.op);
        for (const [name, v] of Object.entries(n.ints ?? {})) node.msg(5, (a) => a.str(1, name).int(3, v).int(20, 2)); // type INT
      });
    });
    g.str(2, 'g');
    for (const t of graph.initializers ?? []) g.msg(5, (x) => initializer(x, t));
    for (const v of graph.inputs) g.msg(11, (x) => valueInfo(x, v));
    for (const v of graph.outputs) g.msg(12, (x) => valueInfo(x, v));
  });
  w.msg(8, (o) => o.str(1, '').int(2, 17));
  return new Uint8Array(w.bytes);
}

/** Axis 1 as ReduceSum's `axes` input (opset 13 and later). */
export const AXIS_1: Initializer = { name: 'axis1', dims: [1], int64s: [1] };

/**
 * The sum of each row's features: input X [N, width] of `inputType`, output Y of `outputType`
 * shaped [N] (or [N, 1] with `keepdims`). The scores are easy to derive by hand.
 */
export function rowSumModel(
  width: number | string,
  options: { inputType?: number; outputType?: number; keepdims?: boolean; times?: number } = {},
): Uint8Array {
  const inputType = options.inputType ?? FLOAT;
  const outputType = options.outputType ?? inputType;
  const nodes: Node[] = [{ op: 'ReduceSum', inputs: ['X', 'axis1'], outputs: ['S'], ints: { keepdims: options.keepdims ? 1 : 0 } }];
  const initializers: Initializer[] = [AXIS_1];
  let last = 'S';
  if (options.times !== undefined) {
    initializers.push({ name: 'times', dims: [1], floats: [options.times] });
    nodes.push({ op: 'Mul', inputs: [last, 'times'], outputs: ['M'] });
    last = 'M';
  }
  if (outputType !== inputType) {
    nodes.push({ op: 'Cast', inputs: [last], outputs: ['C'], ints: { to: outputType } });
    last = 'C';
  }
  nodes.push({ op: 'Identity', inputs: [last], outputs: ['Y'] });
  return onnxModel({
    nodes,
    initializers,
    inputs: [{ name: 'X', type: inputType, shape: ['N', width] }],
    outputs: [{ name: 'Y', type: outputType, shape: options.keepdims ? ['N', 1] : ['N'] }],
  });
}
