/**
 * source.replay: reads the dataset named by its params as column batches of its schema (Quote,
 * Trade or BookDepth) and hands the records on in stored order, in batches of at most batch_size. It refuses, as
 * dead letters with the reason, a record out of (ts_known, seq) order, of a symbol outside the
 * universe, with a non-positive or non-finite price, a crossed quote, a negative quote size or a
 * non-positive trade size, a depth row below level 2 or with a bad price or size; the records around it go on.
 *
 * The source is opened on a stub context whose datasets are real: one Parquet file per stored batch
 * in a temporary folder, read through pipelines/io/dataset.ts as in a backtest.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeRecordsParquet } from '../../../lib/io/parquet.ts';
import type { SourceContext } from '../../../operators/sdk/context.ts';
import { outputSchema } from '../../../operators/sdk/spec.ts';
import { type EdgeBatch, rowsOf } from '../../../lib/core/column-batch.ts';
import { replay } from '../../../operators/source/replay.ts';
import type { DatasetManifest } from '../../../pipelines/data/manifest.ts';
import { openDataset } from '../../../pipelines/io/dataset.ts';
import type { BookDepth, Quote, Trade } from '../../../schemas/types.generated.ts';
import { feedTopology, runGraph } from '../../../pipelines/harness/harness.ts';
import { tempDir } from '../../helpers/datasets.ts';
import { T0, quote, session, trade } from '../../helpers/records.ts';

const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/**
 * A context whose dataset `name` holds `stored`, one Parquet file per inner array, and that records
 * what the source opens, closes and refuses.
 */
function stubContext(
  name: string,
  schema: 'Quote' | 'Trade' | 'BookDepth',
  stored: readonly (Quote | Trade | BookDepth)[][],
  symbols = ['A', 'B'],
) {
  const dir = tempDir('replay');
  folders.push(dir);
  const files = stored.map((records, i) => {
    writeRecordsParquet(join(dir, `${i}.parquet`), schema, records as unknown as Record<string, unknown>[]);
    return `${i}.parquet`;
  });
  const manifest = { datasets: { [name]: { schema, files, rows: stored.flat().length, corrections: 0 } } } as unknown as DatasetManifest;
  const seen = { opened: [] as string[], closed: 0, deadLetters: [] as { record: Quote | Trade; reason: string }[] };
  const ctx: Pick<SourceContext, 'universe' | 'deadLetter' | 'openDataset'> = {
    universe: symbols.map((symbol) => ({ symbol, sector: 'X' })),
    deadLetter: (record, reason) => {
      seen.deadLetters.push({ record: record as Quote, reason });
    },
    openDataset: (dataset, asSchema) => {
      seen.opened.push(`${dataset} as ${asSchema}`);
      const reader = openDataset(dir, manifest, dataset, asSchema);
      return {
        next: () => reader.next(),
        close: async () => {
          seen.closed++;
          await reader.close();
        },
      };
    },
  };
  return { ctx: ctx as SourceContext, seen };
}

async function drain<T>(reader: { next(): Promise<EdgeBatch<T> | null>; close(): Promise<void> }): Promise<T[][]> {
  const out: T[][] = [];
  for (let b = await reader.next(); b !== null; b = await reader.next()) out.push([...rowsOf(b)]);
  await reader.close();
  return out;
}

/** Records as plain objects (a decoded record may be a view). */
const plain = <T>(batches: T[][]): T[][] => batches.map((b) => b.map((r) => ({ ...r })));

describe('source.replay', () => {
  it('replays the stored quotes in order, in batches of at most batch_size, and closes the dataset', async () => {
    const stored = [
      [quote('A', T0 + 1, 10, 10.02, 1), quote('B', T0 + 1, 20, 20.04, 2), quote('A', T0 + 2, 10.01, 10.03, 3)],
      [quote('B', T0 + 3, 20.01, 20.05, 4), quote('A', T0 + 3, 10, 10, 5)], // a locked quote (bid = ask) is fine
    ];
    const { ctx, seen } = stubContext('quotes', 'Quote', stored);
    const params = replay.params.parse({ batch_size: 2 });
    const batches = plain(await drain(replay.open(params, ctx)));
    // Batches never span two stored batches: 3 → 2 + 1, then 2.
    expect(batches).toEqual([stored[0]!.slice(0, 2), stored[0]!.slice(2), stored[1]!]);
    expect(seen).toEqual({ opened: ['quotes as Quote'], closed: 1, deadLetters: [] });
  });

  it('refuses quotes out of order, of unknown symbols, with bad prices or sizes, and keeps the rest', async () => {
    const good = [quote('A', T0 + 10, 10, 10.02, 10), quote('B', T0 + 20, 20, 20.02, 20), quote('A', T0 + 30, 10, 10.02, 30)];
    const stored = [
      [
        good[0]!,
        quote('A', T0 + 5, 10, 10.02, 11), // known before the previous record
        quote('A', T0 + 10, 10, 10.02, 10), // same ts_known, same seq
        quote('Z', T0 + 12, 10, 10.02, 12), // not in the universe
        quote('A', T0 + 13, NaN, 10.02, 13),
        quote('A', T0 + 14, 0, 10.02, 14),
        quote('A', T0 + 15, 10.05, 10.02, 15), // crossed
        quote('A', T0 + 15, 1e300, 1.0001e300, 155), // far beyond any price: the run's figures overflowed
        quote('A', T0 + 15, 10, 100.01, 156), // a stub ask
        quote('A', T0 + 16, 10, 10.02, 16, { ask_size: -1 }),
        quote('A', T0 + 17, 10, 10.02, 17, { bid_size: Number.POSITIVE_INFINITY }),
        good[1]!,
      ],
      [
        quote('B', T0 + 19, 20, 20.02, 21), // behind the last record of the previous stored batch
        good[2]!,
      ],
    ];
    const { ctx, seen } = stubContext('quotes', 'Quote', stored);
    const batches = plain(await drain(replay.open(replay.params.parse({}), ctx)));
    expect(batches.flat()).toEqual(good);
    expect(seen.deadLetters.map((d) => [d.record.seq, d.reason])).toEqual([
      [11, `out of order: (ts_known ${T0 + 5}, seq 11) after (${T0 + 10}, 10)`],
      [10, `out of order: (ts_known ${T0 + 10}, seq 10) after (${T0 + 10}, 10)`],
      [12, 'unknown symbol "Z": not in the dataset\'s universe'],
      [13, 'bad price: bid NaN, ask 10.02 (prices must be numbers above 0 and at most 1e+9)'],
      [14, 'bad price: bid 0, ask 10.02 (prices must be numbers above 0 and at most 1e+9)'],
      [15, 'crossed quote: bid 10.05 > ask 10.02'],
      [155, 'bad price: bid 1e+300, ask 1.0001e+300 (prices must be numbers above 0 and at most 1e+9)'],
      [156, 'stub quote: ask 100.01 is more than 10× the bid 10 (a placeholder for a side no order holds)'],
      [16, 'bad size: bid_size 100, ask_size -1 (sizes must be finite numbers >= 0)'],
      [17, 'bad size: bid_size Infinity, ask_size 100 (sizes must be finite numbers >= 0)'],
      [21, `out of order: (ts_known ${T0 + 19}, seq 21) after (${T0 + 20}, 20)`],
    ]);
  });

  it('replays trades when its schema is Trade, refusing bad prices and sizes; corrections pass as records', async () => {
    const stored = [
      [
        trade('A', T0 + 1, 10, 100, 1),
        trade('A', T0 + 2, -1, 100, 2),
        trade('A', T0 + 2, 2e9, 100, 25),
        trade('B', T0 + 3, 20, 0, 3),
        trade('B', T0 + 3, 20, Number.POSITIVE_INFINITY, 5),
        trade('A', T0 + 4, 10, 50, 4, { id: 1, version: 2, ts_event: T0 + 1, aggressor: 'SELL' }),
      ],
    ];
    const { ctx, seen } = stubContext('prints', 'Trade', stored);
    const params = replay.params.parse({ dataset: 'prints', schema: 'Trade' });
    expect(outputSchema(replay, params)).toBe('Trade');
    expect(outputSchema(replay, replay.params.parse({}))).toBe('Quote');
    const records = plain(await drain(replay.open(params, ctx))).flat();
    expect(records).toEqual([stored[0]![0], stored[0]![5]]);
    expect(seen.opened).toEqual(['prints as Trade']);
    expect(seen.deadLetters.map((d) => d.reason)).toEqual([
      'bad trade price -1 (prices must be numbers above 0 and at most 1e+9)',
      'bad trade price 2000000000 (prices must be numbers above 0 and at most 1e+9)',
      'bad trade size 0 (must be a positive finite number)',
      'bad trade size Infinity (must be a positive finite number)',
    ]);
  });

  it("refuses a print replayed twice at one ts_known (two feeds concatenated); a record whose venue clock led the run's passes", async () => {
    const stored = [
      [
        trade('A', T0 + 1, 10, 100, 1),
        trade('B', T0 + 1, 20, 100, 2, { id: 1 }), // another symbol's trade 1 (ids restart per symbol): not a repeat
        trade('A', T0 + 1, 10, 60, 3, { id: 1, version: 2 }), // A's correction: not a repeat
        trade('A', T0 + 1, 10, 100, 1_000_000_001, { id: 1 }), // trade 1 again, another seq
        trade('A', T0 + 2, 10, 100, 4, { id: 1, version: 2 }), // the same correction at another time
        // ts_event after ts_known: a live session's row (the venue's clock ahead of the run's), as
        // `alpha data flush` moves them into the lake; the run decided on ts_known.
        trade('A', T0 + 3, 10, 100, 5, { ts_event: T0 + 600_000_000 }),
      ],
    ];
    const { ctx, seen } = stubContext('prints', 'Trade', stored);
    const records = plain(await drain(replay.open(replay.params.parse({ dataset: 'prints', schema: 'Trade' }), ctx))).flat();
    expect(records.map((t) => t.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(seen.deadLetters.map((d) => [d.record.seq, d.reason])).toEqual([
      [1_000_000_001, `duplicate print: trade 1 version 1 again at ts_known ${T0 + 1}`],
    ]);

    // Many prints at one instant (past the ones compared one by one): repeats of the first and the last are caught.
    const burst = Array.from({ length: 40 }, (_, k) => trade('A', T0 + 5, 10, 100, 10 + k, { id: 100 + k }));
    const many = stubContext('prints', 'Trade', [
      [...burst, trade('A', T0 + 5, 10, 100, 60, { id: 100 }), trade('A', T0 + 5, 10, 100, 61, { id: 139 })],
    ]);
    const kept = plain(await drain(replay.open(replay.params.parse({ dataset: 'prints', schema: 'Trade' }), many.ctx))).flat();
    expect(kept).toHaveLength(40);
    expect(many.seen.deadLetters.map((d) => d.record.seq)).toEqual([60, 61]);
  });

  it('replays book depth when its schema is BookDepth, refusing a level below 2, a bad price or a bad size', async () => {
    const level = (seq: number, lvl: number, price: number, size: number): BookDepth => ({
      ts_event: T0 + seq,
      ts_known: T0 + seq,
      symbol: 'A',
      seq,
      side: 'ASK',
      level: lvl,
      price,
      size,
    });
    const good = [level(1, 2, 10.03, 100), level(2, 3, 10.04, 0), level(7, 2, 10.05, 300)];
    const stored = [
      [
        good[0]!,
        good[1]!,
        level(3, 1, 10.02, 100),
        level(4, 2, Number.NaN, 100),
        level(5, 2, -1, 100),
        level(6, 2, 10.03, Number.POSITIVE_INFINITY),
        good[2]!,
        level(8, 2, 5e9, 100),
      ],
    ];
    const { ctx, seen } = stubContext('depth', 'BookDepth', stored);
    const batches = plain(await drain(replay.open(replay.params.parse({ dataset: 'depth', schema: 'BookDepth' }), ctx)));
    expect(batches.flat()).toEqual(good);
    expect(seen.opened).toEqual(['depth as BookDepth']);
    expect(seen.deadLetters.map((d) => [d.record.seq, d.reason])).toEqual([
      [3, 'bad level 1 (level 2 is the first beyond the top, the quote)'],
      [4, 'bad depth price NaN (prices must be numbers above 0 and at most 1e+9)'],
      [5, 'bad depth price -1 (prices must be numbers above 0 and at most 1e+9)'],
      [6, 'bad depth size Infinity (must be a finite number >= 0)'],
      [8, 'bad depth price 5000000000 (prices must be numbers above 0 and at most 1e+9)'],
    ]);
  });
});

describe('source.replay in a run', () => {
  it('delivers the stored trades in order through the real event loop, refusing a bad one as a dead letter', async () => {
    const stored = [
      [trade('A', T0 + 1, 10, 100, 1), trade('B', T0 + 2, 20, 50, 2)],
      [trade('A', T0 + 3, 0, 100, 3), trade('A', T0 + 4, 10.5, 10, 4)],
    ];
    const { ctx } = stubContext('trades', 'Trade', stored);
    const params = replay.params.parse({ dataset: 'trades', schema: 'Trade' });
    const node = {
      name: 'trades',
      type: replay.type,
      spec: replay,
      inputs: {},
      params,
      transport: { kind: 'inline' as const },
      output: 'Trade' as const,
      ports: { out: 'Trade' as const },
    };
    const run = await runGraph(feedTopology([node], {}), {
      sessions: [session()],
      universe: ctx.universe,
      openDataset: (name, schema) => ctx.openDataset(name, schema),
    });
    const delivered = run.edges.get('trades')!.flatMap((b) => b.records.map((r) => ({ ...(r as Trade) })));
    // The trade at price 0 is refused; the others arrive in stored order.
    expect(delivered).toEqual([stored[0]![0], stored[0]![1], stored[1]![1]]);
    expect(run.deadLetters.map((d) => [d.node, d.reason])).toEqual([
      ['trades', 'bad trade price 0 (prices must be numbers above 0 and at most 1e+9)'],
    ]);
    expect(run.events).toBe(3);
  });
});
