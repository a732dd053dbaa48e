/**
 * The colo binding's OUCH side from JS: the order token against SHA-256 computed here with
 * node:crypto, and Enter/Replace/Cancel Order bytes read back at the OUCH 4.2 spec's offsets.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { colo, type OuchOrderInput } from '../../native/colo/index.ts';

/** The token rule, written here: base-36 (0-9A-Z) of the first 9 bytes of SHA-256, 14 digits. */
function token(orderId: string): string {
  const digest = createHash('sha256').update(orderId, 'utf8').digest();
  const v = BigInt(`0x${digest.subarray(0, 9).toString('hex')}`);
  return v.toString(36).toUpperCase().padStart(14, '0');
}

const order = (extra: Partial<OuchOrderInput> = {}): OuchOrderInput => ({
  order_id: 'orders-1704315600000000-SYM000',
  symbol: 'AAPL',
  side: 'BUY',
  qty: 300,
  order_type: 'LIMIT',
  limit_price: 123.456,
  ref_price: 123.5,
  time_in_force: 'DAY',
  action: 'NEW',
  target_order_id: null,
  ...extra,
});

describe('colo binding: OUCH 4.2', () => {
  it('derives each order token from SHA-256 of the order id, as the rule says', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 60 }), (id) => {
        expect(colo().ouchToken(id)).toBe(token(id));
      }),
      { numRuns: 300 },
    );
  });

  it('writes an Enter Order at the spec offsets: token, side, shares, stock, price on the passive tick, TIF', () => {
    const r = colo().orderToOuch(order());
    if (!r.ok) throw new Error(r.error);
    const b = r.bytes;
    expect(b.length).toBe(49);
    expect(String.fromCharCode(b[0]!)).toBe('O');
    expect(b.subarray(1, 15).toString('latin1')).toBe(token(order().order_id));
    expect(String.fromCharCode(b[15]!)).toBe('B');
    expect(b.readUInt32BE(16)).toBe(300);
    expect(b.subarray(20, 28).toString('latin1')).toBe('AAPL    ');
    expect(b.readUInt32BE(28)).toBe(1_234_500); // $123.456 → $123.45: a buy rounds down to the cent
    expect(b.readUInt32BE(32)).toBe(99_998); // DAY: market hours
  });

  it('sends a market order as an IOC limit at the collar, and cancels and replaces by token', () => {
    const sell = colo().orderToOuch(order({ side: 'SELL', order_type: 'MARKET', limit_price: null, ref_price: 100 }), {
      market_collar: 0.02,
    });
    if (!sell.ok) throw new Error(sell.error);
    expect(sell.bytes.readUInt32BE(28)).toBe(980_000); // 100 × (1 − 2%)
    expect(sell.bytes.readUInt32BE(32)).toBe(0); // IOC

    const cancel = colo().orderToOuch(order({ order_id: 'c1', action: 'CANCEL', target_order_id: 'o1' }));
    if (!cancel.ok) throw new Error(cancel.error);
    expect([String.fromCharCode(cancel.bytes[0]!), cancel.bytes.subarray(1, 15).toString('latin1'), cancel.bytes.readUInt32BE(15)]).toEqual(
      ['X', token('o1'), 0],
    );

    const replace = colo().orderToOuch(order({ order_id: 'r1', action: 'REPLACE', target_order_id: 'o1', qty: 200 }));
    if (!replace.ok) throw new Error(replace.error);
    const u = replace.bytes;
    expect([
      String.fromCharCode(u[0]!),
      u.subarray(1, 15).toString('latin1'),
      u.subarray(15, 29).toString('latin1'),
      u.readUInt32BE(29),
    ]).toEqual(['U', token('o1'), token('r1'), 200]);
  });

  it('says why an order cannot be sent', () => {
    const why = (o: Partial<OuchOrderInput>): string => {
      const r = colo().orderToOuch(order(o));
      return r.ok ? 'sent' : r.error;
    };
    expect(why({ qty: 12.5 })).toMatch(/qty 12\.5 is not a whole number of shares; OUCH takes 1\.\.999999/);
    expect(why({ qty: 1_000_000 })).toMatch(/qty 1000000 is outside OUCH's 1\.\.999999 shares/);
    expect(why({ symbol: 'TOOLONGSYM' })).toMatch(/symbol "TOOLONGSYM"/);
    expect(why({ action: 'CANCEL', target_order_id: null })).toMatch(/CANCEL needs target_order_id/);
    expect(() => colo().orderToOuch({ ...order(), side: 'UP' } as unknown as OuchOrderInput)).toThrow(
      /order\.side must be one of BUY, SELL/,
    );
  });
});
