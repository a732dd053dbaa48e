/**
 * The column path of Kafka edges (lib/io/kafka/avro-columns.ts) against avsc, the reference: on
 * random records of every flat project schema it writes avsc's bytes and reads avsc's values, and on
 * values cut, stretched and with bytes changed at random it either reads what avsc reads or hands the
 * value to avsc (the fallback), never a value of its own.
 */
import type avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { ColumnBatch } from '../../../lib/core/column-batch.ts';
import { Rng } from '../../../lib/core/rng.ts';
import { AvroColumns } from '../../../lib/io/kafka/avro-columns.ts';
import { avroType } from '../../../lib/io/kafka/schema-codec.ts';
import { HEADER_BYTES } from '../../../lib/io/kafka/wire.ts';
import { SCHEMA_NAMES } from '../../../schemas/types.generated.ts';

const SCHEMA_ID = 0x01020304;

/** A seeded generator (the project's own): the same cases on every run. */
function generator(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

/** A value of a primitive or enum Avro type, edge cases included. */
function randomValue(type: avro.Type, rand: () => number, words: readonly string[]): unknown {
  switch (type.typeName) {
    case 'long':
      return pick(rand, [
        0,
        -1,
        1,
        63,
        64,
        -64,
        -65,
        2 ** 31 - 1,
        -(2 ** 31),
        2 ** 30,
        -(2 ** 30) - 1,
        2 ** 53 - 2,
        -(2 ** 53 - 2),
        1_700_000_000_000_000 + Math.floor(rand() * 1e12),
        Math.floor((rand() - 0.5) * 2 ** 52),
        Math.floor((rand() - 0.5) * 1e6),
      ]);
    case 'int':
      return pick(rand, [0, -1, 1, 2 ** 31 - 1, -(2 ** 31), Math.floor((rand() - 0.5) * 2 ** 32), Math.floor(rand() * 1000)]);
    case 'double':
      return pick(rand, [0, -0, 1.5, -1e300, 5e-324, Number.NaN, Number.POSITIVE_INFINITY, (rand() - 0.5) * 1e6]);
    case 'float':
      return Math.fround(pick(rand, [0, 1.5, -3.25, (rand() - 0.5) * 1e6]));
    case 'boolean':
      return rand() < 0.5;
    case 'string':
      return pick(rand, words);
    case 'enum':
      return pick(rand, (type as avro.types.EnumType).symbols);
    default:
      throw new Error(`not a flat field: ${type.typeName}`);
  }
}

// Lone surrogates included: avsc writes one as 3 bytes in strings of up to 64 bytes, Buffer.from as U+FFFD.
const WORDS = ['AAPL', 'MSFT', '', 'café', '𝄞 clef', 'x'.repeat(60), 'SYM0042', 'a\u0000b', 'BRK.B', 'A\ud800', `${'y'.repeat(70)}\udc00`];

function records(type: avro.Type, n: number, seed: number): Record<string, unknown>[] {
  const rand = generator(seed);
  const fields = (type as avro.types.RecordType).fields;
  return Array.from({ length: n }, () => Object.fromEntries(fields.map((f) => [f.name, randomValue(f.type, rand, WORDS)])));
}

/** avsc's framed bytes of each record, back to back. */
function avscValues(
  type: avro.Type,
  rows: readonly Record<string, unknown>[],
): { data: Buffer; starts: Float64Array; lengths: Int32Array } {
  const parts = rows.map((r) => {
    const body = type.toBuffer(r);
    const framed = Buffer.alloc(HEADER_BYTES + body.length);
    framed.writeInt32BE(SCHEMA_ID, 1);
    body.copy(framed, HEADER_BYTES);
    return framed;
  });
  return pack(parts);
}

function pack(parts: readonly Buffer[]): { data: Buffer; starts: Float64Array; lengths: Int32Array } {
  const starts = new Float64Array(parts.length);
  const lengths = new Int32Array(parts.length);
  let at = 0;
  parts.forEach((p, i) => {
    starts[i] = at;
    lengths[i] = p.length;
    at += p.length;
  });
  return { data: Buffer.concat(parts), starts, lengths };
}

/** avsc reading a framed value of schema id SCHEMA_ID, as the edge's codec does: the value or its reason. */
function avscDecode(type: avro.Type, value: Buffer): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  if (value.length < HEADER_BYTES || value[0] !== 0 || value.readInt32BE(1) !== SCHEMA_ID) return { ok: false, error: 'header' };
  try {
    const { value: v, offset } = type.decode(value, HEADER_BYTES);
    if (offset !== value.length) return { ok: false, error: offset < 0 ? 'truncated' : 'trailing' };
    return { ok: true, value: v as Record<string, unknown> };
  } catch (err) {
    return { ok: false, error: String(err) };
  }
}

/** Field by field, with NaN equal to NaN and -0 apart from 0 (what Object.is says). */
function same(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.is(a[k], b[k]));
}

const flat = SCHEMA_NAMES.filter((name) => AvroColumns.of(avroType(name)) !== undefined);

describe('AvroColumns', () => {
  it('takes the flat project schemas (Quote, Trade, Bar, Fill, …) and leaves the others to avsc', () => {
    expect(flat).toEqual(expect.arrayContaining(['Quote', 'Trade', 'Bar', 'Fill']));
    for (const name of ['Order', 'FeatureVector', 'CrossSection'] as const) expect(AvroColumns.of(avroType(name))).toBeUndefined();
  });

  it.each(flat)('%s: writes the bytes avsc writes and reads back the values avsc reads', (name) => {
    const fail = (): never => {
      throw new Error('the fast path refused a value avsc wrote');
    };
    const type = avroType(name);
    const codec = AvroColumns.of<Record<string, unknown>>(type)!;
    const rows = records(type, 2_000, name.length);
    const want = avscValues(type, rows);
    const batch = ColumnBatch.fromRecords(rows, codec.names as string[]);
    // the whole batch, and a slice of it
    const got = codec.encode(batch, SCHEMA_ID)!;
    expect(got.data.equals(want.data)).toBe(true);
    expect([...got.lengths]).toEqual([...want.lengths]);
    const slice = codec.encode(batch.slice(700, 1_300), SCHEMA_ID)!;
    expect(slice.data.equals(want.data.subarray(want.starts[700], want.starts[1_300]))).toBe(true);

    const which = Int32Array.from(rows, (_, i) => i);
    const read = codec.decode(want.data, want.starts, want.lengths, which, SCHEMA_ID, fail);
    expect(read.refused).toEqual([]);
    expect([...read.taken]).toEqual([...which]);
    const back = read.batch.toRecords();
    rows.forEach((_, i) => {
      const decoded = avscDecode(type, want.data.subarray(want.starts[i], want.starts[i]! + want.lengths[i]!));
      expect(decoded.ok && same(back[i]!, decoded.value)).toBe(true);
    });
  });

  it.each(['Quote', 'Fill', 'Bar'] as const)('%s: a damaged value reads as avsc reads it, or goes to the fallback', (name) => {
    const type = avroType(name);
    const codec = AvroColumns.of<Record<string, unknown>>(type)!;
    const rand = generator(7 + name.length);
    const rows = records(type, 3_000, 11);
    const clean = avscValues(type, rows);
    const damaged: Buffer[] = [];
    for (let i = 0; i < rows.length; i++) {
      let v = Buffer.from(clean.data.subarray(clean.starts[i], clean.starts[i]! + clean.lengths[i]!));
      const how = Math.floor(rand() * 5);
      if (how === 0)
        v = v.subarray(0, Math.floor(rand() * v.length)); // cut short
      else if (how === 1)
        v = Buffer.concat([v, Buffer.from([Math.floor(rand() * 256)])]); // a byte too many
      else if (how === 2) v[HEADER_BYTES + Math.floor(rand() * (v.length - HEADER_BYTES))] = Math.floor(rand() * 256);
      else if (how === 3)
        v.fill(0xff, HEADER_BYTES, Math.min(v.length, HEADER_BYTES + 11)); // a varint that never ends
      else {
        const at = 1 + Math.floor(rand() * 4);
        v[at] = v[at]! ^ 1; // another schema id
      }
      damaged.push(v);
    }
    const values = pack(damaged);
    const fallbacks: number[] = [];
    const read = codec.decode(
      values.data,
      values.starts,
      values.lengths,
      Int32Array.from(damaged, (_, i) => i),
      SCHEMA_ID,
      (i) => {
        fallbacks.push(i);
        return avscDecode(type, damaged[i]!);
      },
    );
    // Rows in order: the fast path's and the fallback's together are exactly what avsc reads.
    const want = damaged.map((v, i) => ({ i, d: avscDecode(type, v) })).filter((x) => x.d.ok);
    expect([...read.taken]).toEqual(want.map((x) => x.i));
    const back = read.batch.toRecords();
    want.forEach((x, r) => expect(same(back[r]!, (x.d as { value: Record<string, unknown> }).value)).toBe(true));
    expect(read.refused.map((r) => r.index)).toEqual(damaged.map((_, i) => i).filter((i) => !want.some((x) => x.i === i)));
    // Something of each kind reached the fallback, and most clean-enough values did not.
    expect(fallbacks.length).toBeGreaterThan(rows.length / 2);
    expect(fallbacks.length).toBeLessThan(rows.length);
  });

  it('reads a long past 2^53 through the fallback (avsc refuses it: potential precision loss)', () => {
    const type = avroType('Quote');
    const codec = AvroColumns.of<Record<string, unknown>>(type)!;
    const [row] = records(type, 1, 3);
    const body = type.toBuffer(row);
    // ts_event is the first field: replace its varint with zigzag(2^60) (10 bytes).
    let first = 0;
    while (body[first]! & 0x80) first++;
    const big: number[] = [];
    for (let z = 2n ** 61n; ; z >>= 7n) {
      if (z < 128n) {
        big.push(Number(z));
        break;
      }
      big.push(Number(z & 127n) | 0x80);
    }
    const framed = Buffer.concat([Buffer.from([0, 1, 2, 3, 4]), Buffer.from(big), body.subarray(first + 1)]);
    const { data, starts, lengths } = pack([framed]);
    const seen: number[] = [];
    const read = codec.decode(data, starts, lengths, [0], SCHEMA_ID, (i) => {
      seen.push(i);
      return avscDecode(type, framed);
    });
    expect(seen).toEqual([0]);
    expect(read.batch.length).toBe(0);
    expect(read.refused[0]!.error).toMatch(/precision loss/);
  });

  it('refuses to encode columns that do not fit the schema, so the record path names the field', () => {
    const type = avroType('Quote');
    const codec = AvroColumns.of<Record<string, unknown>>(type)!;
    const rows = records(type, 3, 5);
    const ok = ColumnBatch.fromRecords(rows, codec.names as string[]);
    expect(codec.encode(ok, SCHEMA_ID)).toBeDefined();
    const broken = (field: string, column: unknown): ColumnBatch<Record<string, unknown>> =>
      ColumnBatch.of(3, { ...(ok.columns as Record<string, unknown>), [field]: column } as never);
    expect(codec.encode(broken('seq', Float64Array.of(1, Number.NaN, 3)), SCHEMA_ID)).toBeUndefined();
    expect(codec.encode(broken('seq', Float64Array.of(1, 2 ** 60, 3)), SCHEMA_ID)).toBeUndefined();
    expect(codec.encode(broken('seq', Float64Array.of(1, Number.MAX_SAFE_INTEGER, 3)), SCHEMA_ID)).toBeUndefined(); // avsc's bound is 2^53 − 2
    expect(codec.encode(broken('version', Float64Array.of(1, 1.5, 3)), SCHEMA_ID)).toBeUndefined();
    expect(codec.encode(broken('symbol', [1, 2, 3]), SCHEMA_ID)).toBeUndefined();
    expect(codec.encode(broken('symbol', { codes: Int32Array.of(0, 1, 0), dictionary: ['A'] }), SCHEMA_ID)).toBeUndefined();
    const fill = avroType('Fill');
    const fills = AvroColumns.of<Record<string, unknown>>(fill)!;
    const side = (fill as avro.types.RecordType).fields.find((f) => f.type.typeName === 'enum')!.name;
    const f = ColumnBatch.fromRecords(records(fill, 2, 9), fills.names as string[]);
    const wrong = ColumnBatch.of<Record<string, unknown>>(2, {
      ...(f.columns as Record<string, unknown>),
      [side]: { codes: Int32Array.of(0, 0), dictionary: ['SIDEWAYS'] },
    } as never);
    expect(fills.encode(wrong, SCHEMA_ID)).toBeUndefined();
  });

  it("gives each text one code in a batch's dictionary: byte strings that decode alike, and past the cache's limit", () => {
    const type = avroType({ type: 'record', name: 'S', fields: [{ name: 's', type: 'string' }] });
    const codec = AvroColumns.of<{ s: string }>(type)!;
    const value = (bytes: number[]) => Buffer.from([0, 1, 2, 3, 4, bytes.length * 2, ...bytes]);
    // 0xff, 0xfe and U+FFFD's own bytes all read as "\ufffd"
    const parts = [value([0xff]), value([0xfe]), value([0xef, 0xbf, 0xbd]), value([0x41])];
    const { data, starts, lengths } = pack(parts);
    const read = codec.decode(data, starts, lengths, [0, 1, 2, 3], SCHEMA_ID, () => ({ ok: false, error: 'x' }));
    const column = read.batch.columns.s as { codes: Int32Array; dictionary: readonly string[] };
    expect(column.dictionary).toEqual(['\ufffd', 'A']);
    expect([...column.codes]).toEqual([0, 0, 0, 1]);
    // 70,000 distinct strings in one batch (beyond the cache's 65,536 entries), then the first again
    const many = Array.from({ length: 70_000 }, (_, i) => `s${i}`);
    const big = avscValues(
      type,
      [...many, 's0'].map((x) => ({ s: x })),
    );
    const all = codec.decode(
      big.data,
      big.starts,
      big.lengths,
      Int32Array.from({ length: 70_001 }, (_, i) => i),
      SCHEMA_ID,
      () => ({ ok: false, error: 'x' }),
    );
    const c = all.batch.columns.s as { codes: Int32Array; dictionary: readonly string[] };
    expect(c.dictionary).toHaveLength(70_000);
    expect(c.codes[70_000]).toBe(0);
  });
});
