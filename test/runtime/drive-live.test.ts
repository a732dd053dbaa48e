/**
 * The wall-clock driver (pipelines/runtime/drive-live.ts) in virtual time: a source that pushes
 * quotes when the test says, feature.bars closing bars on wall-clock timers, and a probe. Expected
 * bars are worked out here from the quotes pushed before each minute's close.
 */
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { MINUTE, SECOND, type Micros } from '../../lib/core/time.ts';
import { registry } from '../../operators/index.ts';
import type { AnySpec } from '../../operators/sdk/spec.ts';
import { defineSource } from '../../operators/sdk/spec.ts';
import { runLive } from '../../pipelines/harness/harness.ts';
import type { TimeSource } from '../../pipelines/runtime/wall-clock.ts';
import { loadTopology } from '../../pipelines/topology/load.ts';
import { validateTopology } from '../../pipelines/topology/validate.ts';
import type { Bar, Quote } from '../../schemas/types.generated.ts';
import { probeSpec, type Probe } from '../helpers/memory-graph.ts';
import { quote, session, T0 } from '../helpers/records.ts';

/** Time that moves only when the test moves it; wake-ups run in time order. */
class VirtualTime implements TimeSource {
  private t: Micros;
  private wakes: { at: Micros; fn: () => void; id: number }[] = [];
  private ids = 0;
  constructor(start: Micros) {
    this.t = start;
  }
  now(): Micros {
    return this.t;
  }
  wakeAt(at: Micros, fn: () => void): () => void {
    const id = this.ids++;
    this.wakes.push({ at, fn, id });
    return () => {
      this.wakes = this.wakes.filter((w) => w.id !== id);
    };
  }
  async advanceTo(t: Micros): Promise<void> {
    for (;;) {
      const due = this.wakes.filter((w) => w.at <= t).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.wakes = this.wakes.filter((w) => w !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
      await settle();
    }
    this.t = t;
    await settle();
  }
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
};

/** A live source: its reader waits until the test pushes a batch or ends it. */
function pushSource() {
  const waiting: ((b: Quote[] | null) => void)[] = [];
  const queued: (Quote[] | null)[] = [];
  const give = (b: Quote[] | null): void => {
    const w = waiting.shift();
    if (w) w(b);
    else queued.push(b);
  };
  const spec = defineSource({
    type: 'test.push-quotes',
    summary: 'Test source pushing quotes when the test says.',
    output: 'Quote',
    params: z.strictObject({}),
    open: () => ({
      next: () => (queued.length > 0 ? Promise.resolve(queued.shift()!) : new Promise<Quote[] | null>((r) => waiting.push(r))),
      close: async () => give(null),
    }),
  });
  return { spec, push: (b: Quote[]) => give(b), end: () => give(null) };
}

const TOPOLOGY = `
name: live
nodes:
  - name: quotes
    type: test.push-quotes
  - name: bars
    type: feature.bars
    inputs: { quotes: quotes }
  - name: probe
    type: test.probe
    inputs: { records: bars }
`;

function setUp() {
  const source = pushSource();
  const probes = new Map<string, Probe>();
  const specs = new Map<string, AnySpec>([...registry, ['test.push-quotes', source.spec], ['test.probe', probeSpec(probes)]]);
  const { topology, problems } = validateTopology(loadTopology('live.yaml', [], TOPOLOGY), specs);
  if (!topology) throw new Error(problems.map((p) => p.message).join('\n'));
  return { source, probes, topology };
}

describe('the wall-clock driver', () => {
  it('delivers pushed batches as they come and closes bars when the wall clock reaches each minute', async () => {
    const { source, probes, topology } = setUp();
    const time = new VirtualTime(T0);
    const running = runLive(topology, time, { sessions: [session()], universe: [{ symbol: 'A', sector: 'X' }] });
    await settle();
    source.push([quote('A', T0 + 10 * SECOND, 99, 101, 1)]);
    await settle(); // it arrived now: delivered before the clock moves on
    await time.advanceTo(T0 + 20 * SECOND);
    source.push([quote('A', T0 + 30 * SECOND, 100, 104, 2)]);
    await settle(); // it arrived now: delivered before the clock moves on
    await time.advanceTo(T0 + 50 * SECOND);
    expect(probes.get('probe')?.records ?? []).toEqual([]); // the minute has not closed yet
    await time.advanceTo(T0 + MINUTE + SECOND);
    const bars = probes.get('probe')!.records as Bar[];
    expect(bars.map((b) => [b.symbol, b.ts_event, b.open, b.high, b.low, b.close])).toEqual([['A', T0 + MINUTE, 100, 102, 100, 102]]);
    expect(probes.get('probe')!.clockAt).toEqual([T0 + MINUTE]); // delivered when the wall clock reached the close
    source.push([quote('A', T0 + 70 * SECOND, 103, 105, 3)]);
    await settle(); // it arrived now: delivered before the clock moves on
    await time.advanceTo(T0 + 2 * MINUTE);
    expect(bars.map((b) => [b.ts_event, b.close])).toEqual([
      [T0 + MINUTE, 102],
      [T0 + 2 * MINUTE, 104],
    ]);
    source.end();
    const run = await running;
    expect(run.events).toBe(3);
  });

  it('stops on its signal, fires what is due and completes the streams', async () => {
    const { source, probes, topology } = setUp();
    const time = new VirtualTime(T0);
    const stop = new AbortController();
    const running = runLive(topology, time, {
      sessions: [session()],
      universe: [{ symbol: 'A', sector: 'X' }],
      live: { signal: stop.signal },
    });
    await settle();
    source.push([quote('A', T0 + SECOND, 10, 12, 1)]);
    await settle(); // it arrived now: delivered before the clock moves on
    await time.advanceTo(T0 + 5 * MINUTE + SECOND);
    expect((probes.get('probe')!.records as Bar[]).map((b) => b.ts_event)).toEqual([1, 2, 3, 4, 5].map((m) => T0 + m * MINUTE));
    stop.abort();
    const run = await running;
    expect(run.events).toBe(1);
    // Nothing fires after the run ended, whatever the time does.
    await time.advanceTo(T0 + 10 * MINUTE);
    expect(probes.get('probe')!.records).toHaveLength(5);
  });

  it('ends at its until time even while the source is still open', async () => {
    const { source, probes, topology } = setUp();
    const time = new VirtualTime(T0);
    const running = runLive(topology, time, {
      sessions: [session()],
      universe: [{ symbol: 'A', sector: 'X' }],
      live: { until: T0 + 3 * MINUTE },
    });
    await settle();
    source.push([quote('A', T0 + SECOND, 10, 12, 1)]);
    await settle();
    await time.advanceTo(T0 + 10 * MINUTE);
    const run = await running;
    expect(run.events).toBe(1);
    expect((probes.get('probe')!.records as Bar[]).map((b) => b.ts_event)).toEqual([1, 2, 3].map((m) => T0 + m * MINUTE));
  });
});
