/**
 * The columnar path against the record path: the default graph (bars, 116 features, the ONNX model,
 * MVO, orders, pre-trade risk, the broker, accounting) run on the same generated market three ways —
 * replayed from Parquet (column batches sliced by the merger), fed from memory as records, and fed
 * from memory as column batches. Every edge must carry the same records at the same clock times.
 *
 * Batch boundaries are the same in the runs compared: a slice of the merged sources is handled at
 * the time of its first record, so where a source's batches end can move a few records' `now()`
 * (the accounting's marks at a fill, say). That holds on both paths alike; see docs/architecture.md.
 */
import { describe, expect, it } from 'vitest';
import { ColumnBatch, type EdgeBatch, rowsOf } from '../../lib/core/column-batch.ts';
import { Rng } from '../../lib/core/rng.ts';
import { readManifest } from '../../pipelines/data/manifest.ts';
import { feedTopology, type GraphRun, runGraph } from '../../pipelines/harness/harness.ts';
import { openDataset } from '../../pipelines/io/dataset.ts';
import { resolveTopology } from '../../pipelines/runtime/backtest.ts';
import type { Topology } from '../../pipelines/topology/model.ts';
import type { Quote, Trade } from '../../schemas/types.generated.ts';
import { dataset } from '../helpers/datasets.ts';

const SYMBOLS = 16;
const DAYS = 3;

/** The batches `source.replay` emits for one dataset (each stored batch cut at `batch_size`, 8192 by default), as plain records. */
async function replayBatches<T>(dir: string, name: string, schema: 'Quote' | 'Trade'): Promise<T[][]> {
  const reader = openDataset(dir, readManifest(dir), name, schema);
  const out: T[][] = [];
  for (let b = await reader.next(); b; b = await reader.next()) {
    const records = b.toRecords() as T[];
    for (let i = 0; i < records.length; i += 8192) out.push(records.slice(i, i + 8192));
  }
  await reader.close();
  return out;
}

/** `records` cut into batches of random sizes (1 … 5,000). */
function randomCut<T>(records: readonly T[], rng: Rng): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < records.length; ) {
    const n = 1 + Math.floor(rng.next() ** 3 * 5000);
    out.push(records.slice(i, i + n));
    i += n;
  }
  return out;
}

const asColumns = <T extends object>(batches: readonly T[][]): EdgeBatch<T>[] => batches.map((b) => ColumnBatch.fromRecords(b));

/** Each edge's records, flattened, with the clock time each batch was emitted at. */
function flatten(run: GraphRun): Record<string, { at: number; record: unknown }[]> {
  const out: Record<string, { at: number; record: unknown }[]> = {};
  for (const [edge, batches] of run.edges) out[edge] = batches.flatMap((b) => rowsOf(b.records).map((record) => ({ at: b.at, record })));
  return out;
}

describe('the columnar path', () => {
  it('gives the default graph the same records on every edge as the record path, whatever the batches', async () => {
    const dir = await dataset({ symbols: SYMBOLS, days: DAYS, seed: 11 });
    const manifest = readManifest(dir);
    const options = { sessions: manifest.sessions, universe: manifest.universe };
    const full = resolveTopology('topology.yaml');
    const inner = full.nodes.filter((n) => n.spec.kind !== 'source' && !n.type.startsWith('sink.'));
    const observe = inner.flatMap((n) => Object.keys(n.ports).map((port) => (port === 'out' ? n.name : `${n.name}.${port}`)));

    const replayed: Topology = { ...full, nodes: full.nodes.filter((n) => !n.type.startsWith('sink.')) };
    const fromParquet = await runGraph(replayed, {
      ...options,
      observe,
      openDataset: (name, schema) => openDataset(dir, manifest, name, schema),
    });

    const quotes = await replayBatches<Quote>(dir, 'quotes', 'Quote');
    const trades = await replayBatches<Trade>(dir, 'trades', 'Trade');
    const fed = (q: readonly EdgeBatch<Quote>[], t: readonly EdgeBatch<Trade>[]) =>
      runGraph(feedTopology(inner, { quotes: { schema: 'Quote', batches: q }, trades: { schema: 'Trade', batches: t } }), {
        ...options,
        observe,
      });
    const reference = flatten(fromParquet);
    // The run must have reached the end of the chain, or the comparison proves little.
    expect(reference.broker!.length).toBeGreaterThan(50);
    expect(reference['broker.states']!.length).toBeGreaterThan(reference.broker!.length);
    expect(fromParquet.events).toBe(quotes.flat().length + trades.flat().length);
    // The data is clean: what is refused is the trading loop's own (pre-trade limits, an order reaching a closed market).
    expect(fromParquet.deadLetters.filter((d) => d.node !== 'pretrade' && d.node !== 'broker')).toEqual([]);

    // The replay's own batches, as records and as columns.
    for (const run of [await fed(quotes, trades), await fed(asColumns(quotes), asColumns(trades))]) {
      expect(run.events).toBe(fromParquet.events);
      const got = flatten(run);
      for (const edge of observe) expect(got[edge], edge).toEqual(reference[edge]);
      expect(run.deadLetters).toEqual(fromParquet.deadLetters);
    }

    // Random batches, the same cut as records and as columns.
    const rng = new Rng(5);
    const q = randomCut(quotes.flat(), rng);
    const t = randomCut(trades.flat(), rng);
    const records = flatten(await fed(q, t));
    const columns = flatten(await fed(asColumns(q), asColumns(t)));
    expect(records.broker!.length).toBe(reference.broker!.length);
    for (const edge of observe) expect(columns[edge], edge).toEqual(records[edge]);
  }, 120_000);
});
