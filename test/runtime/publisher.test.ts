/**
 * The publishing end of a group's edge stops at its first failed send: a watermark sent after a lost
 * batch would let the consumer deliver the step without it (the loss seen when the broker was killed).
 * The edge keeps its side of the contract (writes in call order; after a failure, none takes effect),
 * as the Kafka adapter's producer does; the publisher must surface the failure and issue nothing more.
 */
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../operators/sdk/spec.ts';
import type { OutboundEdge } from '../../pipelines/runtime/group/edges.ts';
import { EdgePublisher } from '../../pipelines/runtime/group/publisher.ts';
import type { StepKey } from '../../pipelines/runtime/step.ts';

const timer = (t: number): StepKey => ({ t, phase: 0, order: 1, seq: 0 });

describe('EdgePublisher', () => {
  it('sends nothing after a failed send, and reports the failure', async () => {
    const sent: string[] = [];
    const issued: string[] = [];
    let failNext = false;
    let failed = false;
    const edge: OutboundEdge = {
      write: async (records) => {
        const what = `records ${records.map((r) => (r.value as { symbol: string }).symbol).join(',')}`;
        issued.push(what);
        if (failed) throw new Error('an earlier send failed');
        if (failNext) {
          failNext = false;
          failed = true;
          throw new Error('broker went away');
        }
        sent.push(what);
      },
      writeControl: async (control) => {
        issued.push(`control ${JSON.stringify(control)}`);
        if (failed) throw new Error('an earlier send failed');
        sent.push(`control ${JSON.stringify(control)}`);
      },
      close: async () => undefined,
    };
    const output = new Subject<Batch<unknown>>();
    let step = timer(1);
    const publisher = new EdgePublisher('bars', edge, output, () => step);

    output.next([{ symbol: 'A' }]);
    await publisher.stepDone(step);
    await publisher.flush();
    expect(sent).toEqual(['records A', 'control {"watermark":1}']);

    failNext = true;
    step = timer(2);
    output.next([{ symbol: 'B' }]);
    await publisher.stepDone(step);
    step = timer(3);
    output.next([{ symbol: 'C' }]);
    await publisher.stepDone(step).catch(() => undefined);
    await expect(publisher.flush()).rejects.toThrow('broker went away');
    // Neither the watermark of step 2 nor anything of step 3 went out; step 3 was not even issued.
    expect(sent).toEqual(['records A', 'control {"watermark":1}']);
    expect(issued.some((x) => x.includes('C'))).toBe(false);
    await expect(publisher.stepDone(timer(4))).rejects.toThrow('broker went away');
  });
});
