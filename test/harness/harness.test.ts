import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MINUTE } from '../../lib/core/time.ts';
import { handle, handlePorts, on } from '../../operators/sdk/handle.ts';
import { defineOperator, defineSource } from '../../operators/sdk/spec.ts';
import { feedTopology, runGraph, runOperator, type SeenBatch, stepOperator } from '../../pipelines/harness/harness.ts';
import { parquetSink } from '../../operators/sink/parquet.ts';
import { readParquetFile } from '../../lib/io/parquet.ts';
import { tempDir } from '../helpers/datasets.ts';
import { END_KEY, type StepKey } from '../../pipelines/runtime/step.ts';
import type { ResolvedNode } from '../../pipelines/topology/model.ts';
import type { Fill, Quote } from '../../schemas/types.generated.ts';
import * as records from '../helpers/records.ts';
import { T0 } from '../helpers/records.ts';

/** A quote 2 cents wide, numbered by its time. */
const quote = (at: number, symbol: string, bid: number): Quote => records.quote(symbol, at, bid, bid + 0.02, at);

/** The input of the test operators below. */
const QUOTES = { quotes: { schema: 'Quote', description: 'Quotes.' } } as const;

/** Emits each quote's mid, and a per-minute count on a timer: enough to see order, timers and ports. */
const mids = defineOperator({
  type: 'test.mids',
  summary: 'Mid prices of quotes (a harness test operator).',
  inputs: QUOTES,
  output: 'Quote',
  outputs: { fills: 'Fill' },
  params: z.strictObject({ fail_on: z.string().default('').describe('A symbol whose quotes make the handler throw.') }),
  create:
    (p, ctx) =>
    ({ quotes }) =>
      handlePorts<{ out: Quote; fills: Fill }>(
        ctx,
        ['out', 'fills'],
        [
          on(quotes, (batch, emit) => {
            if (batch.some((q) => q.symbol === p.fail_on)) throw new Error(`saw ${p.fail_on}`);
            emit.out(batch.map((q) => ({ ...q, bid: (q.bid + q.ask) / 2, ask: (q.bid + q.ask) / 2 })));
            emit.fills(
              batch.map((q) =>
                records.fill(q.symbol, 'BUY', 1, q.ask, {
                  ts_event: q.ts_event,
                  ts_known: ctx.clock.now(),
                  fill_id: `${q.seq}`,
                  order_id: `${q.seq}`,
                }),
              ),
            );
          }),
        ],
      ),
});

describe('runOperator', () => {
  const batches = [[quote(T0 + 1, 'A', 10), quote(T0 + 2, 'B', 20)], [quote(T0 + MINUTE, 'A', 11)]];

  it('feeds each port batch by batch and collects every output port with its clock time', async () => {
    const run = await runOperator(mids, {}, { quotes: batches });
    expect(run.outputs['out']!.map((q) => (q as Quote).bid)).toEqual(batches.flat().map((q) => (q.bid + q.ask) / 2));
    expect(run.outputs['fills']!.map((f) => (f as Fill).price)).toEqual([10.02, 20.02, 11.02]);
    // The clock is the ts_known of the first record of the batch being delivered.
    expect(run.batches['out']!.map((b) => b.at)).toEqual([T0 + 1, T0 + MINUTE]);
    expect(run.metrics).toMatchObject({ in: 3, out: 3, out_fills: 3 });
  });

  it('turns a throwing handler into a dead letter naming the node and the error, and goes on', async () => {
    const run = await runOperator(mids, { fail_on: 'B' }, { quotes: batches });
    expect(run.outputs['out']!).toHaveLength(1);
    expect(run.deadLetters).toHaveLength(1);
    expect(run.deadLetters[0]).toMatchObject({ node: 'subject', reason: 'operator error: saw B' });
    expect(run.metrics).toMatchObject({ errors: 1 });
  });

  it('applies the params defaults and refuses bad params as validation would', async () => {
    await expect(runOperator(mids, { fail_on: 3 }, { quotes: batches })).rejects.toThrow(/fail_on/);
  });

  it('refuses a port the operator does not have', async () => {
    await expect(runOperator(mids, {}, { quote: batches })).rejects.toThrow('test.mids has no input port "quote"');
  });

  it('fires timers within the sessions it is given', async () => {
    const ticks = defineOperator({
      type: 'test.ticks',
      summary: 'Counts quotes per minute on a timer.',
      inputs: QUOTES,
      output: 'Quote',
      params: z.strictObject({}),
      create:
        (_p, ctx) =>
        ({ quotes }) => {
          let seen: Quote[] = [];
          return handle<Quote>(
            ctx,
            [
              on(quotes, (batch) => {
                seen = seen.concat(batch);
              }),
            ],
            {
              start: (emit) => {
                const every = (at: number): void =>
                  ctx.clock.schedule(at, (t) => {
                    emit(seen.map((q) => ({ ...q, ts_known: t })));
                    seen = [];
                    if (t < T0 + 2 * MINUTE) every(t + MINUTE);
                  });
                every(T0 + MINUTE);
              },
            },
          );
        },
    });
    const run = await runOperator(ticks, {}, { quotes: batches }, { sessions: [{ open: T0, close: T0 + 5 * MINUTE }] });
    // The timer at T0+1m fires before the quote known at T0+1m is delivered.
    expect(run.batches['out']!.map((b) => [b.at, b.records.length])).toEqual([
      [T0 + MINUTE, 2],
      [T0 + 2 * MINUTE, 1],
    ]);
  });
});

/** A resolved node of `spec`, as validation would give it (params with their defaults). */
function nodeOf(name: string, spec: typeof mids, params: object, inputs: Record<string, string[]>): ResolvedNode {
  return {
    name,
    type: spec.type,
    spec,
    params: spec.params.parse(params),
    inputs,
    transport: { kind: 'inline' },
    output: 'Quote',
    ports: { out: 'Quote', fills: 'Fill' },
  };
}

describe('feedTopology and runGraph', () => {
  const batches = [[quote(T0 + 1, 'A', 10), quote(T0 + 2, 'B', 20)], [quote(T0 + MINUTE, 'A', 11)]];
  const sessions = [{ open: T0, close: T0 + 5 * MINUTE }];
  // mids of mids: the mid of a quote whose bid and ask are already its mid is that mid.
  const chain = (): ResolvedNode[] => [nodeOf('first', mids, {}, { quotes: ['feed'] }), nodeOf('second', mids, {}, { quotes: ['first'] })];

  it('runs the nodes on the feeds, the feeds ranked first and the nodes in their order', async () => {
    const topology = feedTopology(chain(), { feed: { schema: 'Quote', batches } });
    expect(topology.nodes.map((n) => [n.name, n.type])).toEqual([
      ['feed', 'harness.feed'],
      ['first', 'test.mids'],
      ['second', 'test.mids'],
    ]);
    const run = await runGraph(topology, { sessions });
    const mid = (q: Quote): number => (q.bid + q.ask) / 2;
    expect(run.edges.get('second')!.flatMap((b) => b.records.map((q) => (q as Quote).bid))).toEqual(batches.flat().map(mid));
    expect(run.edges.get('second.fills')!.map((b) => b.records.length)).toEqual([2, 1]);
    expect(run.events).toBe(3);
  });

  it('names an input that is neither a feed nor a node, and a node named like a feed', () => {
    expect(() => feedTopology(chain(), { other: { schema: 'Quote', batches } })).toThrow(
      'feedTopology: node "first" input "quotes": no edge "feed" among the feeds (other) and nodes',
    );
    expect(() => feedTopology([nodeOf('first', mids, {}, { quotes: ['feed.nope'] })], { feed: { schema: 'Quote', batches } })).toThrow(
      'no edge "feed.nope"',
    );
    expect(() => feedTopology([nodeOf('feed', mids, {}, { quotes: ['feed'] })], { feed: { schema: 'Quote', batches } })).toThrow(
      'feedTopology: node "feed" has the name of a feed',
    );
  });

  it('hands each observed batch to onBatch as it is emitted, keeping none', async () => {
    const seen: [string, SeenBatch][] = [];
    const run = await runGraph(feedTopology(chain(), { feed: { schema: 'Quote', batches } }), {
      sessions,
      observe: ['first', 'second'],
      onBatch: (edge, batch) => seen.push([edge, batch]),
    });
    // onBatch subscribes after the graph is built, so within a step the node fed by an edge has
    // already handled (and passed on) a batch when onBatch sees it on that edge.
    expect(seen.map(([edge, b]) => [edge, b.at, b.records.length])).toEqual([
      ['second', T0 + 1, 2],
      ['first', T0 + 1, 2],
      ['second', T0 + MINUTE, 1],
      ['first', T0 + MINUTE, 1],
    ]);
    expect(run.edges.size).toBe(0);
  });

  it('calls hooks.done after every step (one per batch here: no timers), then once at the end', async () => {
    const keys: StepKey[] = [];
    await runGraph(feedTopology(chain(), { feed: { schema: 'Quote', batches } }), {
      sessions,
      observe: [],
      hooks: { done: (k) => void keys.push(k) },
    });
    // A slice is phase 1 from the feed (order 0), keyed by the seq of its first record.
    expect(keys).toEqual([
      { t: T0 + 1, phase: 1, order: 0, seq: T0 + 1 },
      { t: T0 + MINUTE, phase: 1, order: 0, seq: T0 + MINUTE },
      END_KEY,
    ]);
  });

  it('opens datasets with openDataset when given one', async () => {
    const opened: string[] = [];
    const stored = defineSource({
      type: 'test.stored',
      summary: 'Reads a dataset (a harness test source).',
      output: 'Quote',
      params: z.strictObject({}),
      open: (_p, ctx) => {
        const reader = ctx.openDataset('quotes', 'Quote');
        return { next: async () => ((await reader.next()) === null ? null : []), close: () => reader.close() };
      },
    });
    const node: ResolvedNode = {
      name: 'stored',
      type: stored.type,
      spec: stored,
      params: {},
      inputs: {},
      transport: { kind: 'inline' },
      output: 'Quote',
      ports: { out: 'Quote' },
    };
    const run = await runGraph(feedTopology([node], {}), {
      sessions,
      openDataset: (name, schema) => {
        opened.push(`${name}:${schema}`);
        return { next: async () => null, close: async () => {} };
      },
    });
    expect(opened).toEqual(['quotes:Quote']);
    expect(run.events).toBe(0);
    await expect(runGraph(feedTopology([node], {}), { sessions })).rejects.toThrow('the harness has no data folder (dataset "quotes")');
  });
});

describe('stepOperator', () => {
  it("finish() runs the node's end-of-run hooks: a sink's file is written, with the rows pushed", async () => {
    const outDir = tempDir('step-sink');
    const step = stepOperator(
      parquetSink,
      { file: 'quotes.parquet' },
      { outDir, inputs: { records: [{ node: 'quotes', schema: 'Quote', features: [] }] } },
    );
    const rows = [quote(T0, 'AAA', 10), quote(T0 + MINUTE, 'BBB', 20), quote(T0 + 2 * MINUTE, 'AAA', 10.5)];
    step.push('records', rows.slice(0, 2), T0);
    step.push('records', rows.slice(2), T0 + 2 * MINUTE);
    expect(existsSync(join(outDir, 'quotes.parquet'))).toBe(false);
    await step.finish();
    const written = readParquetFile(join(outDir, 'quotes.parquet'))
      .toArray()
      .map((r) => r.toJSON() as Record<string, unknown>);
    // Arrow reads a timestamp-micros column as ms.
    expect(written.map((r) => [r['symbol'], Number(r['ts_known']) * 1000, r['bid'], r['ask']])).toEqual(
      rows.map((q) => [q.symbol, q.ts_known, q.bid, q.ask]),
    );
  });
});
