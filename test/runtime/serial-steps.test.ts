/**
 * The live driver's step queue: steps run one at a time in the order they came, at once (no
 * promise) when nothing runs, after the running one otherwise, including steps queued from inside
 * a step; a failure stops the queue. Checked against a plain promise chain on random schedules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SerialSteps, type Step } from '../../pipelines/runtime/serial-steps.ts';

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

describe('SerialSteps', () => {
  it('runs a step at once when nothing runs, and makes no promise for it', () => {
    const q = new SerialSteps(
      () => {},
      () => false,
    );
    const log: string[] = [];
    expect(q.run(() => void log.push('a'))).toBeUndefined();
    expect(log).toEqual(['a']);
  });

  it('takes a step queued inside a step after it, before run returns', () => {
    const q = new SerialSteps(
      () => {},
      () => false,
    );
    const log: string[] = [];
    const inner = q.run(() => {
      log.push('outer start');
      void q.run(() => void log.push('inner'));
      log.push('outer end');
      return undefined;
    });
    expect(inner).toBeUndefined();
    expect(log).toEqual(['outer start', 'outer end', 'inner']);
  });

  it('takes steps in the order run() was called, one at a time, when some wait and some queue others', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ waits: fc.boolean(), nested: fc.boolean() }), { maxLength: 30 }), async (steps) => {
        const q = new SerialSteps(
          () => {},
          () => false,
        );
        const arrived: number[] = [];
        const ran: number[] = [];
        let running = 0;
        let overlap = false;
        const run = (id: number, step: Step) => {
          arrived.push(id);
          return q.run(step);
        };
        const make =
          (id: number, waits: boolean, child?: number): Step =>
          () => {
            if (running++ > 0) overlap = true;
            ran.push(id);
            if (child !== undefined) void run(child, make(child, false));
            if (!waits) {
              running--;
              return undefined;
            }
            return tick().then(() => void running--);
          };
        steps.forEach(({ waits, nested }, i) => void run(i, make(i, waits, nested ? 1000 + i : undefined)));
        await q.idle();
        expect(overlap).toBe(false);
        expect(ran).toEqual(arrived);
        expect(ran.length).toBe(steps.length + steps.filter((s) => s.nested).length);
      }),
      { numRuns: 60 },
    );
  });

  it('hands a failure to fail() and skips what was queued after it', async () => {
    let failure: unknown;
    const q = new SerialSteps(
      (err) => {
        failure = err;
      },
      () => failure !== undefined,
    );
    const log: string[] = [];
    void q.run(() => tick().then(() => void log.push('first')));
    void q.run(() => {
      throw new Error('boom');
    });
    const after = q.run(() => void log.push('skipped'));
    await after;
    await q.idle();
    expect(log).toEqual(['first']);
    expect((failure as Error).message).toBe('boom');
    expect(q.run(() => void log.push('later'))).toBeUndefined();
    expect(log).toEqual(['first']);
  });

  it('passes a rejected wait to fail(), not as an unhandled rejection', async () => {
    const failures: unknown[] = [];
    const q = new SerialSteps(
      (err) => failures.push(err),
      () => failures.length > 0,
    );
    await q.run(() => Promise.reject(new Error('late')));
    expect(failures.map((e) => (e as Error).message)).toEqual(['late']);
  });
});
