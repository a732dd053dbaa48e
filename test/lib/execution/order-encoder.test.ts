/**
 * OrderEncoder (encodeOrder, the order's fields as arguments) against orderToOuch (the order as an
 * object) on random orders, well-formed and not: the same bytes, the same refusal, or the same
 * TypeError. orderToOuch's own bytes are checked against the OUCH 4.2 spec in test/native/colo.test.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OrderEncoder } from '../../../lib/execution/order-encoder.ts';
import { colo, type OuchOrderInput } from '../../../native/colo/index.ts';

const oneOf = (...values: unknown[]) => fc.constantFrom(...values);

const orderArb = fc.record(
  {
    order_id: fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), oneOf('o-1', 'o-2', '', 'ü-ß')),
    symbol: fc.oneof(oneOf('AAPL', 'S0001', 'TOOLONGSYM', '', 'a b'), fc.string({ maxLength: 10 })),
    side: oneOf('BUY', 'SELL', 'UP', undefined, 3),
    qty: fc.oneof(fc.integer({ min: -5, max: 1_200_000 }), oneOf(12.5, Number.NaN, Number.POSITIVE_INFINITY, '100')),
    order_type: oneOf('MARKET', 'LIMIT', 'STOP', undefined),
    limit_price: fc.oneof(fc.double({ min: -1, max: 250_000, noNaN: true }), oneOf(null, undefined, Number.NaN, 0.00005, 1.005, '10')),
    ref_price: fc.oneof(fc.double({ min: 0, max: 250_000, noNaN: true }), oneOf(Number.NaN, -3, null)),
    time_in_force: oneOf('DAY', 'IOC', 'GTC', undefined),
    action: oneOf('NEW', 'CANCEL', 'REPLACE', 'AMEND', undefined),
    target_order_id: oneOf(null, undefined, 'o-1', '', 7),
  },
  { requiredKeys: ['order_id'] },
) as unknown as fc.Arbitrary<OuchOrderInput>;

/** What a call gave: its bytes as hex, its refusal, or its TypeError's message. */
function outcome(f: () => { ok: true; bytes: Uint8Array } | { ok: false; error: string }): string {
  try {
    const r = f();
    return r.ok ? `bytes ${Buffer.from(r.bytes).toString('hex')}` : `refused ${r.error}`;
  } catch (e) {
    return `threw ${(e as Error).name}: ${(e as Error).message}`;
  }
}

describe('OrderEncoder', () => {
  it('gives orderToOuch’s bytes, refusals and TypeErrors on random orders', () => {
    const kinds = new Set<string>();
    for (const collar of [undefined, 0.05, 0.2]) {
      const encoder = new OrderEncoder(collar);
      fc.assert(
        fc.property(orderArb, (o) => {
          const expected = outcome(() => colo().orderToOuch(o, collar === undefined ? undefined : { market_collar: collar }));
          expect(outcome(() => encoder.encode(o))).toBe(expected);
          kinds.add(expected.split(' ')[0]!);
        }),
        { numRuns: 2000, seed: 20261204 },
      );
    }
    // The random orders reached every outcome.
    expect([...kinds].sort()).toEqual(['bytes', 'refused', 'threw']);
  });

  it('refuses a collar outside (0, 1) as orderToOuch does', () => {
    const o: OuchOrderInput = {
      order_id: 'm-1',
      symbol: 'AAPL',
      side: 'BUY',
      qty: 100,
      order_type: 'MARKET',
      limit_price: null,
      ref_price: 10,
      time_in_force: 'IOC',
      action: 'NEW',
      target_order_id: null,
    };
    for (const collar of [0, 1, -0.5, Number.NaN])
      expect(outcome(() => new OrderEncoder(collar).encode(o))).toBe(outcome(() => colo().orderToOuch(o, { market_collar: collar })));
  });

  it('refuses encodeOrder calls without its twelve arguments or a 64-byte buffer, in one TypeError each', () => {
    const encode = colo().encodeOrder as unknown as (...a: unknown[]) => unknown;
    const args = ['o-1', 'AAPL', 0, 0, 0, 1, 100, 10, 10, null, 0.05];
    expect(() => encode()).toThrow(TypeError);
    expect(() => encode(new Uint8Array(64), ...args.slice(0, 5))).toThrow(/encodeOrder\(out: Uint8Array/);
    expect(() => encode(new Uint16Array(64), ...args)).toThrow(/encodeOrder\(out: Uint8Array/);
    expect(() => encode(new Uint8Array(48), ...args)).toThrow(/out must hold 64 bytes or more/);
    expect(() => encode(new Uint8Array(64), ...args.slice(0, 2), 2, ...args.slice(3))).toThrow(/order\.side must be one of BUY, SELL/);
    expect(() => encode(new Uint8Array(64), ...args.slice(0, 3), 0.5, ...args.slice(4))).toThrow(
      /order\.action must be one of NEW, CANCEL, REPLACE/,
    );
    expect(encode(new Uint8Array(64), ...args)).toBe(49); // an Enter Order
  });

  it('hands out a view that the next order overwrites (send copies it)', () => {
    const encoder = new OrderEncoder();
    const a = encoder.encode({
      order_id: 'a',
      symbol: 'AAPL',
      side: 'BUY',
      qty: 100,
      order_type: 'LIMIT',
      limit_price: 10,
      ref_price: 10,
      time_in_force: 'DAY',
      action: 'NEW',
      target_order_id: null,
    });
    expect(a.ok).toBe(true);
    const first = a.ok ? Buffer.from(a.bytes).toString('hex') : '';
    encoder.encode({
      order_id: 'b',
      symbol: 'MSFT',
      side: 'SELL',
      qty: 5,
      order_type: 'LIMIT',
      limit_price: 20,
      ref_price: 20,
      time_in_force: 'IOC',
      action: 'NEW',
      target_order_id: null,
    });
    expect(a.ok && Buffer.from(a.bytes).toString('hex')).not.toBe(first);
  });
});
