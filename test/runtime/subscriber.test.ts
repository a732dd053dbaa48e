/**
 * EdgeSubscriber, the consuming end of an edge between process groups, on the in-memory edges twin
 * (test/helpers/memory-edges.ts). What it promises (pipelines/runtime/group/subscriber.ts):
 *   - `ready(key)` resolves once every partition and producer replica has confirmed a step at or
 *     after `key` (the watermark is the lowest such confirmation), and never moves back;
 *   - each complete remote timer step is then put on the clock at the producer's time and rank, its
 *     batches rebuilt from (batch, index) in batch order, replica by replica;
 *   - what the producer emitted as it finished waits in `atEnd`;
 *   - copies of records already received or delivered (a restarted producer) are dropped and counted;
 *   - items are committed only after their step was delivered;
 *   - malformed or incomplete input, and records of data steps, are errors naming the edge.
 * Records are written with the headers EdgePublisher sends, by hand, so each case is explicit.
 */
import fc from 'fast-check';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { type EdgeBatch, rowsOf } from '../../lib/core/column-batch.ts';
import { AlphaError } from '../../lib/core/errors.ts';
import { EventClock } from '../../pipelines/runtime/event-clock.ts';
import type { Headers, InboundEdge, InboundItem, OutboundEdge } from '../../pipelines/runtime/group/edges.ts';
import { BATCH_HEADER, RECORDS_HEADER, REPLICA_HEADER, STEP_HEADER } from '../../pipelines/runtime/group/publisher.ts';
import { EdgeSubscriber } from '../../pipelines/runtime/group/subscriber.ts';
import { END_KEY, encodeKey, type StepKey } from '../../pipelines/runtime/step.ts';
import { memoryEdges } from '../helpers/memory-edges.ts';

const timer = (t: number, order = 1): StepKey => ({ t, phase: 0, order, seq: 0 });
const dataStep = (t: number, seq = 0): StepKey => ({ t, phase: 1, order: 0, seq });

/** The records of batch `batch` of a step, as EdgePublisher writes them (`only` picks some indices). */
function batchOf(step: StepKey, batch: number, values: unknown[], o: { replica?: number; only?: number[] } = {}) {
  const all = values.map((value, i) => ({
    key: `k${i}`,
    value,
    headers: {
      [STEP_HEADER]: encodeKey(step),
      [BATCH_HEADER]: `${batch}:${i}:${values.length}`,
      [REPLICA_HEADER]: String(o.replica ?? 0),
    } as Headers,
  }));
  return o.only ? o.only.map((i) => all[i]!) : all;
}
/** A watermark, or for END_KEY the end, which says how many records the replica wrote (`wrote`). */
const confirm = (out: OutboundEdge, step: StepKey, replica = 0, wrote = 0): Promise<void> =>
  out.writeControl(step.t === Infinity ? { end: true } : { watermark: step.t }, {
    [STEP_HEADER]: encodeKey(step),
    [REPLICA_HEADER]: String(replica),
    ...(step.t === Infinity ? { [RECORDS_HEADER]: String(wrote) } : {}),
  });

/** Lets the subscriber's reading loop take what was written (no time passes: event time is the clock's). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const open: EdgeSubscriber[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function setup(o: { partitions?: number; producers?: number } = {}) {
  const partitions = o.partitions ?? 1;
  const edges = memoryEdges();
  const out = await edges.outbound({ topic: 'bars', schema: 'Bar', partitions, groupId: 'g' });
  const inbound = await edges.inbound({ topic: 'bars', schema: 'Bar', partitions, groupId: 'g' });
  const committed: InboundItem[] = [];
  const edge: InboundEdge = {
    ...inbound,
    commit: async (items) => {
      committed.push(...items);
    },
  };
  const clock = new EventClock(0);
  const subject = new Subject<EdgeBatch<unknown>>();
  const delivered: { at: number; records: unknown[] }[] = [];
  subject.subscribe((records) => delivered.push({ at: clock.now(), records: [...rowsOf(records)] }));
  const sub = new EdgeSubscriber('bars', edge, partitions, o.producers ?? 1, subject, clock);
  open.push(sub);
  return { out, sub, clock, delivered, committed };
}

describe('EdgeSubscriber', () => {
  it('waits for the watermark, then puts the step on the clock at its time and rank, batches rebuilt in order', async () => {
    const { out, sub, clock, delivered } = await setup();
    const step = timer(100, 2);
    // Batch 1 first, and batch 0's records out of index order: the step is rebuilt from the headers.
    await out.write(batchOf(step, 1, ['c']));
    await out.write([...batchOf(step, 0, ['a', 'b']).reverse()]);
    // The group's own step at the same key has to wait for the producer's confirmation.
    let ready = false;
    const waiting = sub.ready(step).then(() => {
      ready = true;
    });
    await settle();
    expect(ready).toBe(false);
    expect(sub.received).toBe(3);
    await confirm(out, step);
    await waiting;
    expect(sub.watermark).toEqual(step);
    // Local timers at the same time: rank 1 fires before the producer's rank 2, rank 3 after it.
    const seen: string[] = [];
    clock.schedule(100, () => seen.push(`rank 3 after ${delivered.length} batches`), 3);
    clock.schedule(100, () => seen.push(`rank 1 after ${delivered.length} batches`), 1);
    expect(delivered).toEqual([]); // nothing before the clock gets there
    clock.advanceTo(100);
    expect(delivered).toEqual([
      { at: 100, records: ['a', 'b'] },
      { at: 100, records: ['c'] },
    ]);
    expect(seen).toEqual(['rank 1 after 0 batches', 'rank 3 after 2 batches']);
  });

  it('takes the lowest confirmation of all producer replicas, and delivers their batches of a step replica by replica', async () => {
    const { out, sub, clock, delivered } = await setup({ producers: 2 });
    const step = timer(50);
    await out.write(batchOf(step, 0, ['B1', 'B2'], { replica: 1 }));
    await out.write(batchOf(step, 0, ['A1'], { replica: 0 }));
    await confirm(out, timer(80), 0);
    await confirm(out, step, 1);
    await sub.ready(dataStep(40));
    expect(sub.watermark).toEqual(step); // replica 1 has only confirmed 50
    let ready = false;
    const waiting = sub.ready(dataStep(60)).then(() => {
      ready = true;
    });
    await settle();
    expect(ready).toBe(false);
    await confirm(out, timer(90), 1);
    await waiting;
    expect(sub.watermark).toEqual(timer(80));
    clock.advanceTo(100);
    expect(delivered).toEqual([
      { at: 50, records: ['A1'] },
      { at: 50, records: ['B1', 'B2'] },
    ]);
  });

  it('reads every partition: a record keyed onto either one is delivered', async () => {
    const { out, sub, clock, delivered } = await setup({ partitions: 2 });
    const step = timer(10);
    // memory-edges spreads records over the partitions by key, as Kafka does.
    const records = batchOf(step, 0, ['x', 'y', 'z', 'w']);
    await out.write(records);
    await confirm(out, step); // a control goes to every partition
    await sub.ready(step);
    clock.advanceTo(10);
    expect(delivered).toEqual([{ at: 10, records: ['x', 'y', 'z', 'w'] }]);
  });

  it('delivers any steps, whatever order their records arrive in, in step order, batch by batch', async () => {
    // Steps as (t, rank) with a few batches of one to three records each; records then written shuffled.
    const steps = fc.uniqueArray(
      fc.record({
        t: fc.integer({ min: 1, max: 20 }),
        rank: fc.integer({ min: 0, max: 3 }),
        batches: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }),
      }),
      { selector: (s) => `${s.t}:${s.rank}`, minLength: 1, maxLength: 6 },
    );
    await fc.assert(
      fc.asyncProperty(steps, fc.infiniteStream(fc.nat()), async (generated, randoms) => {
        const { out, sub, clock, delivered } = await setup({ partitions: 2 });
        const written = generated.flatMap((g) =>
          g.batches.flatMap((size, n) =>
            batchOf(
              timer(g.t, g.rank),
              n,
              Array.from({ length: size }, (_, i) => `${g.t}:${g.rank}:${n}:${i}`),
            ),
          ),
        );
        const shuffled = written
          .map((r) => ({ r, k: randoms.next().value as number }))
          .sort((a, b) => a.k - b.k)
          .map((x) => x.r);
        for (const r of shuffled) await out.write([r]);
        const last = generated
          .map((g) => timer(g.t, g.rank))
          .sort((a, b) => a.t - b.t || a.order - b.order)
          .at(-1)!;
        await confirm(out, last);
        await sub.ready(last);
        clock.advanceTo(21);
        const expected = [...generated]
          .sort((a, b) => a.t - b.t || a.rank - b.rank)
          .flatMap((g) =>
            g.batches.map((size, n) => ({
              at: g.t,
              records: Array.from({ length: size }, (_, i) => `${g.t}:${g.rank}:${n}:${i}`),
            })),
          );
        expect(delivered).toEqual(expected);
        await sub.close();
      }),
      { numRuns: 50 },
    );
  });

  it('drops and counts copies from a restarted producer, and never moves its watermark back', async () => {
    const { out, sub, clock, delivered } = await setup();
    const first = timer(100);
    await out.write(batchOf(first, 0, ['a', 'b']));
    await out.write(batchOf(first, 0, ['a', 'b'], { only: [0] })); // a copy before delivery
    await confirm(out, first);
    await sub.ready(first);
    clock.advanceTo(100);
    expect(delivered.map((d) => d.records)).toEqual([['a', 'b']]);
    expect(sub.duplicates).toBe(1);
    // The producer restarts and sends step 100 again, and its watermark: nothing new, nothing lower.
    await out.write(batchOf(first, 0, ['a', 'b']));
    await confirm(out, timer(20));
    await confirm(out, first);
    const second = timer(200);
    await out.write(batchOf(second, 0, ['c']));
    await confirm(out, second);
    await sub.ready(second);
    expect(sub.duplicates).toBe(3);
    expect(sub.received).toBe(3);
    clock.advanceTo(200);
    expect(delivered.map((d) => d.records)).toEqual([['a', 'b'], ['c']]);
    expect(sub.watermark).toEqual(second);
  });

  it('cuts the stream at a timer step without records, and passes over data steps without records', async () => {
    const { out, sub, clock, delivered } = await setup();
    await confirm(out, timer(30, 4));
    await confirm(out, dataStep(35));
    await sub.ready(dataStep(35));
    // The empty timer step is a timer on this clock at the producer's time; the data step is not.
    expect(clock.nextTimerAt()).toBe(30);
    expect(clock.nextTimerRank()).toBe(4);
    clock.advanceTo(40);
    expect(clock.nextTimerAt()).toBe(Infinity);
    expect(delivered).toEqual([]);
  });

  it('commits items only once their step has been delivered, controls with them', async () => {
    const { out, sub, clock, committed } = await setup();
    const step = timer(100);
    await out.write(batchOf(step, 0, ['a', 'b']));
    await confirm(out, step);
    await sub.ready(step);
    await sub.commitProcessed();
    expect(committed).toEqual([]); // on the clock, not yet delivered
    clock.advanceTo(100);
    await sub.commitProcessed();
    // The last item of the partition: a commit takes the offset after it, so the ones before need not be kept.
    expect(committed.map((i) => (i.kind === 'record' ? i.value : `control ${i.watermark}`))).toEqual(['control 100']);
    await sub.commitProcessed();
    expect(committed).toHaveLength(1); // nothing twice
  });

  it('reads at most 65,536 items ahead of the group, unless the group waits for the edge', async () => {
    const big = Array.from({ length: 70_000 }, (_, i) => i);
    for (const waitFirst of [false, true]) {
      const { out, sub, clock, delivered } = await setup();
      await out.write(batchOf(timer(100), 0, big));
      await confirm(out, timer(100));
      await settle();
      expect(sub.received).toBe(70_000);
      await out.write(batchOf(timer(200), 1, ['x', 'y']));
      await confirm(out, timer(200));
      await settle();
      expect(sub.received).toBe(70_000); // paused: 70,001 items wait for the group's steps
      if (waitFirst) {
        // The group needs step 200 before taking step 100's delivery: reading goes on (no deadlock).
        await sub.ready(timer(200));
        expect(sub.received).toBe(70_002);
        clock.advanceTo(200);
      } else {
        await sub.ready(timer(100));
        clock.advanceTo(100); // step 100 delivered: the buffer is empty, reading resumes
        await settle();
        expect(sub.received).toBe(70_002);
        await sub.ready(timer(200));
        clock.advanceTo(200);
      }
      expect(delivered.map((d) => d.records.length)).toEqual([70_000, 2]);
    }
  }, 20_000); // a deadlock would otherwise wait for the suite's 240 s

  it('takes the end control as confirming every step', async () => {
    const { out, sub } = await setup();
    await confirm(out, timer(5));
    await confirm(out, END_KEY);
    await sub.ready(END_KEY);
    expect(sub.watermark).toEqual(END_KEY);
  });

  // compareKeys(END_KEY, END_KEY) once gave NaN (Infinity − Infinity), so this end step never left the heap.
  it('keeps what the producer emitted as it finished for the end', async () => {
    const { out, sub, clock, delivered } = await setup();
    await out.write(batchOf(END_KEY, 0, ['last']));
    await confirm(out, END_KEY, 0, 1);
    await sub.ready(END_KEY);
    expect(clock.nextTimerAt()).toBe(Infinity);
    expect(sub.atEnd).toHaveLength(1);
    sub.atEnd[0]!();
    expect(delivered.map((d) => d.records)).toEqual([['last']]);
  });

  describe('refuses, naming the edge', () => {
    const refusal = async (write: (out: OutboundEdge) => Promise<void>, o: { producers?: number } = {}) => {
      const { out, sub } = await setup(o);
      await write(out);
      return sub.ready(timer(1000));
    };

    it('a record without a step header', async () => {
      await expect(refusal((out) => out.write([{ key: 'k', value: 1, headers: {} }]))).rejects.toThrow(
        `edge of "bars": a record without the ${STEP_HEADER} header in partition 0`,
      );
    });

    it('an end without the count of records its producer wrote, or with two counts for one producer', async () => {
      await expect(
        refusal((out) => out.writeControl({ end: true }, { [STEP_HEADER]: encodeKey(END_KEY), [REPLICA_HEADER]: '0' })),
      ).rejects.toThrow(
        /^edge of "bars": partition 0.*: an end without a alpha\.records count \(""\); expected the number of records its producer wrote$/,
      );
      // Two partitions whose ends disagree (written into the topic by hand: an edge writes one end to all).
      const edges = memoryEdges();
      await edges.outbound({ topic: 'bars', schema: 'Bar', partitions: 2, groupId: 'g' });
      edges.topics.get('bars')!.forEach((part, partition) =>
        part.push({
          kind: 'control',
          partition,
          end: true,
          headers: { [STEP_HEADER]: encodeKey(END_KEY), [REPLICA_HEADER]: '0', [RECORDS_HEADER]: String(5 + partition) },
        }),
      );
      const inbound = await edges.inbound({ topic: 'bars', schema: 'Bar', partitions: 2, groupId: 'g' });
      const sub = new EdgeSubscriber('bars', inbound, 2, 1, new Subject<EdgeBatch<unknown>>(), new EventClock(0));
      open.push(sub);
      await expect(sub.ready(timer(1000))).rejects.toThrow(/an end saying replica 0 wrote 6 records, where another said 5/);
    });

    it('a malformed batch header', async () => {
      await expect(
        refusal((out) => out.write([{ key: 'k', value: 1, headers: { [STEP_HEADER]: encodeKey(timer(5)), [BATCH_HEADER]: 'x' } }])),
      ).rejects.toThrow(/^edge of "bars": partition 0: malformed alpha\.batch header "x" \(expected batch:index:count/);
    });

    // Each of these was a TypeError or a RangeError ("unexpected error"), or a record put where none was expected.
    it.each([
      ['an index past the count', '0:5:2'],
      ['a negative index', '0:-1:2'],
      ['a count no batch holds', '0:0:4294967296'],
      ['a count of 0', '0:0:0'],
      ['a negative batch number', '-1:0:1'],
    ])('a batch header with %s', async (_, header) => {
      await expect(
        refusal((out) => out.write([{ key: 'k', value: 1, headers: { [STEP_HEADER]: encodeKey(timer(5)), [BATCH_HEADER]: header } }])),
      ).rejects.toThrow(`malformed ${BATCH_HEADER} header "${header}" (expected batch:index:count, 0 ≤ index < count ≤ 16777216)`);
    });

    it('records of one batch that disagree on its count', async () => {
      await expect(
        refusal((out) =>
          out.write([
            { key: 'k', value: 1, headers: { [STEP_HEADER]: encodeKey(timer(5)), [BATCH_HEADER]: '0:0:2' } },
            { key: 'k', value: 2, headers: { [STEP_HEADER]: encodeKey(timer(5)), [BATCH_HEADER]: '0:1:3' } },
          ]),
        ),
      ).rejects.toThrow(`batch 0 of step ${encodeKey(timer(5))} said 2 records, this record says 3`);
    });

    it('a malformed step header, cut short in the message', async () => {
      const garbage = `garbage${'x'.repeat(1000)}`;
      const err = await refusal((out) => out.write([{ key: 'k', value: 1, headers: { [STEP_HEADER]: garbage } }])).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AlphaError);
      expect((err as Error).message).toMatch(
        /^edge of "bars": partition 0: malformed step key "garbagex{33}…" \(expected t:phase:order:seq\)$/,
      );
    });

    it('records of steps no one confirms, past the bound, while the group waits (they were read into memory whole)', async () => {
      const far = timer(9e15);
      const values = Array.from({ length: 1 << 16 }, (_, i) => i);
      await expect(
        refusal(async (out) => {
          await confirm(out, timer(3));
          for (let b = 0; b < 5; b++) await out.write(batchOf(far, b, values));
        }),
      ).rejects.toThrow(
        /^edge of "bars": 327680 records held for steps no partition has confirmed \(the highest confirmation 3:0:1:0, the first such step 9000000000000000:0:1:0\): at most 262144 are held/,
      );
    }, 30_000);

    it('a replica outside those expected', async () => {
      await expect(refusal((out) => confirm(out, timer(5), 2), { producers: 2 })).rejects.toThrow(
        'edge of "bars": partition 0, replica 2 is outside the 1 partitions × 2 replicas expected',
      );
    });

    it('a step confirmed with records missing', async () => {
      await expect(
        refusal(async (out) => {
          await out.write(batchOf(timer(5), 0, ['a', 'b', 'c'], { only: [0, 2] }));
          await confirm(out, timer(1000));
        }),
      ).rejects.toThrow(`edge of "bars": batch 0 of replica 0 in step ${encodeKey(timer(5))} has 2 of 3 records`);
    });

    it('records emitted on a data step, which have no place in event time', async () => {
      await expect(
        refusal(async (out) => {
          await out.write(batchOf(dataStep(5, 7), 0, ['a']));
          await confirm(out, timer(1000));
        }),
      ).rejects.toThrow(`edge of "bars": records emitted on a data step (${encodeKey(dataStep(5, 7))}) cannot be placed in event time`);
    });
  });

  it('says when fewer records arrived than the producer wrote, or more (a lost record, a forged end or watermark ran a run short with exit 0)', async () => {
    for (const [wrote, says] of [
      [3, "1 never reached this group (lost, or dropped behind an end, a watermark or a step not the producer's); the run is incomplete"],
      [1, "1 more than were written (records not the producer's on the edge)"],
    ] as const) {
      const { out, sub, clock } = await setup();
      await out.write(batchOf(timer(5), 0, ['a']));
      await out.write(batchOf(timer(6), 1, ['b']));
      await confirm(out, END_KEY, 0, wrote);
      await sub.ready(END_KEY);
      clock.advanceTo(1000);
      expect(sub.undelivered()).toBe(`edge of "bars": its producer wrote ${wrote} records, 2 were delivered: ${says}`);
    }
  });

  it('counts the records refused as dead letters as arrived: the run says them, and is whole otherwise', async () => {
    const edges = memoryEdges({ refuse: (nth) => nth === 0 });
    const out = await edges.outbound({ topic: 'bars', schema: 'Bar', partitions: 1, groupId: 'g' });
    const inbound = await edges.inbound({ topic: 'bars', schema: 'Bar', partitions: 1, groupId: 'g' });
    const clock = new EventClock(0);
    const sub = new EdgeSubscriber('bars', inbound, 1, 1, new Subject<EdgeBatch<unknown>>(), clock);
    open.push(sub);
    await out.write(batchOf(timer(5), 0, ['refused']));
    await out.write(batchOf(timer(6), 1, ['b']));
    await confirm(out, END_KEY, 0, 2);
    await sub.ready(END_KEY);
    clock.advanceTo(1000);
    expect([sub.received, sub.deadLettered, sub.undelivered()]).toEqual([1, 1, undefined]);
  });

  it('says which steps were never delivered at the end of the run: records put on the clock past its end', async () => {
    const { out, sub, clock, delivered } = await setup();
    await out.write(batchOf(timer(5), 0, ['on time']));
    await out.write(batchOf(timer(9e15), 0, ['far ahead']));
    await confirm(out, END_KEY, 0, 2);
    await sub.ready(END_KEY);
    clock.advanceTo(1000); // the run ends here
    expect(delivered.map((d) => d.records)).toEqual([['on time']]);
    expect(sub.undelivered()).toBe(
      'edge of "bars": 1 step(s) of records never delivered, at 9000000000000000:0:1:0 among them (past the end of the run); expected steps within the run’s sessions',
    );
    clock.advanceTo(9e15);
    expect(sub.undelivered()).toBeUndefined();
  });
  it('holds what a lagging replica keeps back, however much: the other replica confirmed it (a restarted replica replays its run)', async () => {
    const { out, sub, clock, delivered } = await setup({ producers: 2 });
    const steps = 300;
    const values = Array.from({ length: 1000 }, (_, i) => i);
    // Replica 0 sends and confirms 300 steps of 1,000 records; replica 1 has confirmed nothing yet.
    for (let k = 1; k <= steps; k++) {
      await out.write(batchOf(timer(k), 0, values, { replica: 0 }));
      await confirm(out, timer(k), 0);
    }
    let ready = false;
    const waiting = sub.ready(timer(steps)).then(() => {
      ready = true;
    });
    for (let i = 0; i < 20; i++) await settle();
    expect(ready).toBe(false);
    expect(sub.received).toBe(steps * values.length);
    await confirm(out, timer(steps), 1);
    await waiting;
    clock.advanceTo(steps);
    expect(delivered).toHaveLength(steps);
  }, 30_000);
});
