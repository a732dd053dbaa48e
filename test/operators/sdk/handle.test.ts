import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { handle, on } from '../../../operators/sdk/handle.ts';
import { defineOperator } from '../../../operators/sdk/spec.ts';
import { runOperator, standaloneContext } from '../../../pipelines/harness/harness.ts';
import type { Quote } from '../../../schemas/types.generated.ts';
import * as records from '../../helpers/records.ts';
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

  it('keeps the outputs open until an async end settles, emitting meanwhile; the run waits for it (atEnd)', async () => {
    const { ctx, deadLetters } = standaloneContext({ node: 'n' });
    const input = new Subject<number[]>();
    const seen: unknown[] = [];
    let completed = false;
    handle<number>(ctx, [on(input, (b: readonly number[], emit) => emit(b))], {
      end: async (emit) => {
        await new Promise((r) => setTimeout(r, 5));
        emit([99]);
      },
    }).subscribe({ next: (b) => seen.push(...(b as number[])), complete: () => (completed = true) });
    input.next([1]);
    input.complete();
    expect(completed).toBe(false);
    expect(ctx.finalizers).toHaveLength(1);
    await ctx.finalizers[0]!();
    expect(seen).toEqual([1, 99]);
    expect(completed).toBe(true);
    expect(deadLetters).toEqual([]);

    const failing = standaloneContext({ node: 'f' });
    const input2 = new Subject<number[]>();
    let done = false;
    handle<number>(failing.ctx, [on(input2, () => {})], { end: () => Promise.reject(new Error('drain failed')) }).subscribe({
      complete: () => (done = true),
    });
    input2.complete();
    await failing.ctx.finalizers[0]!();
    expect(done).toBe(true);
    expect(failing.deadLetters.map((d) => d.reason)).toEqual(['operator error: drain failed']);
  });

  it('delivers what an async end emits to the nodes after it before the run ends', async () => {
    const late = defineOperator({
      type: 'test.late',
      summary: 'Emits one more quote after its input ends, asynchronously.',
      inputs: { quotes: { schema: 'Quote', description: 'Quotes.' } },
      output: 'Quote',
      params: z.strictObject({}),
      create:
        (_p, ctx) =>
        ({ quotes }) =>
          handle<Quote>(ctx, [on(quotes, (b, emit) => emit(b))], {
            end: async (emit) => {
              await new Promise((r) => setTimeout(r, 5));
              emit([records.quote('LATE', records.T0, 1, 2, records.T0)]);
            },
          }),
    });
    const run = await runOperator(late, {}, { quotes: [[records.quote('A', records.T0, 1, 2, records.T0)]] });
    expect((run.outputs['out'] as Quote[]).map((q) => q.symbol)).toEqual(['A', 'LATE']);
  });
});
