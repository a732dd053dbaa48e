/**
 * Avro longs past 2^52, against the spec's zigzag varint worked out here with BigInt: avsc (as
 * lib/io/avro-bounds.ts leaves it) and the column codec write the spec's bytes and read back the same
 * number, for every safe integer avsc takes. Both once carried the zigzag value in a double, which
 * past 2^53 drops its lowest bit, the sign: −6000000000000001 was written, and read, as +6000000000000000.
 * Past avsc's bound (±(2^53 − 2)) avsc refuses the value and the column codec hands it to avsc.
 */
import { describe, expect, it } from 'vitest';
import { ColumnBatch } from '../../../lib/core/column-batch.ts';
import { Rng } from '../../../lib/core/rng.ts';
import avro from '../../../lib/io/avro-bounds.ts';
import { AvroColumns } from '../../../lib/io/kafka/avro-columns.ts';
import { HEADER_BYTES } from '../../../lib/io/kafka/wire.ts';

const LIMIT = 2 ** 53 - 2;

/** The spec's encoding of a long: zigzag ((n << 1) ^ (n >> 63), as 64 bits), then 7 bits a byte, low first. */
function spec(n: bigint): Buffer {
  let z = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
  const out: number[] = [];
  do {
    const byte = Number(z & 0x7fn);
    z >>= 7n;
    out.push(z > 0n ? byte | 0x80 : byte);
  } while (z > 0n);
  return Buffer.from(out);
}

const type = avro.Type.forSchema({ type: 'record', name: 'L', fields: [{ name: 'x', type: 'long' }] });
const codec = AvroColumns.of<{ x: number }>(type)!;
const rng = new Rng(29);

/** Safe integers weighted to the large ones: each power of two from 2^0 to 2^53, either sign, plus an offset. */
function values(): number[] {
  const out = [-6000000000000001, 6000000000000001, LIMIT, -LIMIT, 2 ** 52 + 1, -(2 ** 52) - 1, 0, -1];
  for (let k = 0; k < 4000; k++) {
    const bits = Math.floor(rng.next() * 54);
    const x = Math.min(LIMIT, Math.floor(rng.next() * 2 ** bits));
    out.push(rng.next() < 0.5 && x > 0 ? -x : x);
  }
  return out;
}

describe('Avro longs to ±(2^53 − 2)', () => {
  const xs = values();

  it('avsc writes the spec’s bytes and reads them back', () => {
    for (const x of xs) {
      const bytes = type.toBuffer({ x });
      expect(bytes.equals(spec(BigInt(x))), `${x}`).toBe(true);
      expect((type.fromBuffer(bytes) as { x: number }).x).toBe(x);
    }
  });

  it('the column codec writes the same bytes and reads them back without avsc', () => {
    const batch = ColumnBatch.fromRecords(
      xs.map((x) => ({ x })),
      ['x'],
    );
    const { data, lengths } = codec.encode(batch, 7)!;
    const starts = new Float64Array(xs.length);
    for (let i = 1; i < xs.length; i++) starts[i] = starts[i - 1]! + lengths[i - 1]!;
    for (let i = 0; i < xs.length; i++) {
      const body = data.subarray(starts[i]! + HEADER_BYTES, starts[i]! + lengths[i]!);
      expect(body.equals(spec(BigInt(xs[i]!))), `${xs[i]}`).toBe(true);
    }
    const which = Int32Array.from(xs.keys());
    const decoded = codec.decode(data, starts, lengths, which, 7, (i) => {
      throw new Error(`value ${i} (${xs[i]}) went to the fallback`);
    });
    expect(decoded.refused).toEqual([]);
    expect([...(decoded.batch.columns.x as Float64Array)]).toEqual(xs);
  });

  it('past avsc’s bound: avsc refuses the value, and the column codec hands it to avsc', () => {
    for (const n of [2n ** 53n - 1n, -(2n ** 53n) + 1n, 2n ** 60n, -(2n ** 62n)]) {
      const body = spec(n);
      expect(() => type.fromBuffer(body), `${n}`).toThrow(/precision loss/);
      const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), body]);
      const decoded = codec.decode(framed, Float64Array.of(0), Int32Array.of(framed.length), [0], 7, () => ({
        ok: false,
        error: 'avsc: potential precision loss',
      }));
      expect(decoded.refused, `${n}`).toEqual([{ index: 0, error: 'avsc: potential precision loss' }]);
    }
  });
});
