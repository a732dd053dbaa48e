/**
 * Runs a topology written in YAML over records held in memory, through the real validator and the
 * harness (pipelines/harness): a test-only `test.memory-quotes` / `test.memory-trades` source replays the given arrays and a
 * `test.probe` sink records what reached it and the clock time it arrived at.
 */
import { z } from 'zod';
import { registry } from '../../operators/index.ts';
import type { Session, UniverseMember } from '../../operators/sdk/context.ts';
import { handle, on } from '../../operators/sdk/handle.ts';
import { defineOperator, defineSource, type AnySpec, type Batch } from '../../operators/sdk/spec.ts';
import { loadTopology } from '../../pipelines/topology/load.ts';
import { TopologyError } from '../../pipelines/topology/problems.ts';
import { validateTopology } from '../../pipelines/topology/validate.ts';
import { runGraph } from '../../pipelines/harness/harness.ts';
import type { CrossSection, DeadLetter, Quote, Trade } from '../../schemas/types.generated.ts';
import { MINUTE } from '../../lib/core/time.ts';
import { T0 } from './records.ts';

export { MINUTE, T0 };

export interface Probe {
  records: unknown[];
  clockAt: number[];
}

/** A `test.probe` sink: what reaches each of its nodes, and the clock time it arrived at, lands in `probes` under the node's name. */
export function probeSpec(probes: Map<string, Probe>): AnySpec {
  const probe = defineOperator({
    type: 'test.probe',
    summary: 'Test sink recording what reaches it.',
    inputs: { records: { schema: '*', description: 'Anything.' } },
    output: null,
    params: z.strictObject({}),
    create:
      (_p, ctx) =>
      ({ records }) => {
        const seen: Probe = { records: [], clockAt: [] };
        probes.set(ctx.node, seen);
        return handle<never>(ctx, [
          on(records, (batch) =>
            batch.forEach((r) => {
              seen.records.push(r);
              seen.clockAt.push(ctx.clock.now());
            }),
          ),
        ]);
      },
  });
  return probe;
}

export async function runInMemory(
  yaml: string,
  data: { quotes?: Quote[]; trades?: Trade[]; crossSections?: CrossSection[]; sessions?: Session[]; universe?: UniverseMember[] },
): Promise<{ probes: Map<string, Probe>; deadLetters: DeadLetter[]; metrics: Map<string, Record<string, number>> }> {
  const probes = new Map<string, Probe>();
  const memorySource = <T extends Quote | Trade>(type: string, output: 'Quote' | 'Trade', rows: T[]) =>
    defineSource({
      type,
      summary: 'Test source replaying records held in memory.',
      output,
      params: z.strictObject({ batch: z.number().int().min(1).default(3).describe('Records per batch.') }),
      open: (p) => {
        let i = 0;
        return {
          next: async (): Promise<Batch<T> | null> => {
            if (i >= rows.length) return null;
            const b = rows.slice(i, i + p.batch);
            i += p.batch;
            return b;
          },
          close: async () => {},
        };
      },
    });
  const crossSections = data.crossSections ?? [];
  const crossSectionSource = defineSource({
    type: 'test.memory-cross-sections',
    summary: 'Test source replaying cross-sections held in memory, one per batch.',
    output: 'CrossSection',
    params: z.strictObject({ features: z.array(z.string()).default([]).describe('The column names it declares.') }),
    features: (p) => p.features,
    open: () => {
      let i = 0;
      return {
        next: async () => (i < crossSections.length ? [{ ...crossSections[i]!, seq: i++ }] : null),
        close: async () => {},
      };
    },
  });
  // A source that gives one quote at ts_known `at`, then fails the run: what the other sources read
  // before `at` has gone through the graph, and the run's end is never reached.
  const failingSource = defineSource({
    type: 'test.fail-at',
    summary: 'Test source failing the run once the clock reaches `at`.',
    output: 'Quote',
    params: z.strictObject({ at: z.number().describe('ts_known (µs) of its one quote, after which it fails.') }),
    open: (p) => {
      let given = false;
      return {
        next: async (): Promise<Batch<Quote> | null> => {
          if (given) throw new Error(`test.fail-at: failing the run after ${p.at}`);
          given = true;
          return [
            { ts_event: p.at, ts_known: p.at, symbol: 'AAA', seq: 0, id: 0, version: 1, bid: 10, ask: 10.1, bid_size: 1, ask_size: 1 },
          ];
        },
        close: async () => {},
      };
    },
  });
  const specs = new Map<string, AnySpec>([
    ['test.fail-at', failingSource],
    ...registry,
    ['test.memory-quotes', memorySource('test.memory-quotes', 'Quote', data.quotes ?? [])],
    ['test.memory-trades', memorySource('test.memory-trades', 'Trade', data.trades ?? [])],
    ['test.memory-cross-sections', crossSectionSource],
    ['test.probe', probeSpec(probes)],
  ]);
  const { topology, problems } = validateTopology(loadTopology('test.yaml', [], yaml), specs);
  if (!topology) throw new TopologyError(problems);
  const sessions = data.sessions ?? [{ open: T0, close: T0 + 390 * MINUTE }];
  const symbols = [...(data.quotes ?? []), ...(data.trades ?? [])].map((r) => r.symbol).concat(crossSections.flatMap((c) => c.symbols));
  const universe = data.universe ?? [...new Set(symbols)].map((symbol) => ({ symbol, sector: 'X' }));
  const run = await runGraph(topology, { sessions, universe, observe: [] });
  return { probes, deadLetters: run.deadLetters, metrics: run.metrics };
}
