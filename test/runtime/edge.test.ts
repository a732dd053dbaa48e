import { describe, expect, it } from 'vitest';
import { EdgeSubject } from '../../pipelines/runtime/edge.ts';

describe('EdgeSubject', () => {
  it('calls its listeners in the order they came, then its subscribers, and passes on the end', () => {
    const edge = new EdgeSubject<number>();
    const calls: string[] = [];
    const listener = (name: string) => ({
      next: (v: number) => calls.push(`${name} ${v}`),
      error: () => calls.push(`${name} error`),
      complete: () => calls.push(`${name} complete`),
    });
    edge.stream.subscribe({ next: (v) => calls.push(`subscriber ${v}`), complete: () => calls.push('subscriber complete') });
    edge.stream.listen(listener('first'));
    const second = edge.stream.listen(listener('second'));
    edge.next(1);
    second.unsubscribe();
    edge.next(2);
    edge.complete();
    edge.next(3); // after the end: reaches no one
    edge.complete();
    expect(calls).toEqual(['first 1', 'second 1', 'subscriber 1', 'first 2', 'subscriber 2', 'first complete', 'subscriber complete']);
  });

  it('passes an error to listeners and subscribers', () => {
    const edge = new EdgeSubject<number>();
    const seen: unknown[] = [];
    edge.stream.listen({ next: () => {}, error: (e) => seen.push(e), complete: () => {} });
    edge.stream.subscribe({ error: (e) => seen.push(e) });
    const boom = new Error('boom');
    edge.error(boom);
    expect(seen).toEqual([boom, boom]);
  });
});
