/**
 * A graceful stop, live, against the venue (colo_venue on loopback): four bids rest far below the
 * market, then the run is stopped by its signal (what Ctrl-C and SIGTERM abort). risk.pretrade must
 * cancel the four at the venue before the run ends (cancel_at_stop, the default), and the venue's
 * Canceled answers must arrive and be recorded. Checked in the venue's audit trail (a Cancel Order in
 * and a Canceled out for each, nothing left working), then the capture is replayed and writes the
 * same orders (the cancels included) and order states, byte for byte.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readParquetFile } from '../../lib/io/parquet.ts';
import { colo } from '../../native/colo/index.ts';
import { registry } from '../../operators/index.ts';
import { handle, onColumns } from '../../operators/sdk/handle.ts';
import { defineOperator, definePorts, type AnySpec } from '../../operators/sdk/spec.ts';
import { runCapture, runLive } from '../../pipelines/harness/harness.ts';
import { readCapture } from '../../pipelines/io/capture-log.ts';
import { systemTime } from '../../pipelines/runtime/wall-clock.ts';
import { loadTopology } from '../../pipelines/topology/load.ts';
import { validateTopology } from '../../pipelines/topology/validate.ts';
import type { Order, OrderState } from '../../schemas/types.generated.ts';
import { liveRiskYaml, startVenueDay, type VenueProcess, venueCancels } from '../helpers/venue-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-live-stop-'));
let venue: VenueProcess;
let date: string;
let symbol: string;

beforeAll(async () => {
  let symbols: string[];
  ({ venue, date, symbols } = await startVenueDay(dir, { symbols: 2, seed: 6, users: ['stop:pw'], args: ['--speed', '1000'] }));
  symbol = symbols[0]!;
}, 60_000);
afterAll(async () => {
  await venue?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const MS = 1000;
const RESTS = ['rest1', 'rest2', 'rest3', 'rest4'];

/** Four bids 3–6% under the bid, 300 ms after the first quote of its symbol; then nothing. */
function resterSpec(sym: string): AnySpec {
  const spec = defineOperator({
    type: 'test.rester',
    summary: 'Test: rests four bids far from the market.',
    inputs: definePorts({ quotes: { schema: 'Quote', description: 'Quotes.' } }),
    output: 'Order',
    params: z.strictObject({}),
    create:
      (_p, ctx) =>
      ({ quotes }) => {
        let start: number | undefined;
        let sent = false;
        return handle<Order>(ctx, [
          onColumns(quotes, (b, emit) => {
            const { symbol: s, bid } = b.columns;
            let touch: number | undefined;
            for (let i = b.start; i < b.end; i++) if (s.dictionary[s.codes[i]!] === sym) touch = bid[i]!;
            if (touch === undefined || sent) return;
            const now = ctx.clock.now();
            start ??= now;
            if (now < start + 300 * MS) return;
            sent = true;
            emit(
              RESTS.map((id, k) => ({
                ts_event: now,
                ts_known: now,
                order_id: id,
                symbol: sym,
                side: 'BUY',
                qty: 100,
                order_type: 'LIMIT',
                limit_price: Math.round(touch! * (0.97 - 0.01 * k) * 100) / 100,
                ref_price: touch!,
                time_in_force: 'DAY',
                action: 'NEW',
                target_order_id: null,
              })),
            );
          }),
        ]);
      },
  });
  return spec as AnySpec;
}

function rows<T>(file: string): T[] {
  return readParquetFile(file)
    .toArray()
    .map((r) => r.toJSON() as T);
}

describe('a graceful stop, live', () => {
  it('cancels the working orders at the venue before the run ends, and the replay writes the same orders', async () => {
    const specs = new Map<string, AnySpec>([...registry, ['test.rester', resterSpec(symbol)]]);
    const yaml = liveRiskYaml({
      name: 'stop',
      trader: 'test.rester',
      pretrade: '{ limit_replaces: false, collar_bps: 1000 }',
      username: 'stop',
      venue,
      date,
      extra: `  - { name: orders_out, type: sink.parquet, inputs: pretrade, params: { file: orders.parquet } }
  - { name: states_out, type: sink.parquet, inputs: venue.states, params: { file: states.parquet } }
`,
    });
    const { topology, problems } = validateTopology(loadTopology('stop.yaml', [], yaml), specs);
    if (!topology) throw new Error(problems.map((p) => p.message).join('\n'));
    const universe = [{ symbol, sector: 'X' }];
    const liveOut = join(dir, 'live');
    const replayOut = join(dir, 'replay');
    const capture = join(dir, 'capture.alog');
    mkdirSync(liveOut);
    mkdirSync(replayOut);
    // What Ctrl-C does to `alpha live`: the run's signal aborts (here 1.5 s in, the bids resting by then).
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 1500);
    const live = await runLive(topology, systemTime, {
      sessions: [],
      universe,
      outDir: liveOut,
      capture,
      live: { signal: stop.signal, until: Date.now() * 1000 + 10_000_000 },
    }).finally(() => clearTimeout(timer));
    expect(live.uncaptured).toBe(0);

    // The four bids, then a cancel for each, sent at the stop.
    const orders = rows<Order>(join(liveOut, 'orders.parquet'));
    expect(orders.map((o) => [o.order_id, o.action, o.target_order_id, o.qty])).toEqual([
      ...RESTS.map((id) => [id, 'NEW', null, 100]),
      ...RESTS.map((id) => [`stop-${id}`, 'CANCEL', id, 100]),
    ]);
    expect(live.metrics.get('pretrade')).toMatchObject({ cancelled_at_stop: 4, kill_switch_mode: 0 });
    expect(live.metrics.get('venue')?.['unanswered_orders']).toBeUndefined();
    // Their Canceled answers arrived before the end, and were recorded.
    const states = rows<OrderState>(join(liveOut, 'states.parquet'));
    for (const id of RESTS)
      expect(
        states.filter((s) => s.order_id === id).map((s) => s.status),
        id,
      ).toEqual(['NEW', 'CANCELLED']);
    // The stop is a step of the capture, with what stopped the run; the venue's answers come after it.
    const arrivals = readCapture(capture).arrivals;
    const at = arrivals.findIndex((a) => a.kind === 'command');
    expect(arrivals[at]).toMatchObject({ kind: 'command', command: 'stop', text: 'the stop signal' });
    expect(arrivals.slice(at + 1).some((a) => a.kind === 'external')).toBe(true);

    // At the venue: a Cancel Order in and a Canceled out for each bid, and no order left working
    // (every order it accepted from this session was cancelled).
    expect(venueCancels(venue, 'stop', RESTS)).toEqual(Object.fromEntries(RESTS.map((id) => [id, { in: 1, out: 1 }])));
    const audit = venue.audit().filter((l) => l.proto === 'ouch' && l.session === 'stop');
    const token = (id: string): string => colo().ouchToken(id);
    const accepted = audit.filter((l) => l.dir === 'out' && l.type === 'A').map((l) => l.fields!['order_token']);
    const canceled = new Set(audit.filter((l) => l.dir === 'out' && l.type === 'C').map((l) => l.fields!['order_token']));
    expect(accepted.sort()).toEqual(RESTS.map(token).sort());
    expect(accepted.filter((t) => !canceled.has(t))).toEqual([]);

    // The replay cancels at the same point and writes the same bytes.
    const replay = await runCapture(topology, capture, { sessions: [], universe, outDir: replayOut });
    expect(replay.events).toBe(live.events);
    for (const file of ['orders.parquet', 'states.parquet'])
      expect(readFileSync(join(replayOut, file)).equals(readFileSync(join(liveOut, file))), file).toBe(true);
  }, 60_000);
});
