/**
 * The cardinal rule, end to end: a live session against the venue (colo_venue on loopback, its flow
 * played at 5000× with packets dropped on the way) is captured, then the capture is replayed through
 * the same topology with the recorded executions in place of the venue, and the replay writes the
 * same orders, fills and order states, byte for byte. The trader reacts to quotes, to its own fills
 * (a feedback port) and to timers the wall clock releases, so the replay has to reproduce every kind
 * of step. A capture cut by kill -9 is read up to its last complete arrival.
 */
import { mkdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registry } from '../../operators/index.ts';
import { handle, on, onColumns } from '../../operators/sdk/handle.ts';
import { defineOperator, definePorts, type AnySpec } from '../../operators/sdk/spec.ts';
import { runCapture, runLive } from '../../pipelines/harness/harness.ts';
import { readCapture } from '../../pipelines/io/capture-log.ts';
import { systemTime } from '../../pipelines/runtime/wall-clock.ts';
import { loadTopology } from '../../pipelines/topology/load.ts';
import { validateTopology } from '../../pipelines/topology/validate.ts';
import type { Topology } from '../../pipelines/topology/model.ts';
import { readParquetFile } from '../../lib/io/parquet.ts';
import type { Fill, Order, OrderState } from '../../schemas/types.generated.ts';
import { startVenueDay, type VenueProcess } from '../helpers/venue-process.ts';

/** A Parquet file's rows as plain objects (the fields these checks read). */
function rows(file: string): Record<string, unknown>[] {
  return readParquetFile(file)
    .toArray()
    .map((r) => r.toJSON() as Record<string, unknown>);
}

const dir = mkdtempSync(join(tmpdir(), 'alpha-live-capture-'));
let venue: VenueProcess;
let date: string;
let symbols: string[];

beforeAll(async () => {
  ({ venue, date, symbols } = await startVenueDay(dir, {
    symbols: 3,
    seed: 7,
    users: ['alice:pw'],
    args: ['--speed', '5000', '--drop', '3000,7000'],
  }));
}, 60_000);
afterAll(async () => {
  await venue?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const MS = 1000;

/**
 * Trades off the quotes every 40 ms of the run's time, rotating through the symbols: a resting bid, a
 * marketable buy, an order for a symbol the venue does not list (rejected), and now and then one
 * larger than the book (partial). Each fill is answered by a sell at the bid, and a timer every
 * 150 ms cancels the oldest order still working.
 */
const traderSpec = defineOperator({
  type: 'test.trader',
  summary: 'Test: trades on quotes, fills and timers.',
  inputs: definePorts({
    quotes: { schema: 'Quote', description: 'Quotes.' },
    fills: { schema: 'Fill', feedback: true, description: 'Its fills.' },
  }),
  output: 'Order',
  params: z.strictObject({}),
  create:
    (_p, ctx) =>
    ({ quotes, fills }) => {
      const touch = new Map<string, { bid: number; ask: number }>();
      const working: string[] = [];
      let n = 0;
      let nextAt = 0;
      let armed = false;
      const order = (extra: Partial<Order> & Pick<Order, 'symbol' | 'side' | 'qty'>): Order => {
        const now = ctx.clock.now();
        const id = `o${++n}`;
        return {
          ts_event: now,
          ts_known: now,
          order_id: id,
          order_type: 'LIMIT',
          limit_price: null,
          ref_price: touch.get(extra.symbol)?.ask ?? 10,
          time_in_force: 'DAY',
          action: 'NEW',
          target_order_id: null,
          ...extra,
        };
      };
      const price = (x: number): number => Math.round(x * 100) / 100;
      return handle<Order>(ctx, [
        onColumns(quotes, (b, emit) => {
          const { symbol, bid, ask } = b.columns;
          for (let i = b.start; i < b.end; i++) touch.set(symbol.dictionary[symbol.codes[i]!]!, { bid: bid[i]!, ask: ask[i]! });
          const now = ctx.clock.now();
          if (!armed) {
            armed = true;
            const cancelOldest = (at: number): void => {
              const target = working.shift();
              if (target !== undefined) {
                const t = touch.values().next().value!;
                emit([order({ symbol: 'X', side: 'BUY', qty: 1, action: 'CANCEL', target_order_id: target, ref_price: t.ask })]);
              }
              ctx.clock.schedule(at + 150 * MS, cancelOldest);
            };
            ctx.clock.schedule(now + 150 * MS, cancelOldest);
          }
          if (now < nextAt) return;
          nextAt = now + 40 * MS;
          const k = n % symbols.length;
          const s = symbols[k]!;
          const t = touch.get(s);
          if (!t) return;
          const step = n % 9;
          let o: Order;
          if (step === 2) o = order({ symbol: 'NOPE', side: 'BUY', qty: 100, limit_price: 10 });
          else if (step === 4) o = order({ symbol: s, side: 'BUY', qty: 200, limit_price: price(t.ask * 1.01) });
          else if (step === 7 && n < 40) o = order({ symbol: s, side: 'BUY', qty: 50_000, limit_price: price(t.ask * 1.005) });
          else o = order({ symbol: s, side: 'BUY', qty: 100, limit_price: price(t.bid - 0.05) });
          if (o.symbol !== 'NOPE') working.push(o.order_id);
          emit([o]);
        }),
        on(fills, (batch, emit) => {
          for (const f of batch as readonly Fill[]) {
            const t = touch.get(f.symbol);
            if (t && f.side === 'BUY')
              emit([order({ symbol: f.symbol, side: 'SELL', qty: f.qty, limit_price: price(t.bid * 0.995), time_in_force: 'IOC' })]);
          }
        }),
      ]);
    },
});

function topologyFor(): Topology {
  const yaml = `
name: live-capture
nodes:
  - { name: quotes, type: source.itch, params: { rerequest_port: ${venue.rerequestPort}, date: '${date}' } }
  - { name: trader, type: test.trader, inputs: { quotes: quotes, fills: venue } }
  - { name: venue, type: execution.ouch, params: { port: ${venue.ouchPort}, username: alice, password: pw }, inputs: { orders: trader } }
  - { name: orders_out, type: sink.parquet, inputs: trader, params: { file: orders.parquet } }
  - { name: fills_out, type: sink.parquet, inputs: venue, params: { file: fills.parquet } }
  - { name: states_out, type: sink.parquet, inputs: venue.states, params: { file: states.parquet } }
`;
  const specs = new Map<string, AnySpec>([...registry, ['test.trader', traderSpec as AnySpec]]);
  const { topology, problems } = validateTopology(loadTopology('live-capture.yaml', [], yaml), specs);
  if (!topology) throw new Error(problems.map((p) => p.message).join('\n'));
  return topology;
}

/**
 * A byte offset inside the frame (`u32 length · u32 CRC · payload`) that holds byte `near`, past its
 * header, so a cut there always tears a frame (a cut on a boundary would leave nothing torn).
 */
function insideFrameNear(bytes: Buffer, near: number): number {
  let at = 0;
  for (;;) {
    const end = at + 8 + bytes.readUInt32LE(at);
    if (end > near || end >= bytes.length) return at + 8 + Math.max(1, Math.floor((end - at - 8) / 2));
    at = end;
  }
}

describe('a live session and the replay of its capture', () => {
  it('write the same orders, fills and order states, byte for byte', async () => {
    const topology = topologyFor();
    const universe = symbols.map((symbol) => ({ symbol, sector: 'X' }));
    const liveOut = join(dir, 'live');
    const replayOut = join(dir, 'replay');
    const capture = join(dir, 'capture.alog');
    mkdirSync(liveOut);
    mkdirSync(replayOut);
    const live = await runLive(topology, systemTime, {
      sessions: [],
      universe,
      outDir: liveOut,
      capture,
      live: { until: Date.now() * 1000 + 6_000_000 },
    });
    expect(live.uncaptured).toBe(0);

    const orders = rows(join(liveOut, 'orders.parquet')) as unknown as Order[];
    const states = rows(join(liveOut, 'states.parquet')) as unknown as OrderState[];
    const fills = rows(join(liveOut, 'fills.parquet')) as unknown as Fill[];
    expect(orders.length).toBeGreaterThanOrEqual(50);
    expect(fills.length).toBeGreaterThan(0);
    expect(orders.some((o) => o.action === 'CANCEL')).toBe(true);
    const statuses = new Set(states.map((s) => s.status));
    for (const s of ['PARTIALLY_FILLED', 'CANCELLED', 'REJECTED', 'FILLED']) expect(statuses, s).toContain(s);
    // Every kind of step is in the capture: batches, the venue's answers, wall-clock wakes, the end.
    const kinds = new Set(readCapture(capture).arrivals.map((a) => a.kind));
    expect([...kinds].sort()).toEqual(['end', 'external', 'source', 'wake']);

    const replay = await runCapture(topology, capture, { sessions: [], universe, outDir: replayOut });
    expect(replay.events).toBe(live.events);
    for (const file of ['orders.parquet', 'fills.parquet', 'states.parquet'])
      expect(readFileSync(join(replayOut, file)).equals(readFileSync(join(liveOut, file))), file).toBe(true);

    // Cut as kill -9 would leave it: the arrivals before the torn frame are read, and replay.
    const cut = join(dir, 'cut.alog');
    copyFileSync(capture, cut);
    const whole = readFileSync(cut);
    writeFileSync(cut, whole.subarray(0, insideFrameNear(whole, Math.floor(whole.length * 0.6))));
    const partial = readCapture(cut);
    expect(partial.ended).toBe(false);
    expect(partial.tornBytes).toBeGreaterThan(0);
    expect(partial.arrivals).toEqual(readCapture(capture).arrivals.slice(0, partial.arrivals.length));
    const cutOut = join(dir, 'cut');
    mkdirSync(cutOut);
    await runCapture(topology, cut, { sessions: [], universe, outDir: cutOut });
    const cutOrders = rows(join(cutOut, 'orders.parquet')) as unknown as Order[];
    expect(cutOrders.length).toBeGreaterThan(0);
    expect(cutOrders).toEqual(orders.slice(0, cutOrders.length));
  }, 60_000);
});
