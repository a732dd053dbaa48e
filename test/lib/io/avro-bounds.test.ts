/**
 * Avro array and map blocks bounded by the bytes they are read from (lib/io/avro-bounds.ts): a body of
 * a few bytes that claims millions of items is refused at once (avsc alone read 200M items for 12 s and
 * 2.6 GB, and 2^31 records ended the process), while every well-formed body, in one block or several,
 * decodes to what was written.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../lib/core/rng.ts';
import avro from '../../../lib/io/avro-bounds.ts';
import { avroType } from '../../../lib/io/kafka/schema-codec.ts';
import { CaptureWriter, readCapture } from '../../../pipelines/io/capture-log.ts';
import type { CrossSection, Quote } from '../../../schemas/types.generated.ts';

/** Avro's zig-zag varint of a long. */
function long(n: number): number[] {
  let v = BigInt(n) >= 0n ? BigInt(n) * 2n : -BigInt(n) * 2n - 1n;
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

const rng = new Rng(5);
const crossSection = (symbols: number, features: number): CrossSection => ({
  ts_event: 1_700_000_000_000_000,
  ts_known: 1_700_000_000_000_000,
  symbols: Array.from({ length: symbols }, (_, i) => `S${i}`),
  features: Array.from({ length: features }, (_, j) => `f${j}`),
  values: Array.from({ length: symbols * features }, () => rng.next() * 2 - 1),
  prices: Array.from({ length: symbols }, () => 10 + rng.next() * 90),
});

describe('Avro blocks bounded by their bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alpha-avro-bounds-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses at once a cross-section whose symbols claim 200 million entries in a 9-byte body', () => {
    const t = avroType('CrossSection');
    const body = Buffer.from([...long(1), ...long(1), ...long(200_000_000), 2, 0x53]);
    expect(() => t.fromBuffer(body)).toThrow(/array block claims 200000000 item\(s\) with 2 byte\(s\) left/);
  });

  it('refuses 2^31 records of an array, and a map block past its bytes', () => {
    const quotes = avro.Type.forSchema({ type: 'array', items: avroType('Quote').schema() } as avro.Schema, { wrapUnions: false });
    expect(() => quotes.fromBuffer(Buffer.from([...long(2 ** 31), 0]))).toThrow(/claims 2147483648 item\(s\) with 1 byte\(s\) left/);
    // A negative count is followed by the block's size: bounded the same.
    expect(() => quotes.fromBuffer(Buffer.from([...long(-(2 ** 40)), ...long(3), 0]))).toThrow(/claims 1099511627776 item/);
    const map = avro.Type.forSchema({ type: 'map', values: 'double' });
    expect(() => map.fromBuffer(Buffer.from([...long(1_000_000), 2, 0x61, 0]))).toThrow(/map block claims 1000000 item/);
  });

  it('reads a block that exactly fills its bytes, and blocks of empty items up to the cap', () => {
    const bools = avro.Type.forSchema({ type: 'array', items: 'boolean' });
    const n = 1000;
    const flags = Array.from({ length: n }, (_, i) => i % 3 === 0);
    expect(bools.fromBuffer(Buffer.from([...long(n), ...flags.map((f) => (f ? 1 : 0)), 0]))).toEqual(flags);
    const nulls = avro.Type.forSchema({ type: 'array', items: 'null' });
    expect(nulls.fromBuffer(Buffer.from([...long(5000), 0]))).toEqual(new Array(5000).fill(null));
    expect(() => nulls.fromBuffer(Buffer.from([...long(2 ** 21), 0]))).toThrow(/at most 1048576 empty items/);
  });

  it('decodes random values written in one block, in several, and with sized blocks, as written', () => {
    const t = avroType('CrossSection');
    for (let k = 0; k < 20; k++) {
      const v = crossSection(1 + Math.floor(rng.next() * 40), 1 + Math.floor(rng.next() * 12));
      expect(t.fromBuffer(t.toBuffer(v))).toEqual(v);
    }
    // The prices of a cross-section split into blocks of 1, 2 and the rest, the last with its byte size.
    const v = crossSection(7, 2);
    const doubles = avro.Type.forSchema('double');
    const bytesOf = (xs: number[]) => xs.flatMap((x) => [...doubles.toBuffer(x)]);
    const head = avroType('CrossSection').toBuffer({ ...v, prices: [] });
    const withoutPrices = head.subarray(0, head.length - 1); // drop the empty array's terminating 0
    const rest = v.prices.slice(3);
    const body = Buffer.from([
      ...withoutPrices,
      ...long(1),
      ...bytesOf(v.prices.slice(0, 1)),
      ...long(2),
      ...bytesOf(v.prices.slice(1, 3)),
      ...long(-rest.length),
      ...long(rest.length * 8),
      ...bytesOf(rest),
      0,
    ]);
    expect(t.fromBuffer(body)).toEqual(v);
  });

  it('reads and writes a block of doubles bit for bit (NaN, -0, infinities, subnormals), from a slice of a larger buffer too', () => {
    const specials = [Number.NaN, -0, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5e-324, -Number.MAX_VALUE, 1 / 3];
    // The bytes as the Avro spec writes a double: 8 bytes, little-endian IEEE 754.
    const le = (x: number): number[] => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, x, true);
      return [...b];
    };
    const body = [...long(3), ...specials.slice(0, 3).flatMap(le), ...long(-5), ...long(40), ...specials.slice(3).flatMap(le), 0];
    const doubles = avro.Type.forSchema({ type: 'array', items: 'double' });
    const read = doubles.fromBuffer(Buffer.from(body)) as number[];
    expect(read.length).toBe(specials.length);
    read.forEach((x, i) => expect(Object.is(x, specials[i]), `item ${i}: ${x}`).toBe(true));
    // Written in one block, as the spec lays it out; 10,000 of them outgrow avsc's first buffer (1 KB).
    expect([...doubles.toBuffer(specials)]).toEqual([...long(specials.length), ...specials.flatMap(le), 0]);
    const many = Array.from({ length: 10_000 }, () => (rng.next() - 0.5) * 1e6);
    expect([...doubles.toBuffer(many)]).toEqual([...long(many.length), ...many.flatMap(le), 0]);
    expect(doubles.fromBuffer(doubles.toBuffer(many))).toEqual(many);
    expect(() => doubles.toBuffer([1, '2'])).toThrow(/invalid "double": "2"/);
    // Written as floats (4 bytes each), read as doubles through a resolver: item by item, not 8 bytes at a time.
    const floats = avro.Type.forSchema({ type: 'array', items: 'float' });
    expect(doubles.fromBuffer(floats.toBuffer([1.5, -2.25, 3]), doubles.createResolver(floats))).toEqual([1.5, -2.25, 3]);
    // A message's bytes inside a larger buffer (a fetched batch): read from their own offset.
    const slice = Buffer.concat([Buffer.from([9, 9, 9]), Buffer.from(body)]).subarray(3);
    expect((doubles.fromBuffer(slice) as number[]).map(String)).toEqual(specials.map(String));
    // Seven bytes short of its third double: refused as the block check words it.
    expect(() => doubles.fromBuffer(Buffer.from([...long(3), ...le(1), ...le(2), 0]))).toThrow(
      /array block claims 3 item\(s\) with 17 byte\(s\) left/,
    );
  });

  it('reads blocks through a resolver (a writer schema that differs) with the same bound', () => {
    const writer = avro.Type.forSchema({ type: 'array', items: { type: 'record', name: 'W', fields: [{ name: 'a', type: 'long' }] } });
    const reader = avro.Type.forSchema({
      type: 'array',
      items: {
        type: 'record',
        name: 'W',
        fields: [
          { name: 'a', type: 'long' },
          { name: 'b', type: 'string', default: 'x' },
        ],
      },
    });
    const resolver = reader.createResolver(writer);
    expect(reader.fromBuffer(writer.toBuffer([{ a: 1 }, { a: 2 }]), resolver)).toEqual([
      { a: 1, b: 'x' },
      { a: 2, b: 'x' },
    ]);
    expect(() => reader.fromBuffer(Buffer.from([...long(300_000_000), 2, 0]), resolver)).toThrow(/claims 300000000 item/);
  });

  it('a capture whose arrival claims 2^31 quotes is refused as damaged, naming the file and the arrival', () => {
    const path = join(dir, 'hostile.alog');
    const w = new CaptureWriter(path, {
      start: 1,
      universe: [],
      sessions: [],
      nodes: [{ node: 'quotes', kind: 'source', ports: { out: 'Quote' } }],
    });
    const q: Quote = { ts_event: 1, ts_known: 1, symbol: 'AAA', seq: 1, id: 1, version: 1, bid: 1, ask: 2, bid_size: 3, ask_size: 4 };
    w.source('quotes', [q]);
    w.close();
    expect(readCapture(path).arrivals).toEqual([{ kind: 'source', node: 'quotes', records: [q] }]);
    // A second arrival of the same node with a valid checksum whose records claim 2^31 quotes.
    const payload = Buffer.from([1, 0, 0, ...long(2 ** 31), 0]);
    const head = Buffer.alloc(8);
    head.writeUInt32LE(payload.length, 0);
    head.writeUInt32LE(crc32(payload), 4);
    appendFileSync(path, Buffer.concat([head, payload]));
    expect(() => readCapture(path)).toThrow(/hostile\.alog.*arrival 2: an Avro array block claims 2147483648 item/);
  });
});
