import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../../lib/portfolio/ledger.ts';

const symbols = ['AAA', 'BBB', 'CCC'];
const event = fc.oneof(
  fc.record({
    kind: fc.constant('fill' as const),
    symbol: fc.constantFrom(...symbols),
    side: fc.constantFrom('BUY' as const, 'SELL' as const),
    qty: fc.integer({ min: 1, max: 1000 }),
    price: fc.double({ min: 1, max: 500, noNaN: true }),
    feeBps: fc.double({ min: 0, max: 5, noNaN: true }),
  }),
  fc.record({
    kind: fc.constant('mark' as const),
    symbol: fc.constantFrom(...symbols),
    price: fc.double({ min: 1, max: 500, noNaN: true }),
  }),
  // A broker's cost record: its carry is paid; spread, impact and fee (already in a fill) are not.
  fc.record({
    kind: fc.constant('cost' as const),
    spread: fc.double({ min: -10, max: 10, noNaN: true }),
    impact: fc.double({ min: 0, max: 10, noNaN: true }),
    fee: fc.double({ min: -1, max: 10, noNaN: true }),
    borrow: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 50, noNaN: true })),
    financing: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 50, noNaN: true })),
  }),
);

describe('Ledger', () => {
  it('cash plus positions at marks reconciles with the fills, fees and carry', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 80 }), (events) => {
        const ledger = new Ledger(1_000_000);
        let expectedCash = 1_000_000;
        let fees = 0;
        let borrow = 0;
        let financing = 0;
        const qty = new Map<string, number>();
        const mark = new Map<string, number>();
        const latest = new Map<string, number>();
        for (const e of events) {
          if (e.kind === 'fill') {
            const fee = (e.qty * e.price * e.feeBps) / 1e4;
            ledger.apply({ symbol: e.symbol, side: e.side, qty: e.qty, price: e.price, fee });
            const signed = e.side === 'BUY' ? e.qty : -e.qty;
            expectedCash -= signed * e.price + fee;
            fees += fee;
            qty.set(e.symbol, (qty.get(e.symbol) ?? 0) + signed);
            if (!mark.has(e.symbol) || (qty.get(e.symbol) ?? 0) === 0) mark.delete(e.symbol);
            // A new position starts at the symbol's latest mark, or at its fill price when it never had one.
            if ((qty.get(e.symbol) ?? 0) !== 0 && !mark.has(e.symbol)) mark.set(e.symbol, latest.get(e.symbol) ?? e.price);
          } else if (e.kind === 'cost') {
            expect(ledger.charge(e)).toBe(e.borrow !== 0 || e.financing !== 0);
            expectedCash -= e.borrow + e.financing;
            borrow += e.borrow;
            financing += e.financing;
          } else {
            latest.set(e.symbol, e.price);
            if (ledger.mark(e.symbol, e.price)) mark.set(e.symbol, e.price);
          }
          // After every event (the ledger keeps its sorted symbols and reported positions between states):
          // the nonzero positions, sorted by symbol, at their current quantity and mark.
          const held = [...qty].filter(([, q]) => q !== 0).map(([symbol, q]) => ({ symbol, qty: q, mark: mark.get(symbol) }));
          held.sort((a, b) => (a.symbol < b.symbol ? -1 : 1));
          expect(ledger.state(0, 0).positions.map(({ symbol, qty, mark }) => ({ symbol, qty, mark }))).toEqual(held);
        }
        const s = ledger.state(0, 0);
        const tol = 1e-6 * (1 + Math.abs(expectedCash));
        expect(s.cash).toBeCloseTo(expectedCash, 4);
        expect(s.fees).toBeCloseTo(fees, 6);
        expect(s.borrow).toBeCloseTo(borrow, 6);
        expect(s.financing).toBeCloseTo(financing, 6);
        let positionsValue = 0;
        for (const [symbol, q] of qty) if (q !== 0) positionsValue += q * mark.get(symbol)!;
        expect(Math.abs(s.equity - (expectedCash + positionsValue))).toBeLessThan(tol);
        // The PnL decomposition: equity = initial + realised + unrealised − fees − borrow − financing.
        expect(Math.abs(s.equity - (1_000_000 + s.realized_pnl + s.unrealized_pnl - s.fees - s.borrow - s.financing))).toBeLessThan(tol);
        expect(s.positions.map((p) => p.symbol)).toEqual([...s.positions.map((p) => p.symbol)].sort());
        expect(s.positions.every((p) => p.qty !== 0)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('realises PnL on a round trip and flips the average price through zero', () => {
    const l = new Ledger(0);
    l.apply({ symbol: 'A', side: 'BUY', qty: 100, price: 10, fee: 0 });
    l.apply({ symbol: 'A', side: 'SELL', qty: 150, price: 12, fee: 1 });
    const s = l.state(0, 0);
    expect(s.realized_pnl).toBeCloseTo(200);
    expect(s.positions).toEqual([{ symbol: 'A', qty: -50, avg_price: 12, mark: 10 }]);
    expect(s.fees).toBe(1);
  });
  it('reports an unchanged position as the same record, and a moved one as a new record', () => {
    const ledger = new Ledger(1_000_000);
    ledger.mark('AAA', 10);
    ledger.apply({ symbol: 'AAA', side: 'BUY', qty: 100, price: 10, fee: 0 });
    ledger.apply({ symbol: 'BBB', side: 'SELL', qty: 50, price: 20, fee: 0 });
    const first = ledger.state(1, 1).positions;
    ledger.mark('AAA', 11);
    const second = ledger.state(2, 2).positions;
    // BBB did not move: the same record; AAA was marked at 11: a new one, the old one still at 10.
    expect(second[1]).toBe(first[1]);
    expect(second[0]).not.toBe(first[0]);
    expect(first[0]).toEqual({ symbol: 'AAA', qty: 100, avg_price: 10, mark: 10 });
    expect(second[0]).toEqual({ symbol: 'AAA', qty: 100, avg_price: 10, mark: 11 });
    expect(second).not.toBe(first);
  });
});
