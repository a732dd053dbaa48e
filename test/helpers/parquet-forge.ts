/**
 * Forging hostile Parquet files for tests: a minimal Thrift compact-protocol codec (structs as lists
 * of { id, type, value }, lists as { type, items }) to read a file's footer and page headers, change
 * them, and write the file again with its offsets fixed up. Test tooling only: nothing here is checked.
 */
type Value = bigint | boolean | number | Buffer | ThriftList | ThriftStruct;
export interface Field {
  id: number;
  type: number;
  value: Value;
}
export type ThriftStruct = Field[];
export interface ThriftList {
  type: number;
  items: Value[];
  /** Declared length, when it should differ from items.length. */
  size?: number;
}

export const I32 = 5;
export const I64 = 6;
export const BINARY = 8;
export const LIST = 9;
export const STRUCT = 12;

class Reader {
  constructor(
    private readonly b: Buffer,
    public p: number,
  ) {}
  byte(): number {
    if (this.p >= this.b.length) throw new Error('end of bytes');
    return this.b[this.p++]!;
  }
  varint(): bigint {
    let r = 0n;
    for (let s = 0n; ; s += 7n) {
      const x = this.byte();
      r |= BigInt(x & 0x7f) << s;
      if (!(x & 0x80)) return r;
    }
  }
  zigzag(): bigint {
    const v = this.varint();
    return (v >> 1n) ^ -(v & 1n);
  }
  value(t: number): Value {
    if (t === 1 || t === 2) return t === 1;
    if (t === 3) return this.byte();
    if (t >= 4 && t <= 6) return this.zigzag();
    if (t === 7) {
      const v = this.b.readDoubleLE(this.p);
      this.p += 8;
      return v;
    }
    if (t === BINARY) {
      const n = Number(this.varint());
      this.p += n;
      return Buffer.from(this.b.subarray(this.p - n, this.p));
    }
    if (t === LIST || t === 10) {
      const h = this.byte();
      const n = h >> 4 === 15 ? Number(this.varint()) : h >> 4;
      const type = h & 15;
      return { type, items: Array.from({ length: n }, () => (type <= 2 ? this.byte() === 1 : this.value(type))) };
    }
    if (t === STRUCT) return this.struct();
    throw new Error(`thrift type ${t}`);
  }
  struct(): ThriftStruct {
    const fields: ThriftStruct = [];
    for (let last = 0; ; ) {
      const h = this.byte();
      if (h === 0) return fields;
      const type = h & 15;
      const id = h >> 4 ? last + (h >> 4) : Number(this.zigzag());
      last = id;
      fields.push({ id, type: type === 1 || type === 2 ? 2 : type, value: this.value(type) });
    }
  }
}

class Writer {
  private readonly out: number[] = [];
  byte(x: number): void {
    this.out.push(x & 0xff);
  }
  varint(v: bigint): void {
    let u = BigInt.asUintN(64, v);
    do {
      let x = Number(u & 0x7fn);
      u >>= 7n;
      if (u) x |= 0x80;
      this.byte(x);
    } while (u);
  }
  value(t: number, v: Value): void {
    if (t === 3) this.byte(v as number);
    else if (t >= 4 && t <= 6) this.varint(BigInt.asUintN(64, ((v as bigint) << 1n) ^ ((v as bigint) >> 63n)));
    else if (t === 7) for (const x of new Uint8Array(new Float64Array([v as number]).buffer)) this.byte(x);
    else if (t === BINARY) {
      const b = Buffer.from(v as Buffer);
      this.varint(BigInt(b.length));
      for (const x of b) this.byte(x);
    } else if (t === LIST || t === 10) {
      const l = v as ThriftList;
      const n = l.size ?? l.items.length;
      if (n < 15) this.byte((n << 4) | l.type);
      else {
        this.byte(0xf0 | l.type);
        this.varint(BigInt(n));
      }
      for (const it of l.items) l.type <= 2 ? this.byte(it ? 1 : 2) : this.value(l.type, it);
    } else if (t === STRUCT) this.struct(v as ThriftStruct);
  }
  struct(fields: ThriftStruct): void {
    let last = 0;
    for (const f of fields) {
      const t = f.type === 2 ? (f.value ? 1 : 2) : f.type;
      const d = f.id - last;
      if (d > 0 && d < 16) this.byte((d << 4) | t);
      else {
        this.byte(t);
        this.varint(BigInt.asUintN(64, (BigInt(f.id) << 1n) ^ (BigInt(f.id) >> 63n)));
      }
      last = f.id;
      if (f.type !== 2) this.value(f.type, f.value);
    }
    this.byte(0);
  }
  bytes(): Buffer {
    return Buffer.from(this.out);
  }
}

export const field = (s: ThriftStruct, id: number): Field | undefined => s.find((f) => f.id === id);

export function setField(s: ThriftStruct, id: number, type: number, value: Value): void {
  const f = field(s, id);
  if (f) Object.assign(f, { type, value });
  else {
    s.push({ id, type, value });
    s.sort((a, b) => a.id - b.id);
  }
}

/** The footer (FileMetaData) of a Parquet file. */
export function footerOf(bytes: Uint8Array): ThriftStruct {
  const file = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new Reader(file, file.length - 8 - file.readUInt32LE(file.length - 8)).struct();
}

/** `body` (from the leading magic to the last page) with `meta` as its footer. */
export function withFooter(body: Buffer, meta: ThriftStruct): Buffer {
  const w = new Writer();
  w.struct(meta);
  const footer = w.bytes();
  const len = Buffer.alloc(4);
  len.writeUInt32LE(footer.length);
  return Buffer.concat([body, footer, len, Buffer.from('PAR1')]);
}

/**
 * The file rewritten page by page: `edit` may change each page header (a PageHeader struct) of the
 * column named `column`; the footer's offsets and sizes are fixed up.
 */
export function editPages(bytes: Uint8Array, edit: (header: ThriftStruct, column: string) => void): Buffer {
  const file = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const meta = footerOf(file);
  const parts: Buffer[] = [Buffer.from('PAR1')];
  let pos = 4;
  for (const group of (field(meta, 4)!.value as ThriftList).items as ThriftStruct[]) {
    const groupStart = pos;
    for (const chunk of (field(group, 1)!.value as ThriftList).items as ThriftStruct[]) {
      const md = field(chunk, 3)!.value as ThriftStruct;
      const name = ((field(md, 3)!.value as ThriftList).items as Buffer[]).map(String).join('.');
      const dictAt = field(md, 11)?.value as bigint | undefined;
      let p = Number(dictAt !== undefined && dictAt > 0n ? dictAt : (field(md, 9)!.value as bigint));
      const end = p + Number(field(md, 7)!.value as bigint);
      const chunkStart = pos;
      let newDict: number | undefined;
      let newData: number | undefined;
      while (p < end) {
        const r = new Reader(file, p);
        const header = r.struct();
        const body = file.subarray(r.p, r.p + Number(field(header, 3)!.value as bigint));
        p = r.p + body.length;
        edit(header, name);
        const w = new Writer();
        w.struct(header);
        if (Number(field(header, 1)!.value as bigint) === 2) newDict ??= pos;
        else newData ??= pos;
        parts.push(w.bytes(), body);
        pos += w.bytes().length + body.length;
      }
      setField(md, 9, I64, BigInt(newData ?? chunkStart));
      if (newDict !== undefined) setField(md, 11, I64, BigInt(newDict));
      setField(md, 7, I64, BigInt(pos - chunkStart));
      setField(chunk, 2, I64, BigInt(chunkStart));
      // Column and offset indexes point at the old layout: drop them.
      for (const id of [4, 5, 6, 7]) {
        const i = chunk.findIndex((f) => f.id === id);
        if (i >= 0) chunk.splice(i, 1);
      }
    }
    setField(group, 5, I64, BigInt(groupStart));
    setField(group, 6, I64, BigInt(pos - groupStart));
  }
  return withFooter(Buffer.concat(parts), meta);
}

/**
 * The file with a footer that counts `rows` rows, consistently: the file's count, the last row group's
 * (the others keep theirs) and that group's column chunks' value counts, whatever its pages hold.
 */
export function withRowCount(bytes: Uint8Array, rows: bigint): Buffer {
  const file = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const meta = footerOf(file);
  setField(meta, 3, I64, rows);
  const groups = (field(meta, 4)!.value as ThriftList).items as ThriftStruct[];
  const before = groups.slice(0, -1).reduce((n, g) => n + BigInt(field(g, 3)!.value as bigint), 0n);
  const last = groups[groups.length - 1]!;
  setField(last, 3, I64, rows - before);
  for (const chunk of (field(last, 1)!.value as ThriftList).items as ThriftStruct[])
    setField(field(chunk, 3)!.value as ThriftStruct, 5, I64, rows - before);
  return withFooter(file.subarray(0, file.length - 8 - file.readUInt32LE(file.length - 8)), meta);
}
