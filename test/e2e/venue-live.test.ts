/**
 * The live graph against the venue (colo_venue, a real process on loopback): source.itch reads the
 * venue's MoldUDP64 feed (with packets the venue drops on purpose), a scripted order node trades,
 * execution.ouch sends the orders over SoupBinTCP and is reset mid-run. Checked against the venue's
 * audit trail: every Fill and OrderState agrees with alice's outbound OUCH messages (nothing lost or
 * repeated across the reconnect), the partial fill, cancel, reject and IOC cancel are there, the feed
 * found and filled the gaps, and the graph's last quotes are the venue's book.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { colo } from '../../native/colo/index.ts';
import { liveOuchSessions } from '../../operators/execution/ouch.ts';
import { registry } from '../../operators/index.ts';
import { handle, onColumns } from '../../operators/sdk/handle.ts';
import { defineOperator, definePorts, type AnySpec } from '../../operators/sdk/spec.ts';
import { runLive } from '../../pipelines/harness/harness.ts';
import { systemTime } from '../../pipelines/runtime/wall-clock.ts';
import { loadTopology } from '../../pipelines/topology/load.ts';
import { validateTopology } from '../../pipelines/topology/validate.ts';
import type { Fill, Order, OrderState, Quote } from '../../schemas/types.generated.ts';
import { probeSpec, type Probe } from '../helpers/memory-graph.ts';
import { startVenueDay, type VenueProcess, venueTops } from '../helpers/venue-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-venue-live-'));
let venue: VenueProcess;
let date: string;
let symbols: string[];

beforeAll(async () => {
  // 6.5 hours of flow in about 4.7 s; two of the venue's packets are dropped on the way.
  ({ venue, date, symbols } = await startVenueDay(dir, {
    symbols: 2,
    seed: 4,
    users: ['alice:pw'],
    args: ['--speed', '5000', '--drop', '4000,9000'],
  }));
}, 60_000);
afterAll(async () => {
  await venue?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Orders at set moments of the run, priced off the quotes it has seen. */
function scriptSpec(start: number): AnySpec {
  const spec = defineOperator({
    type: 'test.script-orders',
    summary: 'Test: scripted orders.',
    inputs: definePorts({ quotes: { schema: 'Quote', description: 'Quotes.' } }),
    output: 'Order',
    params: z.strictObject({ symbol: z.string().describe('Symbol to trade.') }),
    create:
      (p, ctx) =>
      ({ quotes }) => {
        let touch: { bid: number; ask: number } | undefined;
        let step = 0;
        const order = (id: string, extra: Partial<Order>): Order => ({
          ts_event: ctx.clock.now(),
          ts_known: ctx.clock.now(),
          order_id: id,
          symbol: p.symbol,
          side: 'BUY',
          qty: 100,
          order_type: 'LIMIT',
          limit_price: null,
          ref_price: touch!.ask,
          time_in_force: 'DAY',
          action: 'NEW',
          target_order_id: null,
          ...extra,
        });
        return handle<Order>(ctx, [
          onColumns(quotes, (b, emit) => {
            const { symbol, bid, ask } = b.columns;
            for (let i = b.start; i < b.end; i++)
              if (symbol.dictionary[symbol.codes[i]!] === p.symbol) touch = { bid: bid[i]!, ask: ask[i]! };
            if (!touch) return;
            const now = ctx.clock.now();
            if (step === 0 && now >= start + 500_000) {
              step = 1;
              emit([
                // 1% through the ask for more than the book holds (the flow moves while the order
                // travels): it takes what is there and the rest rests.
                order('a', { qty: 100_000, limit_price: Math.round(touch.ask * 101) / 100 }),
                // Far below the market: rests, cancelled later.
                order('b', { limit_price: Math.round((touch.bid - 1) * 100) / 100 }),
                // A symbol the venue does not list: rejected.
                order('c', { symbol: 'NOPE', limit_price: 10 }),
                // IOC at the bid: nothing to take, cancelled at once.
                order('d', { limit_price: touch.bid, time_in_force: 'IOC' }),
              ]);
            } else if (step === 1 && now >= start + 1_500_000) {
              step = 2;
              emit([order('x', { action: 'CANCEL', target_order_id: 'b' })]);
            }
          }),
        ]);
      },
  });
  return spec;
}

describe('the live graph against the venue', () => {
  it('trades through a reconnect and a lossy feed, and agrees with the audit trail and the book', async () => {
    const start = Date.now() * 1000;
    const probes = new Map<string, Probe>();
    const specs = new Map<string, AnySpec>([...registry, ['test.probe', probeSpec(probes)], ['test.script-orders', scriptSpec(start)]]);
    const yaml = `
name: live
nodes:
  - { name: quotes, type: source.itch, params: { rerequest_port: ${venue.rerequestPort}, date: '${date}' } }
  - { name: script, type: test.script-orders, params: { symbol: ${symbols[0]} }, inputs: { quotes: quotes } }
  - { name: venue, type: execution.ouch, params: { port: ${venue.ouchPort}, username: alice, password: pw }, inputs: { orders: script } }
  - { name: fills, type: test.probe, inputs: { records: venue } }
  - { name: states, type: test.probe, inputs: { records: venue.states } }
  - { name: seen, type: test.probe, inputs: { records: quotes } }
`;
    const { topology, problems } = validateTopology(loadTopology('live.yaml', [], yaml), specs);
    if (!topology) throw new Error(problems.map((p) => p.message).join('\n'));
    const reset = setTimeout(() => liveOuchSessions.get('venue')?.dropConnection(), 1000);
    const run = await runLive(topology, systemTime, {
      sessions: [],
      universe: symbols.map((symbol) => ({ symbol, sector: 'X' })),
      live: { until: start + 6_500_000 },
    });
    clearTimeout(reset);

    const fills = probes.get('fills')!.records as Fill[];
    const states = probes.get('states')!.records as OrderState[];
    const last = (id: string) => states.filter((s) => s.order_id === id).at(-1);
    expect(fills.filter((f) => f.order_id === 'a').length).toBeGreaterThanOrEqual(1);
    expect(states.some((s) => s.order_id === 'a' && s.status === 'PARTIALLY_FILLED')).toBe(true);
    expect(last('b')?.status).toBe('CANCELLED');
    expect(last('c')).toMatchObject({ status: 'REJECTED' });
    expect(last('d')?.status).toBe('CANCELLED');

    // The audit: alice's outbound OUCH stream, numbered without a gap, and one Fill per Executed.
    const out = venue.audit().filter((l) => l.dir === 'out' && l.proto === 'ouch' && l.session === 'alice');
    expect(out.map((l) => l.seq)).toEqual(out.map((_, i) => i + 1));
    const executed = out.filter((l) => l.type === 'E');
    expect(fills.map((f) => [colo().ouchToken(f.order_id), f.qty, Math.round(f.price * 1e4), Number(f.fill_id.split('#')[1])])).toEqual(
      executed.map((l) => [
        l.fields!['order_token'],
        l.fields!['executed_shares'],
        l.fields!['execution_price'],
        l.fields!['match_number'],
      ]),
    );
    expect(out.filter((l) => l.type === 'J').map((l) => [l.fields!['order_token'], l.fields!['reason']])).toEqual([
      [colo().ouchToken('c'), 'S'],
    ]);
    expect(
      venue.audit().filter((l) => l.dir === 'event' && l.session === 'alice' && l.event === 'login accepted').length,
    ).toBeGreaterThanOrEqual(2);

    // The feed: the venue's dropped packets were found and re-requested.
    const feed = run.metrics.get('quotes')!;
    expect(feed['gaps']).toBeGreaterThanOrEqual(1);
    expect(feed['rerequests']).toBeGreaterThanOrEqual(1);
    expect(feed['feed_errors']).toBe(0);
    expect([feed['session_changes'], feed['buffer_overflows']]).toEqual([0, 0]);

    // The graph's last quote of each symbol is the venue's book.
    const seen = probes.get('seen')!.records as Quote[];
    const tops = await venueTops(venue);
    for (const symbol of symbols) {
      const q = seen.filter((r) => r.symbol === symbol).at(-1)!;
      expect({ bid: q.bid, ask: q.ask, bidSize: q.bid_size, askSize: q.ask_size }, symbol).toEqual(tops.get(symbol));
    }
  }, 60_000);
});
