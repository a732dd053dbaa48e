/**
 * avsc with array and map blocks bounded by the bytes they are read from.
 *
 * avsc reads a block of N items by reading N items, and only after the whole value asks whether it
 * read past the end. So a body of seven bytes that claims 200 million items ran for 12 s and took
 * 2.6 GB before it failed, and one that claims 2^31 records ended the process with V8's out-of-memory
 * abort: no `alpha:` line, from a Kafka record, a capture file or a Redis entry alike. Every item
 * takes at least one byte of the body except items that are empty by their schema (null, a record of
 * nulls), so here a block that claims more items than the bytes left (times the least an item takes)
 * fails at once, naming the count and the bytes, before anything is allocated for it.
 *
 * A block of doubles (a cross-section's values: 4,640 of them a snapshot on the split edge) is then
 * read in place through a DataView instead of item by item: 500 snapshots decode in 15 ms instead of
 * 80–125 ms; and written in place (the same bytes as avsc's, 500 in 25–48 ms instead of ~100 ms).
 * Only for the double type itself; through a resolver (a float written, a double read) items are
 * read one by one as before.
 *
 * Import `avro` from this module, not from 'avsc', so the bound is in place before any type is made
 * (a resolver copies its array's read function when it is created).
 */
import avro from 'avsc';
// avsc's binary reader and writer, whose long methods are replaced below (avsc has no exports map).
import tapModule from 'avsc/lib/utils.js';

/** Items allowed in one block of a type whose items may take no bytes (an array of nulls). */
const MAX_EMPTY_ITEMS = 1 << 20;

type Tap = { buf: Buffer; pos: number; readLong(): number; skipLong(): void; readString(): string };
type Readable = { _read(tap: Tap): unknown };
type AnyType = avro.Type & {
  typeName: string;
  itemsType?: AnyType;
  valuesType?: AnyType;
  size?: number;
  types?: AnyType[];
  fields?: { type: AnyType }[];
  underlyingType?: AnyType;
};

const leastBytes = new WeakMap<object, number>();

/**
 * The fewest bytes a value of `t` is written in. A resolver (reading another writer schema) is not a
 * type: its items are taken to take a byte at least, which every schema of the project's does.
 */
function fewestBytes(t: AnyType, seen = new Set<object>()): number {
  if (!(t instanceof avro.Type)) return 1;
  const known = leastBytes.get(t);
  if (known !== undefined) return known;
  if (seen.has(t)) return 1; // a recursive record holds at least its union's branch index
  seen.add(t);
  let n: number;
  switch (t.typeName) {
    case 'null':
      n = 0;
      break;
    case 'float':
      n = 4;
      break;
    case 'double':
      n = 8;
      break;
    case 'fixed':
      n = t.size ?? 0;
      break;
    case 'record':
    case 'error':
      n = (t.fields ?? []).reduce((sum, f) => sum + fewestBytes(f.type, seen), 0);
      break;
    default:
      // A logical type is written as its underlying type; boolean, int, long, enum, string, bytes,
      // unions, arrays and maps take one byte at least.
      n = t.typeName.startsWith('logical:') && t.underlyingType ? fewestBytes(t.underlyingType, seen) : 1;
  }
  seen.delete(t);
  leastBytes.set(t, n);
  return n;
}

/** Throws when a block of `count` items, each at least `least` bytes, cannot be in what is left of the tap. */
function checkBlock(tap: Tap, count: number, least: number, what: string): void {
  const left = tap.buf.length - tap.pos;
  const fits = least > 0 ? Number.isSafeInteger(count) && count * least <= left : count <= MAX_EMPTY_ITEMS;
  if (!fits) {
    throw new Error(
      `an Avro ${what} block claims ${count} item(s) with ${Math.max(0, left)} byte(s) left` +
        (least > 0 ? ` (each takes ${least} byte(s) at least)` : ` (at most ${MAX_EMPTY_ITEMS} empty items a block)`),
    );
  }
}

/** The block's item count; a negative count is followed by the block's size in bytes, skipped. */
function blockCount(tap: Tap): number {
  let n = tap.readLong();
  if (n < 0) {
    n = -n;
    tap.skipLong();
  }
  return n;
}

type ArrayLike = Readable & { itemsType: AnyType & Readable & { _write(tap: WriteTap, val: unknown): void } };
type WriteTap = { buf: Uint8Array; pos: number; writeLong(n: number): void };
type MapLike = Readable & { valuesType: AnyType & Readable };
const types = avro.types as unknown as {
  ArrayType: { prototype: { _read(this: ArrayLike, tap: Tap): unknown; _write(this: ArrayLike, tap: WriteTap, val: unknown): void } };
  MapType: { prototype: { _read(this: MapLike, tap: Tap): unknown } };
};

/**
 * avsc's Tap reads and writes a long past 28 bits through the zigzag value as a double, which past
 * 2^53 drops its lowest bit, the sign: −6000000000000001 was written and read as +6000000000000000.
 * These take the sign apart and carry the magnitude (exact up to 2^53; past it avsc's LongType
 * refuses the value as a precision loss). Only the long's methods: readInt/writeInt stay avsc's.
 */
type LongTap = { buf: Uint8Array; pos: number };
function readLong(this: LongTap): number {
  const buf = this.buf;
  let b = buf[this.pos++]!;
  let n = b & 0x7f;
  let k = 7;
  while (b & 0x80 && k < 28) {
    b = buf[this.pos++]!; // past the end: undefined, read as 0, and the caller sees pos past the end
    n |= (b & 0x7f) << k;
    k += 7;
  }
  if (!(b & 0x80)) return (n >> 1) ^ -(n & 1);
  const negative = n & 1;
  let m = n >>> 1;
  let scale = 134217728; // 2^27
  do {
    b = buf[this.pos++]!;
    m += (b & 0x7f) * scale;
    scale *= 128;
  } while (b & 0x80);
  return negative ? -m - 1 : m;
}
function writeLong(this: LongTap, x: number): void {
  const buf = this.buf;
  if (x >= -1073741824 && x < 1073741824) {
    let z = x >= 0 ? x << 1 : (~x << 1) | 1;
    while (z > 0x7f) {
      buf[this.pos++] = (z & 0x7f) | 0x80; // past the end: ignored, and the caller sees pos past it
      z >>>= 7;
    }
    buf[this.pos++] = z;
    return;
  }
  const m = x >= 0 ? x : -x - 1;
  const low = m % 134217728;
  let rest = (m - low) / 134217728;
  let byte = low * 2 + (x < 0 ? 1 : 0); // the zigzag value's low 28 bits
  for (let group = 0; group < 4; group++) {
    buf[this.pos++] = (byte & 0x7f) | 0x80;
    byte >>>= 7;
  }
  while (rest > 0x7f) {
    buf[this.pos++] = (rest % 128) | 0x80;
    rest = Math.floor(rest / 128);
  }
  buf[this.pos++] = rest;
}

/** A DataView over a tap's buffer (a few dozen nanoseconds: made per block, not kept). */
const viewOf = (buf: Uint8Array): DataView => new DataView(buf.buffer, buf.byteOffset, buf.byteLength);

const PATCHED = Symbol.for('alpha.avro-bounds');
const marks = avro as unknown as Record<symbol, boolean>;
if (!marks[PATCHED]) {
  marks[PATCHED] = true;
  const tap = tapModule.Tap.prototype;
  tap['readLong'] = readLong;
  tap['writeLong'] = writeLong;
  types.ArrayType.prototype._read = function readArray(this: ArrayLike, tap: Tap): unknown[] {
    const items = this.itemsType;
    const least = fewestBytes(items);
    let out: unknown[] | undefined;
    let at = 0;
    for (let n = blockCount(tap); n !== 0; n = blockCount(tap)) {
      checkBlock(tap, n, least, 'array');
      out ??= new Array(n); // sized by the first block, as avsc does (safe now that n is bounded)
      if (items.typeName === 'double') {
        // A block of doubles is n × 8 bytes (checkBlock saw them there): read in place, not item by item.
        const view = viewOf(tap.buf);
        for (let i = 0, p = tap.pos; i < n; i++, p += 8) out[at++] = view.getFloat64(p, true);
        tap.pos += 8 * n;
      } else for (let i = 0; i < n; i++) out[at++] = items._read(tap);
    }
    return out ?? [];
  };
  const writeArrayItemByItem = types.ArrayType.prototype._write;
  types.ArrayType.prototype._write = function writeArray(this: ArrayLike, tap: WriteTap, val: unknown): void {
    const items = this.itemsType;
    if (items.typeName !== 'double' || !Array.isArray(val) || val.length === 0) {
      writeArrayItemByItem.call(this, tap, val);
      return;
    }
    const n = val.length;
    tap.writeLong(n);
    // As avsc's tap: past the end of its buffer nothing is written, but the position moves (the caller
    // sees it past the end and writes again into a larger one). A non-number is avsc's own refusal.
    const end = tap.pos + 8 * n;
    const view = end <= tap.buf.length ? viewOf(tap.buf) : undefined;
    for (let i = 0, p = tap.pos; i < n; i++, p += 8) {
      const x = val[i];
      if (typeof x !== 'number') items._write(tap, x);
      view?.setFloat64(p, x, true);
    }
    tap.pos = end;
    tap.writeLong(0);
  };
  types.MapType.prototype._read = function readMap(this: MapLike, tap: Tap): Record<string, unknown> {
    const values = this.valuesType;
    // Each entry is a key (a length, then its bytes) and a value.
    const least = 1 + fewestBytes(values);
    const out: Record<string, unknown> = {};
    for (let n = blockCount(tap); n !== 0; n = blockCount(tap)) {
      checkBlock(tap, n, least, 'map');
      for (let i = 0; i < n; i++) {
        const key = tap.readString();
        out[key] = values._read(tap);
      }
    }
    return out;
  };
}

export default avro;
