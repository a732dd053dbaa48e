/**
 * The shared order state machine: every event from every state, against the table in its module
 * comment (written out here again as the expected outcome of each pair).
 */
import { describe, expect, it } from 'vitest';
import { type OrderEvent, step, track, transition } from '../../../lib/execution/order-machine.ts';
import type { OrderStatus } from '../../../schemas/types.generated.ts';
import { order } from '../../helpers/records.ts';

const o = order('A', 'BUY', 100, { order_id: 'x' });
const at = { ts_event: 1, ts_known: 2 };
/** A track of 100 shares in `status`, 30 of them filled when partly filled. */
const from = (status: OrderStatus) => {
  const t = track(o);
  t.status = status;
  if (status === 'PARTIALLY_FILLED') [t.filled, t.remaining] = [30, 70];
  if (status === 'FILLED') [t.filled, t.remaining] = [100, 0];
  if (status === 'CANCELLED' || status === 'REJECTED' || status === 'EXPIRED') t.remaining = 0;
  return t;
};
const events: Record<string, OrderEvent> = {
  accept: { kind: 'accept' },
  'fill 20': { kind: 'fill', qty: 20 },
  'fill all': { kind: 'fill', qty: 200 },
  'reduce 10': { kind: 'reduce', by: 10, reason: 'user' },
  'reduce all': { kind: 'reduce', by: 1000, reason: 'user' },
  cancel: { kind: 'cancel', reason: 'c' },
  reject: { kind: 'reject', reason: 'r' },
  expire: { kind: 'expire', reason: 'e' },
};

describe('order state machine', () => {
  // [status, filled, remaining] after each event, or null when the event is refused.
  const table: Record<string, Record<string, [OrderStatus, number, number] | null>> = {
    NEW: {
      accept: ['NEW', 0, 100],
      'fill 20': ['PARTIALLY_FILLED', 20, 80],
      'fill all': ['FILLED', 200, 0],
      'reduce 10': ['NEW', 0, 90],
      'reduce all': ['CANCELLED', 0, 0],
      cancel: ['CANCELLED', 0, 0],
      reject: ['REJECTED', 0, 0],
      expire: ['EXPIRED', 0, 0],
    },
    PARTIALLY_FILLED: {
      accept: null,
      'fill 20': ['PARTIALLY_FILLED', 50, 50],
      'fill all': ['FILLED', 230, 0],
      'reduce 10': ['PARTIALLY_FILLED', 30, 60],
      'reduce all': ['CANCELLED', 30, 0],
      cancel: ['CANCELLED', 30, 0],
      reject: null,
      expire: ['EXPIRED', 30, 0],
    },
  };
  for (const terminal of ['FILLED', 'CANCELLED', 'REJECTED', 'EXPIRED'])
    table[terminal] = Object.fromEntries(Object.keys(events).map((k) => [k, null]));

  for (const [status, row] of Object.entries(table)) {
    it(`from ${status}`, () => {
      for (const [name, expected] of Object.entries(row)) {
        const next = transition(from(status as OrderStatus), events[name]!);
        if (expected === null)
          expect(next, `${status} + ${name}`).toEqual({ ok: false, error: `order x is ${status}: cannot ${events[name]!.kind}` });
        else expect(next.ok && [next.status, next.filled, next.remaining], `${status} + ${name}`).toEqual(expected);
      }
    });
  }

  it('step applies a transition and returns its record; a refused one leaves the track as it was', () => {
    const t = track(o);
    expect(step(t, { kind: 'reduce', by: 10, reason: 'user' }, at)).toEqual({
      ts_event: 1,
      ts_known: 2,
      order_id: 'x',
      symbol: 'A',
      side: 'BUY',
      status: 'NEW',
      filled_qty: 0,
      remaining_qty: 90,
      reason: 'reduced by 10: user',
    });
    expect(step(t, { kind: 'fill', qty: 90 }, at)).toMatchObject({ status: 'FILLED', filled_qty: 90, remaining_qty: 0 });
    expect(step(t, { kind: 'cancel', reason: 'late' }, at)).toBe('order x is FILLED: cannot cancel');
    expect([t.status, t.filled, t.remaining]).toEqual(['FILLED', 90, 0]);
    expect(transition(track(o), { kind: 'fill', qty: 0 })).toEqual({
      ok: false,
      error: 'order x: fill of 0 shares, expected a positive number',
    });
  });
});
