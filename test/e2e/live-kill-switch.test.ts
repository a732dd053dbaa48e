/**
 * The kill switch, live, against the venue (colo_venue on loopback), tripped two ways.
 * - The loss limit: five bids rest far below the market, then one buy takes the offer; its fill costs
 *   the spread and the fee, which is more than the daily loss the test allows, so risk.pretrade goes
 *   HALTED.
 * - The rate limit: three bids rest, then a burst of ten more comes in one batch, past the orders
 *   allowed per window; the first order over the limit trips HALTED.
 * Each time it must cancel what works at the venue and refuse what comes after. Checked in the
 * venue's audit trail: a Cancel Order in and a Canceled out for each working order, and the refused
 * orders never arrived.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registry } from '../../operators/index.ts';
import { handle, onColumns } from '../../operators/sdk/handle.ts';
import { defineOperator, definePorts, type AnySpec } from '../../operators/sdk/spec.ts';
import { runLive } from '../../pipelines/harness/harness.ts';
import { systemTime } from '../../pipelines/runtime/wall-clock.ts';
import { loadTopology } from '../../pipelines/topology/load.ts';
import { validateTopology } from '../../pipelines/topology/validate.ts';
import type { Order, OrderState } from '../../schemas/types.generated.ts';
import { probeSpec, type Probe } from '../helpers/memory-graph.ts';
import { liveRiskYaml, reachedVenue, startVenueDay, type VenueProcess, venueCancels } from '../helpers/venue-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-kill-switch-'));
let venue: VenueProcess;
let date: string;
let symbol: string;

beforeAll(async () => {
  let symbols: string[];
  ({ venue, date, symbols } = await startVenueDay(dir, { symbols: 2, seed: 5, users: ['risk:pw', 'rate:pw'], args: ['--speed', '1000'] }));
  symbol = symbols[0]!;
}, 60_000);
afterAll(async () => {
  await venue?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const MS = 1000;

/** A DAY limit bid for 100 at `price`. */
function bid(sym: string, at: number, id: string, price: number): Order {
  return {
    ts_event: at,
    ts_known: at,
    order_id: id,
    symbol: sym,
    side: 'BUY',
    qty: 100,
    order_type: 'LIMIT',
    limit_price: Math.round(price * 100) / 100,
    ref_price: price,
    time_in_force: 'DAY',
    action: 'NEW',
    target_order_id: null,
  };
}

/** Three bids 3–5% under the bid at 300 ms, a burst of ten 6–15% under it at 800 ms (one batch), one more at 1500 ms. */
function burstSpec(sym: string): AnySpec {
  const spec = defineOperator({
    type: 'test.bursting-trader',
    summary: 'Test: rests, then floods.',
    inputs: definePorts({ quotes: { schema: 'Quote', description: 'Quotes.' } }),
    output: 'Order',
    params: z.strictObject({}),
    create:
      (_p, ctx) =>
      ({ quotes }) => {
        let start: number | undefined;
        let step = 0;
        return handle<Order>(ctx, [
          onColumns(quotes, (b, emit) => {
            const { symbol, bid: bids } = b.columns;
            let touch: number | undefined;
            for (let i = b.start; i < b.end; i++) if (symbol.dictionary[symbol.codes[i]!] === sym) touch = bids[i]!;
            if (touch === undefined) return;
            const now = ctx.clock.now();
            start ??= now;
            const at = (ids: string[], from: number): Order[] => ids.map((id, k) => bid(sym, now, id, touch! * (1 - from - 0.01 * k)));
            if (step === 0 && now >= start + 300 * MS) {
              step = 1;
              emit(at(RATE_RESTS, 0.03));
            } else if (step === 1 && now >= start + 800 * MS) {
              step = 2;
              emit(at(BURST, 0.06));
            } else if (step === 2 && now >= start + 1500 * MS) {
              step = 3;
              emit(at(['flood-late'], 0.05));
            }
          }),
        ]);
      },
  });
  return spec as AnySpec;
}
const RATE_RESTS = ['calm1', 'calm2', 'calm3'];
const BURST = Array.from({ length: 10 }, (_, k) => `flood${k + 1}`);

/** Five resting bids 3–7% under the bid at 300 ms, a buy through the offer at 800 ms, one more bid at 1500 ms. */
function traderSpec(sym: string): AnySpec {
  const spec = defineOperator({
    type: 'test.halting-trader',
    summary: 'Test: rests, takes, then tries again.',
    inputs: definePorts({ quotes: { schema: 'Quote', description: 'Quotes.' } }),
    output: 'Order',
    params: z.strictObject({}),
    create:
      (_p, ctx) =>
      ({ quotes }) => {
        let start: number | undefined;
        let step = 0;
        const order = (id: string, price: number, qty = 100): Order => ({
          ts_event: ctx.clock.now(),
          ts_known: ctx.clock.now(),
          order_id: id,
          symbol: sym,
          side: 'BUY',
          qty,
          order_type: 'LIMIT',
          limit_price: Math.round(price * 100) / 100,
          ref_price: price,
          time_in_force: 'DAY',
          action: 'NEW',
          target_order_id: null,
        });
        return handle<Order>(ctx, [
          onColumns(quotes, (b, emit) => {
            const { symbol, bid, ask } = b.columns;
            let touch: { bid: number; ask: number } | undefined;
            for (let i = b.start; i < b.end; i++) if (symbol.dictionary[symbol.codes[i]!] === sym) touch = { bid: bid[i]!, ask: ask[i]! };
            if (!touch) return;
            const now = ctx.clock.now();
            start ??= now;
            if (step === 0 && now >= start + 300 * MS) {
              step = 1;
              emit([1, 2, 3, 4, 5].map((k) => order(`rest${k}`, touch!.bid * (1 - 0.02 - 0.01 * k))));
            } else if (step === 1 && now >= start + 800 * MS) {
              step = 2;
              emit([order('take', touch.ask * 1.01)]);
            } else if (step === 2 && now >= start + 1500 * MS) {
              step = 3;
              emit([order('late', touch.bid * 0.99)]);
            }
          }),
        ]);
      },
  });
  return spec as AnySpec;
}

const PROBES = `  - { name: passed, type: test.probe, inputs: { records: pretrade } }
  - { name: states, type: test.probe, inputs: { records: venue.states } }
`;

describe('the kill switch, live', () => {
  it('cancels the working orders at the venue when it halts, and refuses new ones', async () => {
    const probes = new Map<string, Probe>();
    const specs = new Map<string, AnySpec>([...registry, ['test.probe', probeSpec(probes)], ['test.halting-trader', traderSpec(symbol)]]);
    const yaml = liveRiskYaml({
      name: 'kill',
      trader: 'test.halting-trader',
      pretrade: '{ daily_loss_reduce: 0.0000001, daily_loss_halt: 0.0000001, limit_replaces: false, collar_bps: 1000 }',
      username: 'risk',
      venue,
      date,
      extra: PROBES,
    });
    const { topology, problems } = validateTopology(loadTopology('kill.yaml', [], yaml), specs);
    if (!topology) throw new Error(problems.map((p) => p.message).join('\n'));
    const run = await runLive(topology, systemTime, {
      sessions: [],
      universe: [{ symbol, sector: 'X' }],
      live: { until: Date.now() * 1000 + 2_500_000 },
    });

    const passed = probes.get('passed')!.records as Order[];
    const rests = ['rest1', 'rest2', 'rest3', 'rest4', 'rest5'];
    expect(passed.map((o) => o.order_id)).toEqual([...rests, 'take', ...rests.map((id) => `halt-${id}`)]);
    expect(run.metrics.get('pretrade')).toMatchObject({
      kill_switch_halted: 1,
      kill_switch_mode: 2,
      cancelled_at_halt: 5,
      rejected_kill_switch: 1,
    });
    expect(run.deadLetters.some((d) => d.node === 'pretrade' && JSON.parse(d.payload).order_id === 'late')).toBe(true);
    const states = probes.get('states')!.records as OrderState[];
    for (const id of rests) expect(states.filter((s) => s.order_id === id).at(-1)?.status, id).toBe('CANCELLED');

    // At the venue: a Cancel Order in and a Canceled out for each resting bid; the late order never came.
    expect(venueCancels(venue, 'risk', rests)).toEqual(Object.fromEntries(rests.map((id) => [id, { in: 1, out: 1 }])));
    expect(reachedVenue(venue, 'risk', 'late')).toBe(false);
  }, 60_000);

  it('trips on the rate limit: cancels the working orders at the venue and refuses the rest of the burst', async () => {
    const probes = new Map<string, Probe>();
    const specs = new Map<string, AnySpec>([...registry, ['test.probe', probeSpec(probes)], ['test.bursting-trader', burstSpec(symbol)]]);
    // At most 6 orders per 60 s of the run's clock: the whole run is one window, whatever the wall does.
    const yaml = liveRiskYaml({
      name: 'rate',
      trader: 'test.bursting-trader',
      pretrade: '{ max_orders: 6, rate_window_seconds: 60, limit_replaces: false, collar_bps: 2000 }',
      username: 'rate',
      venue,
      date,
      extra: PROBES,
    });
    const { topology, problems } = validateTopology(loadTopology('rate.yaml', [], yaml), specs);
    if (!topology) throw new Error(problems.map((p) => p.message).join('\n'));
    const run = await runLive(topology, systemTime, {
      sessions: [],
      universe: [{ symbol, sector: 'X' }],
      live: { until: Date.now() * 1000 + 2_500_000 },
    });

    // 3 rest + 3 of the burst fill the window of 6; flood4 is over it and halts; the halt cancels the
    // six working (in the order they passed), after the burst's three; flood5..10 and the late one meet HALTED.
    const working = [...RATE_RESTS, ...BURST.slice(0, 3)];
    const passed = probes.get('passed')!.records as Order[];
    expect(passed.map((o) => o.order_id)).toEqual([...working, ...working.map((id) => `halt-${id}`)]);
    expect(run.metrics.get('pretrade')).toMatchObject({
      rejected_rate_limit: 1,
      rejected_kill_switch: 7,
      kill_switch_halted: 1,
      kill_switch_mode: 2,
      cancelled_at_halt: 6,
    });
    const letters = run.deadLetters.filter((d) => d.node === 'pretrade');
    expect(letters[0]!.reason).toBe('rate_limit: 6 orders passed in the last 60 s, limit 6');
    expect(JSON.parse(letters[0]!.payload).order_id).toBe('flood4');
    const states = probes.get('states')!.records as OrderState[];
    for (const id of working) expect(states.filter((s) => s.order_id === id).at(-1)?.status, id).toBe('CANCELLED');

    // At the venue: a Cancel Order in and a Canceled out for each working order; the refused ones never came.
    expect(venueCancels(venue, 'rate', working)).toEqual(Object.fromEntries(working.map((id) => [id, { in: 1, out: 1 }])));
    for (const id of [...BURST.slice(3), 'flood-late']) expect(reachedVenue(venue, 'rate', id), id).toBe(false);
  }, 60_000);
});
