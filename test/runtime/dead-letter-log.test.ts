import { describe, expect, it } from 'vitest';
import { DeadLetterLog, PAYLOAD_CHARS_KEPT, REASONS_KEPT } from '../../pipelines/runtime/dead-letter-log.ts';
import type { RefusedInput } from '../../pipelines/runtime/node-context.ts';
import type { DeadLetter } from '../../schemas/types.generated.ts';

const letter = (i: number, over: Partial<RefusedInput> = {}): RefusedInput => ({
  ts_event: i,
  ts_known: i,
  node: 'quotes',
  reason: `crossed quote: bid ${i + 1} > ask ${i}`,
  input: { i },
  ...over,
});
const lines = (log: DeadLetterLog): DeadLetter[] =>
  log
    .text()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as DeadLetter);

describe('DeadLetterLog', () => {
  it('keeps every letter while under its bounds, in order, and counts them by reason', () => {
    const log = new DeadLetterLog(10, 1 << 20);
    for (let i = 0; i < 7; i++) log.add(letter(i, i === 3 ? { node: 'broker', reason: 'closed: market' } : {}));
    expect(log.count).toBe(7);
    expect(log.written).toBe(7);
    expect(lines(log).map((l) => l.ts_known)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(log.byReason()).toEqual({ 'quotes: crossed quote': 6, 'broker: closed': 1 });
  });

  it('stops keeping at the letter count, and counts the rest', () => {
    const log = new DeadLetterLog(5, 1 << 20);
    for (let i = 0; i < 1000; i++) log.add(letter(i));
    expect(log.count).toBe(1000);
    expect(log.written).toBe(5);
    expect(lines(log).map((l) => l.ts_known)).toEqual([0, 1, 2, 3, 4]);
    expect(log.byReason()).toEqual({ 'quotes: crossed quote': 1000 });
  });

  it('stops keeping at the byte bound (UTF-8 bytes), never keeping a letter after one it dropped', () => {
    const { input, ...rest } = letter(0, { input: 'é'.repeat(100) });
    const one = `${JSON.stringify({ ...rest, payload: JSON.stringify(input) })}\n`;
    const bytes = Buffer.byteLength(one);
    expect(bytes).toBeGreaterThan(one.length); // the bound counts bytes, not characters
    const log = new DeadLetterLog(1000, bytes * 3 + 1);
    for (let i = 0; i < 5; i++) log.add(letter(0, { input: 'é'.repeat(100) }));
    log.add(letter(1)); // small enough to fit, but after the file was full: not kept
    expect(log.written).toBe(3);
    expect(log.count).toBe(6);
    expect(Buffer.byteLength(log.text())).toBe(bytes * 3);
  });

  it('serialises the input of the letters it keeps, at once, and of no other', () => {
    const log = new DeadLetterLog(3, 1 << 20);
    let serialised = 0;
    const input = { n: 0, toJSON: () => ({ n: input.n, call: ++serialised }) };
    for (let i = 0; i < 1000; i++) {
      input.n = i; // an operator reusing its object: the letter holds the value it had when refused
      log.add(letter(i, { input }));
    }
    expect(serialised).toBe(3);
    expect(lines(log).map((l) => l.payload)).toEqual(['{"n":0,"call":1}', '{"n":1,"call":2}', '{"n":2,"call":3}']);
    expect(log.count).toBe(1000);
  });

  it('cuts a payload over its bound and says how long it was', () => {
    const log = new DeadLetterLog();
    const big = 'x'.repeat(PAYLOAD_CHARS_KEPT * 3);
    log.add(letter(0, { input: big }));
    const [kept] = lines(log);
    // The payload is the input's JSON: the string in quotes.
    expect(kept!.payload.startsWith(`"${'x'.repeat(PAYLOAD_CHARS_KEPT - 1)}`)).toBe(true);
    expect(kept!.payload.endsWith(`… (cut: ${big.length + 2} characters)`)).toBe(true);
    expect(kept!.payload.length).toBeLessThan(PAYLOAD_CHARS_KEPT + 40);
  });

  it('counts at most REASONS_KEPT reasons apart; the rest of a node as "(other reasons)"', () => {
    const log = new DeadLetterLog();
    const n = REASONS_KEPT + 250;
    for (let i = 0; i < n; i++) log.add(letter(i, { reason: `unknown symbol "S${i}": not in the universe` }));
    log.add(letter(0, { reason: 'unknown symbol "S0": not in the universe' })); // a kept reason still counts
    const reasons = log.byReason();
    expect(Object.keys(reasons)).toHaveLength(REASONS_KEPT + 1);
    expect(reasons['quotes: unknown symbol "S0"']).toBe(2);
    expect(reasons['quotes: (other reasons)']).toBe(250);
    expect(Object.values(reasons).reduce((a, b) => a + b, 0)).toBe(log.count);
  });

  it("counts an order's refusal under its class, not once per order: the order's own ids in the reason are named by field", () => {
    const log = new DeadLetterLog();
    const order = (id: string, target?: string) => ({ order_id: id, symbol: 'A', ...(target ? { target_order_id: target } : {}) });
    for (const id of ['orders-1-A', 'orders-2-A', 'a'])
      log.add(letter(0, { node: 'broker', reason: `duplicate order id ${id}: already executed or working`, input: order(id) }));
    for (const [id, target] of [
      ['r1', 'orders-1-A'],
      ['r2', 'orders-2-A'],
    ])
      log.add(letter(0, { node: 'broker', reason: `replace of ${target}: no such working order`, input: order(id!, target) }));
    // An id inside a word is not replaced; a reason naming no id of the record keeps its text.
    log.add(letter(0, { node: 'broker', reason: 'rejected by the venue: a', input: order('a') }));
    expect(log.byReason()).toEqual({
      'broker: duplicate order id <order_id>': 3,
      'broker: replace of <target_order_id>': 2,
      'broker: rejected by the venue': 1,
    });
  });
});
