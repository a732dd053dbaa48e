/**
 * Avro bodies of a flat record schema (every field a long, int, double, float, boolean, string or
 * enum) decoded straight into the columns of a {@link ColumnBatch}, and encoded straight from them:
 * no object per record on either side of a Kafka edge.
 *
 * avsc stays the reference and the fallback. The fast path takes only what it can read exactly as
 * avsc reads it: a value it does not take (another schema id, a varint longer than 10 bytes, a long
 * past avsc's 2^53 − 2, an enum index out of range, a body that does not end where the value
 * ends, …) is handed back to the caller, which decodes it with avsc (a writer schema resolved, or a
 * dead letter with avsc's reason). A batch whose columns do not fit the schema is encoded through
 * avsc's record path, which names the field that does not fit.
 *
 * @example
 * import { avroType } from './schema-codec.ts';
 * const codec = AvroColumns.of<{ symbol: string; bid: number }>(avroType({ type: 'record', name: 'Q', fields: [{ name: 'symbol', type: 'string' }, { name: 'bid', type: 'double' }] }));
 */
import avro from '../avro-bounds.ts';
import { ColumnBatch, type ColumnsOf, type StringColumn } from '../../core/column-batch.ts';
import { HEADER_BYTES, MAGIC } from './wire.ts';

const LONG = 0;
const INT = 1;
const DOUBLE = 2;
const FLOAT = 3;
const BOOLEAN = 4;
const STRING = 5;
const ENUM = 6;
const KINDS: Record<string, number> = { long: LONG, int: INT, double: DOUBLE, float: FLOAT, boolean: BOOLEAN, string: STRING, enum: ENUM };

/** avsc's string type: the length and bytes it writes for a string (what `encode` must write). */
const STRING_TYPE = avro.Type.forSchema('string');

/** The largest magnitude avsc reads or writes as a long (2^53 − 2: its own bound, one below Number.MAX_SAFE_INTEGER). */
const LONG_LIMIT = 9007199254740990;

/** Strings up to this many bytes are looked up by their bytes in a cache; longer ones are decoded each time. */
const CACHED_BYTES = 48;
/** Entries a string cache keeps before it starts again (a field of unique strings would grow it forever). */
const CACHE_LIMIT = 65_536;

interface CacheEntry {
  bytes: Uint8Array;
  text: string;
  /** Its code in the batch being built, valid when `batch` is that batch's number. */
  code: number;
  batch: number;
  next: CacheEntry | undefined;
}

/** Per string field: strings seen, by a hash of their bytes, so a repeated symbol costs no new string. */
class StringCache {
  private table = new Map<number, CacheEntry>();
  private size = 0;
  /** The batch being decoded: its dictionary, and each text's code in it (a text appears once). */
  private batch = 0;
  dictionary: string[] = [];
  private codes = new Map<string, number>();

  /** Starts a batch's dictionary; the table starts again here, never within a batch, once it is full. */
  startBatch(): void {
    this.batch++;
    this.dictionary = [];
    this.codes = new Map();
    if (this.size >= CACHE_LIMIT) {
      this.table = new Map();
      this.size = 0;
    }
  }

  /** The batch's code of the UTF-8 string at `[start, end)` of `buf`. */
  codeAt(buf: Buffer, start: number, end: number): number {
    const n = end - start;
    if (n > CACHED_BYTES) return this.codeOfText(buf.toString('utf8', start, end));
    let h = 0x811c9dc5 ^ n;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    let e = this.table.get(h);
    for (; e !== undefined; e = e.next) {
      const b = e.bytes;
      if (b.length !== n) continue;
      let i = 0;
      while (i < n && b[i] === buf[start + i]) i++;
      if (i === n) break;
    }
    if (e === undefined) {
      // A copy: a view would keep the whole fetched batch alive.
      const bytes = new Uint8Array(buf.subarray(start, end));
      e = { bytes, text: buf.toString('utf8', start, end), code: 0, batch: 0, next: this.table.get(h) };
      this.table.set(h, e);
      this.size++;
    }
    if (e.batch !== this.batch) {
      e.batch = this.batch;
      // Two byte strings can decode to one text (invalid UTF-8 becomes U+FFFD): one code for it.
      e.code = this.codeOfText(e.text);
    }
    return e.code;
  }

  /** The batch's code of `text`. */
  codeOfText(text: string): number {
    let code = this.codes.get(text);
    if (code === undefined) this.codes.set(text, (code = this.dictionary.push(text) - 1));
    return code;
  }
}

interface Field {
  name: string;
  kind: number;
  /** An enum's symbols. */
  symbols: readonly string[];
  /** An enum's symbol → index. */
  indices: ReadonlyMap<string, number>;
}

/** What `decode` made of a fetched batch's values. */
export interface DecodedColumns<T> {
  /** The values that decoded, in the order given. */
  batch: ColumnBatch<T>;
  /** For each row of `batch`: the index of its value (into the caller's lists). */
  taken: Int32Array;
  /** The values that did not decode, neither here nor by the fallback: their indices, with the reason. */
  refused: { index: number; error: string }[];
}

/** Columns being filled row by row; `finish` makes the batch of the rows written. */
class ColumnBuilder<T> {
  rows = 0;
  constructor(
    private readonly fields: readonly Field[],
    readonly columns: unknown[],
    private readonly caches: (StringCache | undefined)[],
  ) {}

  /** Writes a record avsc decoded (a value the fast path refused: it fits the schema) as the next row. */
  push(value: T): void {
    const row = this.rows++;
    const v = value as Record<string, unknown>;
    for (let f = 0; f < this.fields.length; f++) {
      const field = this.fields[f]!;
      const x = v[field.name];
      const column = this.columns[f]!;
      if (field.kind === STRING) (column as { codes: Int32Array }).codes[row] = this.caches[f]!.codeOfText(x as string);
      else if (field.kind === ENUM) (column as { codes: Int32Array }).codes[row] = field.indices.get(x as string)!;
      else if (field.kind === BOOLEAN) (column as boolean[])[row] = x as boolean;
      else (column as Float64Array)[row] = x as number;
    }
  }

  finish(): ColumnBatch<T> {
    const n = this.rows;
    const columns: Record<string, unknown> = {};
    for (let f = 0; f < this.fields.length; f++) {
      const column = this.columns[f]!;
      const field = this.fields[f]!;
      if (field.kind === STRING)
        columns[field.name] = { codes: (column as { codes: Int32Array }).codes.subarray(0, n), dictionary: this.caches[f]!.dictionary };
      else if (field.kind === ENUM)
        columns[field.name] = { codes: (column as { codes: Int32Array }).codes.subarray(0, n), dictionary: field.symbols };
      else if (field.kind === BOOLEAN) columns[field.name] = (column as boolean[]).slice(0, n);
      else columns[field.name] = (column as Float64Array).subarray(0, n);
    }
    return ColumnBatch.of(n, columns as ColumnsOf<T>);
  }
}

export class AvroColumns<T> {
  private readonly caches: (StringCache | undefined)[];
  private readonly decodeRow: RowDecoder;
  private readonly encodeRow: RowEncoder;

  private constructor(
    private readonly fields: readonly Field[],
    /** The field names in schema order: the batches' columns. */
    readonly names: readonly string[],
  ) {
    this.caches = fields.map((f) => (f.kind === STRING ? new StringCache() : undefined));
    this.decodeRow = rowDecoder(fields);
    this.encodeRow = rowEncoder(fields);
  }

  /** The codec of a record type whose fields are all primitives or enums; undefined for any other. */
  static of<T>(type: avro.Type): AvroColumns<T> | undefined {
    if (type.typeName !== 'record') return undefined;
    const fields: Field[] = [];
    for (const f of (type as avro.types.RecordType).fields) {
      const kind = KINDS[f.type.typeName];
      if (kind === undefined) return undefined;
      const symbols = kind === ENUM ? (f.type as avro.types.EnumType).symbols : [];
      fields.push({ name: f.name, kind, symbols, indices: new Map(symbols.map((s, i) => [s, i])) });
    }
    return new AvroColumns<T>(
      fields,
      fields.map((f) => f.name),
    );
  }

  /**
   * Decodes the framed values `i` of `buf` (value i at `[starts[i], starts[i] + lengths[i])`, for
   * each i of `which`), written with schema id `schemaId` (undefined: none is this schema), into new
   * columns, in that order. A value the fast path does not take goes to `fallback` (avsc,
   * synchronously): its record takes the value's place, or its reason lists the value in `refused`.
   */
  decode(
    buf: Buffer,
    starts: Float64Array,
    lengths: Int32Array,
    which: ArrayLike<number>,
    schemaId: number | undefined,
    fallback: (index: number) => { ok: true; value: T } | { ok: false; error: string },
  ): DecodedColumns<T> {
    const fields = this.fields;
    const capacity = which.length;
    const columns: unknown[] = fields.map((f) =>
      f.kind === STRING || f.kind === ENUM
        ? { codes: new Int32Array(capacity) }
        : f.kind === BOOLEAN
          ? new Array<boolean>(capacity)
          : new Float64Array(capacity),
    );
    for (const c of this.caches) c?.startBatch();
    const builder = new ColumnBuilder<T>(fields, columns, this.caches);
    const taken = new Int32Array(capacity);
    const refused: { index: number; error: string }[] = [];
    const refuse = (i: number): void => {
      const d = fallback(i);
      if (d.ok) {
        taken[builder.rows] = i;
        builder.push(d.value);
      } else refused.push({ index: i, error: d.error });
    };
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const fast = schemaId !== undefined;
    const id = schemaId ?? 0;
    const id0 = (id >>> 24) & 0xff;
    const id1 = (id >>> 16) & 0xff;
    const id2 = (id >>> 8) & 0xff;
    const id3 = id & 0xff;
    const raw = columns.map((c) => (c !== null && typeof c === 'object' && 'codes' in c ? (c as { codes: Int32Array }).codes : c));
    const decodeRow = this.decodeRow;
    for (let w = 0; w < which.length; w++) {
      const i = which[w]!;
      const start = starts[i]!;
      const end = start + lengths[i]!;
      if (
        fast &&
        end - start >= HEADER_BYTES &&
        buf[start] === MAGIC &&
        buf[start + 1] === id0 &&
        buf[start + 2] === id1 &&
        buf[start + 3] === id2 &&
        buf[start + 4] === id3 &&
        decodeRow(buf, view, start + HEADER_BYTES, end, builder.rows, raw, this.caches)
      )
        taken[builder.rows++] = i;
      else refuse(i);
    }
    return { batch: builder.finish(), taken: taken.subarray(0, builder.rows), refused };
  }

  /**
   * The framed Avro values of the batch's rows back to back (value i is the next `lengths[i]`
   * bytes), exactly the bytes avsc writes for each row's record; undefined when a column does not fit
   * the schema (a missing field, NaN in a long, a string that is not one of an enum's symbols, …).
   */
  encode(batch: ColumnBatch<T>, schemaId: number): { data: Buffer; lengths: Int32Array } | undefined {
    const fields = this.fields;
    const nf = fields.length;
    const cols = batch.columns as Record<string, unknown>;
    const columns: unknown[] = [];
    /** Per string or enum field: each dictionary entry's encoded bytes (length varint included). */
    const entries: (Uint8Array[] | undefined)[] = [];
    let fixed = 0;
    for (const field of fields) {
      const c = cols[field.name];
      if (field.kind === STRING || field.kind === ENUM) {
        if (c === null || typeof c !== 'object' || !('codes' in c) || !('dictionary' in c)) return undefined;
        const { codes, dictionary } = c as StringColumn;
        if (!(codes instanceof Int32Array)) return undefined;
        const encoded: Uint8Array[] = new Array(dictionary.length);
        for (let d = 0; d < dictionary.length; d++) {
          const text = dictionary[d];
          if (typeof text !== 'string') return undefined;
          if (field.kind === ENUM) {
            const index = field.indices.get(text);
            if (index === undefined) return undefined;
            encoded[d] = varint(index);
          } else encoded[d] = STRING_TYPE.toBuffer(text); // avsc's bytes: it writes a lone surrogate as 3 bytes, Buffer.from as U+FFFD
        }
        for (let i = batch.start; i < batch.end; i++) if (encoded[codes[i]!] === undefined) return undefined;
        columns.push(codes);
        entries.push(encoded);
      } else if (field.kind === BOOLEAN) {
        if (!Array.isArray(c)) return undefined;
        for (let i = batch.start; i < batch.end; i++) if (typeof c[i] !== 'boolean') return undefined;
        columns.push(c);
        entries.push(undefined);
        fixed += 1;
      } else {
        if (!(c instanceof Float64Array || c instanceof Int32Array)) return undefined;
        for (let i = batch.start; i < batch.end; i++) {
          const x = c[i]!;
          if (field.kind === LONG && !(Number.isInteger(x) && x >= -LONG_LIMIT && x <= LONG_LIMIT)) return undefined;
          if (field.kind === INT && x !== (x | 0)) return undefined;
        }
        columns.push(c);
        entries.push(undefined);
        fixed += field.kind === DOUBLE ? 8 : field.kind === FLOAT ? 4 : 10;
      }
    }
    const n = batch.length;
    let size = n * (HEADER_BYTES + fixed);
    for (let f = 0; f < nf; f++) {
      const e = entries[f];
      if (!e) continue;
      const codes = columns[f] as Int32Array;
      for (let i = batch.start; i < batch.end; i++) size += e[codes[i]!]!.length;
    }
    const data = Buffer.allocUnsafe(size);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const lengths = new Int32Array(n);
    const encodeRow = this.encodeRow;
    let pos = 0;
    for (let i = batch.start; i < batch.end; i++) {
      const begin = pos;
      data[pos] = MAGIC;
      view.setInt32(pos + 1, schemaId);
      pos = encodeRow(data, view, pos + HEADER_BYTES, i, columns, entries);
      lengths[i - batch.start] = pos - begin;
    }
    return { data: data.subarray(0, pos), lengths };
  }
}

/**
 * Decodes one Avro body at `[pos, end)` into row `row` of the columns `c` (Float64Array, the codes of
 * a string or enum column, or an array of booleans, by field); false when the body is not one the
 * fast path takes. Generated per schema, as avsc generates its readers: one straight line of reads.
 */
type RowDecoder = (
  buf: Buffer,
  view: DataView,
  pos: number,
  end: number,
  row: number,
  c: readonly unknown[],
  caches: readonly (StringCache | undefined)[],
) => boolean;

/** Encodes row `i` of the columns `c` at `pos` (string and enum fields from `e`, their entries' bytes); the position after it. */
type RowEncoder = (
  data: Buffer,
  view: DataView,
  pos: number,
  i: number,
  c: readonly unknown[],
  e: readonly (Uint8Array[] | undefined)[],
) => number;

function rowDecoder(fields: readonly Field[]): RowDecoder {
  // Only field indices and kinds reach the generated text, never a name from the schema.
  const lines = fields.map((field, f) => {
    const col = `c[${f}]`;
    switch (field.kind) {
      case DOUBLE:
        return `if (pos + 8 > end) return false; ${col}[row] = view.getFloat64(pos, true); pos += 8;`;
      case FLOAT:
        return `if (pos + 4 > end) return false; ${col}[row] = view.getFloat32(pos, true); pos += 4;`;
      case BOOLEAN:
        return `if (pos >= end) return false; v = buf[pos++]; if (v > 1) return false; ${col}[row] = v === 1;`;
      case LONG:
        return `v = readLong(buf, pos, end); if (v !== v) return false; pos = position(); ${col}[row] = v;`;
      case INT:
        return `v = readLong(buf, pos, end); if (v !== (v | 0)) return false; pos = position(); ${col}[row] = v;`;
      case ENUM:
        return `v = readLong(buf, pos, end); if (!(v >= 0 && v < ${field.symbols.length})) return false; pos = position(); ${col}[row] = v;`;
      default:
        return `v = readLong(buf, pos, end); if (!(v >= 0) || position() + v > end) return false; pos = position(); ${col}[row] = caches[${f}].codeAt(buf, pos, pos + v); pos += v;`;
    }
  });
  const body = `return function decodeRow(buf, view, pos, end, row, c, caches) { let v = 0; ${lines.join('\n')} return pos === end; };`;
  return new Function('readLong', 'position', body)(readLong, () => at) as RowDecoder;
}

function rowEncoder(fields: readonly Field[]): RowEncoder {
  const lines = fields.map((field, f) => {
    const col = `c[${f}]`;
    switch (field.kind) {
      case DOUBLE:
        return `view.setFloat64(pos, ${col}[i], true); pos += 8;`;
      case FLOAT:
        return `view.setFloat32(pos, ${col}[i], true); pos += 4;`;
      case BOOLEAN:
        return `data[pos++] = ${col}[i] ? 1 : 0;`;
      case LONG:
      case INT:
        return `pos = writeLong(data, pos, ${col}[i]);`;
      default:
        return `b = e[${f}][${col}[i]]; for (let j = 0; j < b.length; j++) data[pos + j] = b[j]; pos += b.length;`;
    }
  });
  const body = `return function encodeRow(data, view, pos, i, c, e) { let b; ${lines.join('\n')} return pos; };`;
  return new Function('writeLong', body)(writeLong) as RowEncoder;
}

/** Where the last `readLong` stopped. */
let at = 0;

/**
 * The zigzag varint at `pos` (before `end`), read as avsc reads a long; sets `at` after it. NaN
 * when it is none: cut short, longer than 10 bytes, or past avsc's bound (LONG_LIMIT).
 */
function readLong(buf: Buffer, pos: number, end: number): number {
  if (pos >= end) return Number.NaN;
  let b = buf[pos++]!;
  if (b < 0x80) {
    at = pos;
    return (b >> 1) ^ -(b & 1);
  }
  let n = b & 0x7f;
  let k = 7;
  do {
    if (pos >= end) return Number.NaN;
    b = buf[pos++]!;
    n |= (b & 0x7f) << k;
    k += 7;
  } while (b & 0x80 && k < 28);
  if (b & 0x80) {
    // Past 28 bits the zigzag value can pass 2^53, where a double drops its lowest bit: the sign.
    // So the sign is taken from bit 0 now, and the magnitude (the value's bits from bit 1 on) summed
    // apart, exact up to 2^53.
    const negative = n & 1;
    let m = n >>> 1;
    let scale = 134217728; // 2^27
    let bytes = 4;
    do {
      if (pos >= end || ++bytes > 10) return Number.NaN;
      b = buf[pos++]!;
      m += (b & 0x7f) * scale;
      scale *= 128;
    } while (b & 0x80);
    const value = negative ? -m - 1 : m;
    if (!(value >= -LONG_LIMIT && value <= LONG_LIMIT)) return Number.NaN;
    at = pos;
    return value;
  }
  at = pos;
  return (n >> 1) ^ -(n & 1);
}

/** Writes `x` (a safe integer) as a zigzag varint at `pos`; returns the position after it. */
function writeLong(buf: Uint8Array, pos: number, x: number): number {
  if (x >= -1073741824 && x < 1073741824) {
    let m = x >= 0 ? x << 1 : (~x << 1) | 1;
    while (m > 0x7f) {
      buf[pos++] = (m & 0x7f) | 0x80;
      m >>>= 7;
    }
    buf[pos++] = m;
    return pos;
  }
  // |x| ≥ 2^30: the zigzag value 2m + sign (m = x or −x − 1) is 2^31 … 2^54, more than 28 bits, and
  // past 2^53 a double cannot hold it. Its low 28 bits (m's low 27 and the sign) go out as four 7-bit
  // groups, then the rest (m >> 27, under 2^26) with integer shifts.
  const m = x >= 0 ? x : -x - 1;
  const low = m % 134217728;
  const lo = low * 2 + (x < 0 ? 1 : 0);
  let hi = (m - low) / 134217728;
  buf[pos++] = (lo & 0x7f) | 0x80;
  buf[pos++] = ((lo >>> 7) & 0x7f) | 0x80;
  buf[pos++] = ((lo >>> 14) & 0x7f) | 0x80;
  buf[pos++] = ((lo >>> 21) & 0x7f) | 0x80;
  while (hi > 0x7f) {
    buf[pos++] = (hi & 0x7f) | 0x80;
    hi >>>= 7;
  }
  buf[pos++] = hi;
  return pos;
}

function varint(x: number): Uint8Array {
  const out = new Uint8Array(10);
  return out.subarray(0, writeLong(out, 0, x));
}
