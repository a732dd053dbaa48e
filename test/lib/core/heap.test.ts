/**
 * Heap<T>: pop gives the item no other comes before, under the relation it was made with. Checked
 * against sorting: any interleaving of pushes and pops behaves like a list kept sorted, and with a
 * sequence number as tie-breaker, draining gives exactly a stable sort.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Heap } from '../../../lib/core/heap.ts';

describe('Heap', () => {
  it('is empty at first: size 0, peek and pop undefined', () => {
    const heap = new Heap<number>((a, b) => a < b);
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
    expect(heap.size).toBe(0);
  });

  it('peeks without removing, and follows the relation it is given (here: largest first)', () => {
    const heap = new Heap<number>((a, b) => a > b);
    for (const x of [3, 9, 1, 9, 4]) heap.push(x);
    expect(heap.peek()).toBe(9);
    expect(heap.size).toBe(5);
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop(), heap.pop(), heap.pop()]).toEqual([9, 9, 4, 3, 1, undefined]);
  });

  it('interleaved pushes and pops behave like a list kept sorted', () => {
    const op = fc.oneof(
      fc.integer({ min: -50, max: 50 }).map((x) => ({ push: x })),
      fc.constant({ pop: true as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const heap = new Heap<number>((a, b) => a < b);
        const model: number[] = [];
        for (const o of ops) {
          if ('push' in o) {
            heap.push(o.push);
            model.push(o.push);
            model.sort((a, b) => a - b);
          } else {
            expect(heap.pop()).toBe(model.shift());
          }
          expect(heap.size).toBe(model.length);
          expect(heap.peek()).toBe(model[0]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('drains in stable sorted order when the relation breaks ties by a sequence number', () => {
    const item = fc.record({ key: fc.integer({ min: 0, max: 5 }), label: fc.string({ maxLength: 3 }) });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 200 }), (items) => {
        const tagged = items.map((x, seq) => ({ ...x, seq }));
        const heap = new Heap<(typeof tagged)[number]>((a, b) => a.key < b.key || (a.key === b.key && a.seq < b.seq));
        for (const x of tagged) heap.push(x);
        const drained: typeof tagged = [];
        for (let x = heap.pop(); x !== undefined; x = heap.pop()) drained.push(x);
        // Array.prototype.sort is stable: equal keys keep their push order.
        expect(drained).toEqual([...tagged].sort((a, b) => a.key - b.key));
      }),
      { numRuns: 200 },
    );
  });
});
