/**
 * The JS side of the live feed, for `npm run bench:venue`: quotes handed over by colo's ItchFeed
 * (typed arrays from the native thread, no per-message crossing) through source.itch's reader into
 * feature.bars, in records/s. The feed first receives the whole session over loopback MoldUDP64
 * (what the UDP path costs is measured on its own, by bench:colo's ItchFeed rows), so the figure is
 * the hand-off and the graph's: take() → column batches → feature.bars. Beside it, the same quotes
 * already in memory as column batches through feature.bars: the graph alone.
 */
import { z } from 'zod';
import { newYorkMidnight } from '../lib/core/exchange-time.ts';
import { HOUR, MINUTE } from '../lib/core/time.ts';
import type { ColumnBatch } from '../lib/core/column-batch.ts';
import { colo } from '../native/colo/index.ts';
import { registry } from '../operators/index.ts';
import { openItchFeedReader } from '../operators/sdk/itch-feed.ts';
import { defineSource, type AnySpec } from '../operators/sdk/spec.ts';
import { runGraph } from '../pipelines/harness/harness.ts';
import { loadTopology } from '../pipelines/topology/load.ts';
import { validateTopology } from '../pipelines/topology/validate.ts';
import type { Quote } from '../schemas/types.generated.ts';

const DATE = '2024-01-03';

export interface HandOff {
  quotes: number;
  /** source.itch reader (take → column batches) → feature.bars, records/s. */
  handOffPerS: number;
  /** The same column batches from memory → feature.bars, records/s. */
  inMemoryPerS: number;
}

async function bars(source: AnySpec, symbols: number): Promise<number> {
  const specs = new Map<string, AnySpec>([...registry, ['bench.quotes', source]]);
  const yaml =
    'name: handoff\nnodes:\n  - { name: quotes, type: bench.quotes }\n  - { name: bars, type: feature.bars, inputs: { quotes: quotes } }\n';
  const { topology, problems } = validateTopology(loadTopology('handoff.yaml', [], yaml), specs);
  if (!topology) throw new Error(problems.map((p) => p.message).join('\n'));
  const midnight = newYorkMidnight(DATE);
  const universe = Array.from({ length: symbols }, (_, i) => ({ symbol: `S${String(i + 1).padStart(4, '0')}`, sector: 'X' }));
  const t0 = process.hrtime.bigint();
  const run = await runGraph(topology, {
    sessions: [{ open: midnight + 9 * HOUR + 29 * MINUTE, close: midnight + 16 * HOUR }],
    universe,
    observe: [],
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return run.events / seconds;
}

export async function measureHandOff(messages: number, symbols: number): Promise<HandOff> {
  const bytes = colo().simulateItchSession({ messages, symbols, seed: 7 });
  const pub = colo().startMoldPublisher(bytes, {});
  const midnight = newYorkMidnight(DATE);
  try {
    pub.publish();
    const feed = new (colo().ItchFeed)({
      rerequestPort: pub.rerequestPort,
      maxRows: 1_000_000_000,
      midnightUs: midnight,
      twoSidedOnly: true,
      rows: 'quotes',
    });
    const deadline = Date.now() + 120_000;
    while (!feed.stats().ended) {
      if (Date.now() > deadline) throw new Error('the feed did not receive the session in 120 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    const kept: ColumnBatch<Quote>[] = [];
    const fromFeed = defineSource({
      type: 'bench.quotes',
      summary: 'The pre-received ItchFeed through source.itch’s reader.',
      output: 'Quote',
      params: z.strictObject({}),
      open: (_p, ctx) => {
        const reader = openItchFeedReader<Quote>(feed, 'Quote', ctx);
        return {
          next: async () => {
            const b = await reader.next();
            if (b) kept.push(b as ColumnBatch<Quote>);
            return b;
          },
          close: () => reader.close(),
        };
      },
    });
    const handOffPerS = await bars(fromFeed, symbols);
    const quotes = kept.reduce((n, b) => n + b.length, 0);
    let i = 0;
    const fromMemory = defineSource({
      type: 'bench.quotes',
      summary: 'The same column batches, from memory.',
      output: 'Quote',
      params: z.strictObject({}),
      open: () => ({ next: async () => kept[i++] ?? null, close: async () => {} }),
    });
    const inMemoryPerS = await bars(fromMemory, symbols);
    return { quotes, handOffPerS, inMemoryPerS };
  } finally {
    pub.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await measureHandOff(Number(process.argv[2] ?? 2_000_000), Number(process.argv[3] ?? 500));
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
