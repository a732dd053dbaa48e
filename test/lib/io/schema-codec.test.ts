/**
 * SchemaCodec.encodeAll: values framed back to back in one buffer, the same bytes as `encode` gives
 * each, whatever their sizes; a value larger than the room left is written again once, not once per
 * doubling of the buffer (a 40 kB cross-section was encoded six times over).
 */
import avro from 'avsc';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Rng } from '../../../lib/core/rng.ts';
import { SchemaCodec } from '../../../lib/io/kafka/schema-codec.ts';
import type { Bar, CrossSection } from '../../../schemas/types.generated.ts';

const rng = new Rng(17);

function crossSection(symbols: number, features: number, t: number): CrossSection {
  return {
    ts_event: t,
    ts_known: t,
    symbols: Array.from({ length: symbols }, (_, i) => `S${String(i).padStart(4, '0')}`),
    features: Array.from({ length: features }, (_, j) => `feature_${j}`),
    values: Array.from({ length: symbols * features }, () => (rng.next() < 0.05 ? Number.NaN : rng.next() * 2 - 1)),
    prices: Array.from({ length: symbols }, () => 10 + rng.next() * 100),
  };
}

const bar = (i: number): Bar => ({
  ts_event: 1_700_000_000_000_000 + i * 60_000_000,
  ts_known: 1_700_000_000_000_000 + i * 60_000_000,
  symbol: `S${i % 9}`,
  open: 100 + i,
  high: 101 + i,
  low: 99 + i,
  close: 100.5 + i,
  volume: 1000 + i,
  vwap: 100.2 + i,
  trades: 10 + i,
  quotes: 20 + i,
  spread_bps: 1.5,
  imbalance: 0.1,
});

/** The codec, and a count of the bodies avsc wrote (its types are frozen: counted on the prototype). */
function counted<T>(schema: 'CrossSection' | 'Bar') {
  const codec = SchemaCodec.reader<T>('http://127.0.0.1:1', 'unit', schema);
  const spy = vi.spyOn(avro.Type.prototype, 'encode');
  const calls = {
    get n() {
      return spy.mock.calls.length;
    },
    set n(_: number) {
      spy.mockClear();
    },
  };
  return { codec, calls };
}

describe('SchemaCodec.encodeAll', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes a value past the room left once more, not once per doubling, with encode()’s bytes', () => {
    const { codec, calls } = counted<CrossSection>('CrossSection');
    const big = crossSection(40, 116, 1); // ~39 kB: 1 kB of room to start with
    const out = codec.encodeAll([big]);
    expect(out.data.equals(codec.encode(big))).toBe(true);
    expect([...out.lengths]).toEqual([out.data.length]);
    expect(calls.n).toBe(2);
    // The next batch starts with room for values of that size (on average).
    calls.n = 0;
    const batch = [crossSection(40, 116, 2), crossSection(3, 2, 3), crossSection(80, 116, 4), crossSection(40, 116, 5)];
    const all = codec.encodeAll(batch);
    expect(all.data.equals(Buffer.concat(batch.map((v) => codec.encode(v))))).toBe(true);
    expect([...all.lengths]).toEqual(batch.map((v) => codec.encode(v).length));
    expect(calls.n).toBeLessThanOrEqual(batch.length + 1); // one value (the 80-symbol one) past the room
  });

  it('does not keep sizing batches by one huge value: the room follows the last batch’s average', () => {
    const cs = counted<CrossSection>('CrossSection').codec;
    cs.encodeAll([crossSection(400, 116, 1)]); // ~380 kB
    const small = Array.from({ length: 50 }, (_, i) => crossSection(1, 1, i));
    cs.encodeAll(small); // the one batch sized by the huge value
    const again = cs.encodeAll(small);
    expect(again.data.equals(Buffer.concat(small.map((v) => cs.encode(v))))).toBe(true);
    // Its buffer (what a held send keeps alive) is about the batch, not 50 huge values.
    expect(again.data.buffer.byteLength).toBeLessThanOrEqual(64 * 1024);
  });

  it('packs many small values and some huge ones: the same bytes as encode() one by one', () => {
    const { codec } = counted<Bar>('Bar');
    for (const n of [0, 1, 11, 12, 500]) {
      const values = Array.from({ length: n }, (_, i) => bar(i));
      const all = codec.encodeAll(values);
      expect(all.data.equals(Buffer.concat(values.map((v) => codec.encode(v))))).toBe(true);
      expect(all.lengths.length).toBe(n);
    }
    const cs = counted<CrossSection>('CrossSection').codec;
    const mixed = Array.from({ length: 30 }, (_, i) => crossSection(i % 7 === 0 ? 200 : 1 + (i % 3), i % 7 === 0 ? 116 : 3, i));
    const all = cs.encodeAll(mixed);
    expect(all.data.equals(Buffer.concat(mixed.map((v) => cs.encode(v))))).toBe(true);
    let at = 0;
    for (let i = 0; i < mixed.length; i++) {
      expect(all.data.subarray(at, at + all.lengths[i]!).equals(cs.encode(mixed[i]!)), `value ${i}`).toBe(true);
      at += all.lengths[i]!;
    }
    expect(at).toBe(all.data.length);
  });
});
