/**
 * sink.parquet: at the end of the run, every record of its input in arrival order, in a Parquet file
 * of the output folder typed from the input's schema (timestamps TIMESTAMP(MICROS, UTC), nullable
 * fields as nulls); a CrossSection input is written wide (one row per snapshot and symbol, a column
 * per declared feature), and a snapshot whose columns differ from the declared ones is a dead letter.
 *
 * Files are read back with hyparquet, a reader independent of the writer (parquet-wasm), and compared
 * with the records fed. The sink is run through runGraph from a YAML topology, so that its input can
 * be of any schema (runOperator feeds a `*` port as DeadLetter records).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, describe, expect, it } from 'vitest';
import { MINUTE } from '../../../lib/core/time.ts';
import { registry } from '../../../operators/index.ts';
import { parquetSink } from '../../../operators/sink/parquet.ts';
import type { AnySpec } from '../../../operators/sdk/spec.ts';
import { feedSpec, runGraph, type FeedBatches } from '../../../pipelines/harness/harness.ts';
import { loadTopology } from '../../../pipelines/topology/load.ts';
import { validateTopology } from '../../../pipelines/topology/validate.ts';
import type { CrossSection, Order } from '../../../schemas/types.generated.ts';
import { tempDir } from '../../helpers/datasets.ts';
import * as records from '../../helpers/records.ts';

const T0 = Date.UTC(2024, 0, 2, 15, 0) * 1000;
const folders: string[] = [];
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** Runs `feed → sink.parquet` over `batches` into a new folder; returns the folder and the run. */
async function sink(schema: string, batches: FeedBatches, features: string[] = []) {
  const feeds = new Map<string, FeedBatches>([['in', batches]]);
  const specs = new Map<string, AnySpec>([...registry, ['harness.feed', feedSpec(feeds)]]);
  const { topology, problems } = validateTopology(
    loadTopology(
      'sink.yaml',
      [],
      `
nodes:
  - { name: in, type: harness.feed, params: { schema: ${schema}, name: in, features: [${features.join(', ')}] } }
  - { name: out, type: sink.parquet, inputs: in, params: { file: out.parquet } }
`,
    ),
    specs,
  );
  expect(problems).toEqual([]);
  const dir = tempDir('sink');
  folders.push(dir);
  const run = await runGraph(topology!, { sessions: [{ open: T0 - MINUTE, close: T0 + 10 * MINUTE }], outDir: dir, observe: [] });
  return { dir, run, bytes: readFileSync(join(dir, 'out.parquet')) };
}

/** The file's bytes as the ArrayBuffer hyparquet reads. */
const arrayBuffer = (bytes: Buffer): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
const read = async (bytes: Buffer): Promise<Record<string, unknown>[]> =>
  (await parquetReadObjects({
    file: arrayBuffer(bytes),
    utf8: true,
    parsers: { timestampFromMicroseconds: (v: bigint) => Number(v) } as never,
  })) as Record<string, unknown>[];
const columns = (bytes: Buffer) => parquetMetadata(arrayBuffer(bytes)).schema.slice(1);

const order = (at: number, symbol: string, extra: Partial<Order> = {}): Order =>
  records.order(symbol, 'BUY', 10, { ts_event: at - 1, ts_known: at, order_id: `o-${at}-${symbol}`, ref_price: 100.25, ...extra });

describe('sink.parquet', () => {
  it('writes every record in arrival order, typed from its schema, nulls kept; the same records give the same bytes', async () => {
    const records = [
      [order(T0, 'B'), order(T0, 'A', { side: 'SELL', order_type: 'LIMIT', limit_price: 99.5 })],
      [order(T0 + MINUTE, 'B', { qty: 3 })],
    ];
    const { run, bytes } = await sink('Order', records);
    expect(await read(bytes)).toEqual(records.flat());
    const schema = columns(bytes);
    expect(schema.map((c) => c.name)).toEqual(Object.keys(order(0, 'A')));
    expect(schema.find((c) => c.name === 'ts_known')?.logical_type).toMatchObject({
      type: 'TIMESTAMP',
      unit: 'MICROS',
      isAdjustedToUTC: true,
    });
    expect(schema.find((c) => c.name === 'limit_price')?.repetition_type).toBe('OPTIONAL');
    expect(run.metrics.get('out')).toMatchObject({ in: 3 });
    expect((await sink('Order', records)).bytes.equals(bytes)).toBe(true);
  });

  it('writes an empty file with the columns when nothing arrived', async () => {
    const { bytes } = await sink('Order', []);
    expect(await read(bytes)).toEqual([]);
    expect(columns(bytes).map((c) => c.name)).toEqual(Object.keys(order(0, 'A')));
  });

  it('writes cross-sections wide, one row per snapshot and symbol, and dead-letters a snapshot with other columns', async () => {
    const snap = (at: number, features: string[], rows: Record<string, [number, ...number[]]>): CrossSection => ({
      ts_event: at,
      ts_known: at,
      symbols: Object.keys(rows),
      features,
      prices: Object.values(rows).map((r) => r[0]),
      values: Object.values(rows).flatMap((r) => r.slice(1)),
    });
    const { run, bytes } = await sink(
      'CrossSection',
      [
        [snap(T0, ['r1', 'v'], { A: [10, 0.1, 1], B: [20, 0.2, 2] })],
        [snap(T0 + MINUTE, ['v', 'r1'], { A: [11, 3, 0.3] })], // columns in another order
        [snap(T0 + 2 * MINUTE, ['r1', 'v'], { B: [21, 0.4, NaN] })],
      ],
      ['r1', 'v'],
    );
    const rows = await read(bytes);
    expect(rows.map((r) => ({ ...r, v: Number.isNaN(r['v']) ? 'NaN' : r['v'] }))).toEqual([
      { ts_event: T0, ts_known: T0, symbol: 'A', price: 10, r1: 0.1, v: 1 },
      { ts_event: T0, ts_known: T0, symbol: 'B', price: 20, r1: 0.2, v: 2 },
      { ts_event: T0 + 2 * MINUTE, ts_known: T0 + 2 * MINUTE, symbol: 'B', price: 21, r1: 0.4, v: 'NaN' },
    ]);
    expect(run.deadLetters.map((d) => [d.node, d.reason, d.ts_known])).toEqual([
      ['out', 'cross-section columns [v, r1] differ from the declared [r1, v]', T0 + MINUTE],
    ]);
  });

  it('takes a bare file name ending in .parquet, nothing with folders', () => {
    expect(parquetSink.params.safeParse({ file: 'fills-2024.parquet' }).success).toBe(true);
    for (const file of ['../fills.parquet', 'out/fills.parquet', 'fills.csv', '']) {
      expect(parquetSink.params.safeParse({ file }).success, file).toBe(false);
    }
  });
});

describe('sink.parquet at the end of a run', () => {
  it("fails the run with a file's write error, once the other sinks' files are written whole", async () => {
    const feeds = new Map<string, FeedBatches>([['in', [[order(T0, 'A')]]]]);
    const specs = new Map<string, AnySpec>([...registry, ['harness.feed', feedSpec(feeds)]]);
    const { topology, problems } = validateTopology(
      loadTopology(
        'sinks.yaml',
        [],
        `
nodes:
  - { name: in, type: harness.feed, params: { schema: Order, name: in } }
  - { name: first, type: sink.parquet, inputs: in, params: { file: first.parquet } }
  - { name: second, type: sink.parquet, inputs: in, params: { file: second.parquet } }
  - { name: third, type: sink.parquet, inputs: in, params: { file: third.parquet } }
`,
      ),
      specs,
    );
    expect(problems).toEqual([]);
    const dir = tempDir('sinks');
    folders.push(dir);
    mkdirSync(join(dir, 'second.parquet')); // a folder where the file goes: its write fails (EISDIR)
    await expect(
      runGraph(topology!, { sessions: [{ open: T0 - MINUTE, close: T0 + 10 * MINUTE }], outDir: dir, observe: [] }),
    ).rejects.toThrow(/EISDIR/);
    for (const f of ['first.parquet', 'third.parquet']) expect(await read(readFileSync(join(dir, f))), f).toEqual([order(T0, 'A')]);
  });
});
