import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { handle, on } from '../../../operators/sdk/handle.ts';
import { standaloneContext } from '../../../pipelines/harness/harness.ts';
import type { NodeContext } from '../../../pipelines/runtime/node-context.ts';

const context = (): NodeContext => standaloneContext({ node: 'n' }).ctx;

describe('operate() (marble tests)', () => {
  it('maps batches, completes when the data inputs complete, and is not held open by a feedback input', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, hot, expectObservable }) => {
      const data = cold('-a--b--|', { a: [1, 2], b: [3] });
      const feedback = hot('--f-------------', { f: [10] });
      let offset = 0;
      const out = handle<number>(context(), [
        on(data, (batch: readonly number[], emit) => emit(batch.map((x) => x + offset))),
        on(
          feedback,
          (batch: readonly number[]) => {
            offset = batch[0]!;
          },
          { feedback: true },
        ),
      ]);
      expectObservable(out).toBe('-a--b--|', { a: [1, 2], b: [13] });
    });
  });

  it('turns a throwing handler into a dead letter and carries on', () => {
    const { ctx, deadLetters: letters } = standaloneContext({ node: 'n' });
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const data = cold('-a-b-c|', { a: [1], b: [-1], c: [2] });
      const out = handle<number>(ctx, [
        on(data, (batch: readonly number[], emit) => {
          if (batch[0]! < 0) throw new Error('negative');
          emit(batch);
        }),
      ]);
      expectObservable(out).toBe('-a---c|', { a: [1], c: [2] });
    });
    expect(letters).toHaveLength(1);
    expect(letters[0]!.reason).toBe('operator error: negative');
    expect(letters[0]!.payload).toBe('[-1]');
    expect(ctx.metrics.snapshot()).toMatchObject({ in: 3, out: 2, errors: 1, dead_letters: 1 });
  });

  it('emits nothing for empty batches and waits for every data input', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const x = cold('-a|', { a: [1] });
      const y = cold('---b---|', { b: [] as number[] });
      const out = handle<number>(context(), [
        on(x, (b: readonly number[], emit) => emit(b)),
        on(y, (b: readonly number[], emit) => emit(b)),
      ]);
      expectObservable(out).toBe('-a-----|', { a: [1] });
    });
  });
});
