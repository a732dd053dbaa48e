/**
 * execution.ouch against the venue executable (colo_venue, a real process on loopback), driven live by
 * runLive on the system clock. A test source sends orders in two steps: (a) a buy through the whole
 * best ask of S0001 that rests its last 100 shares, (b) a resting buy far below S0002's market, (c) a
 * buy of an unknown symbol, (d) an IOC buy through S0003's best ask whose remainder is cancelled, and
 * an order that cannot be mapped (12.5 shares); then the connection is reset from the client's side,
 * and (b) is cancelled while the client reconnects; a second user sells into (a)'s resting bid.
 * Every Fill and OrderState the operator emitted must agree with the venue's audit trail of alice's
 * outbound OUCH messages: one state per Accepted / Executed / Canceled / Rejected, in order, with the
 * same token, shares and prices; one Fill per Executed; nothing lost, nothing repeated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatDate } from '../../../lib/core/dates.ts';
import { newYorkMidnight, regularSession } from '../../../lib/core/exchange-time.ts';
import { colo, type OuchClientEvent } from '../../../native/colo/index.ts';
import { liveOuchSessions, ouch } from '../../../operators/execution/ouch.ts';
import { defineSource, type AnySpec } from '../../../operators/sdk/spec.ts';
import { runLive, type SeenBatch } from '../../../pipelines/harness/harness.ts';
import { systemTime } from '../../../pipelines/runtime/wall-clock.ts';
import type { ResolvedNode, Topology } from '../../../pipelines/topology/model.ts';
import type { Fill, Order, OrderState } from '../../../schemas/types.generated.ts';
import { type AuditLine, startVenue, until, type VenueProcess, venueTops } from '../../helpers/venue-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-ouch-op-'));
let venue: VenueProcess;
let tops: Awaited<ReturnType<typeof venueTops>>;

beforeAll(async () => {
  venue = await startVenue(dir, { users: ['alice:pwa', 'bob:pwb'] });
  tops = await venueTops(venue);
});
afterAll(async () => {
  await venue?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const node = (
  name: string,
  spec: AnySpec,
  params: unknown,
  inputs: Record<string, string[]>,
  ports: Record<string, 'Order' | 'Fill' | 'OrderState'>,
): ResolvedNode => ({
  name,
  type: spec.type,
  spec,
  params,
  inputs,
  output: ports['out'] ?? null,
  ports,
  transport: { kind: 'inline' },
});

describe('execution.ouch', () => {
  it('trades against colo_venue through a reconnect, and every Fill and OrderState agrees with the audit trail', async () => {
    const now = (): number => Date.now() * 1000;
    const order = (id: string, o: Partial<Order>): Order => ({
      ts_event: now(),
      ts_known: now(),
      order_id: id,
      symbol: 'S0001',
      side: 'BUY',
      qty: 100,
      order_type: 'LIMIT',
      limit_price: 1,
      ref_price: 1,
      time_in_force: 'DAY',
      action: 'NEW',
      target_order_id: null,
      ...o,
    });
    const s1 = tops.get('S0001')!;
    const s2 = tops.get('S0002')!;
    const s3 = tops.get('S0003')!;
    const fills: Fill[] = [];
    const states: OrderState[] = [];
    const onBatch = (edge: string, b: SeenBatch): void => {
      if (edge === 'venue') fills.push(...(b.records as Fill[]));
      else states.push(...(b.records as OrderState[]));
    };
    const last = (id: string) => states.filter((s) => s.order_id === id).at(-1);

    // The test's order source: step 1, then (after the answers) a reset and step 2, then the end.
    const steps: (() => Promise<Order[] | null>)[] = [
      async () => [
        order('a', { qty: s1.askSize + 100, limit_price: s1.ask }),
        order('b', { symbol: 'S0002', limit_price: Math.round((s2.bid! - 1) * 100) / 100 }),
        order('c', { symbol: 'NOPE', limit_price: 10 }),
        order('d', { symbol: 'S0003', qty: s3.askSize + 200, limit_price: s3.ask, time_in_force: 'IOC' }),
        order('e', { qty: 12.5 }),
      ],
      async () => {
        await until(
          'the answers to step 1',
          () => ['a', 'b', 'c', 'd'].every((id) => last(id) !== undefined) && last('d')!.status === 'CANCELLED',
        );
        liveOuchSessions.get('venue')!.dropConnection();
        return [order('x', { action: 'CANCEL', target_order_id: 'b', symbol: 'S0002' })];
      },
      async () => {
        // Bob sells 50 into a's resting bid (a is the best bid: its price was the old best ask).
        const events: OuchClientEvent[] = [];
        const bob = new (colo().OuchClient)({
          port: venue.ouchPort,
          username: 'bob',
          password: 'pwb',
          onEvents: (e) => events.push(...e),
        });
        const sell = colo().orderToOuch({ ...order('bob-1', { side: 'SELL', qty: 50, limit_price: s1.ask }) });
        if (!sell.ok) throw new Error(sell.error);
        bob.send(sell.bytes);
        await until(
          'a filled by bob and b cancelled',
          () => last('a')?.filled_qty === s1.askSize + 50 && last('b')?.status === 'CANCELLED',
        );
        bob.close();
        return null;
      },
    ];
    let step = 0;
    const source = defineSource({
      type: 'test.orders',
      summary: 'Orders in steps.',
      output: 'Order',
      params: z.strictObject({}),
      open: () => ({
        next: async () => {
          const batch = step < steps.length ? await steps[step++]!() : null;
          return batch === null ? null : batch.map((o, i) => ({ ...o, seq: step * 100 + i }));
        },
        close: async () => {},
      }),
    });
    const topology: Topology = {
      file: 'test',
      name: 'ouch',
      seed: 1,
      data: undefined,
      taps: [],
      groups: [],
      nodes: [
        node('orders', source, {}, {}, { out: 'Order' }),
        node(
          'venue',
          ouch,
          ouch.params.parse({ port: venue.ouchPort, username: 'alice', password: 'pwa' }),
          { orders: ['orders'] },
          { out: 'Fill', states: 'OrderState' },
        ),
      ],
    };
    const today = formatDate(now());
    const run = await runLive(topology, systemTime, { sessions: [regularSession(today)], onBatch, observe: ['venue', 'venue.states'] });

    // The mapping error and the unknown symbol are dead letters.
    expect(run.deadLetters.map((d) => d.reason)).toEqual([
      expect.stringMatching(/^not sendable over OUCH: qty 12.5 is not a whole number/),
      "rejected by the venue: 'S' unknown symbol",
    ]);
    expect(run.metrics.get('venue')).toMatchObject({ disconnects: 1, unmatched_messages: 0 });

    // The audit's outbound OUCH messages of alice's session, and the records each must give.
    await until('the logout in the audit', () => venue.audit().some((l) => l.session === 'alice' && l.event === 'logged out'));
    const audit = venue
      .audit()
      .filter(
        (l): l is AuditLine & { fields: Record<string, string | number> } => l.dir === 'out' && l.proto === 'ouch' && l.session === 'alice',
      );
    expect(audit.map((l) => l.seq)).toEqual(audit.map((_, i) => i + 1));
    const byToken = new Map(['a', 'b', 'c', 'd', 'x'].map((id) => [colo().ouchToken(id), id]));
    const midnight = newYorkMidnight(today);
    const expected = audit
      .filter((l) => 'AECJ'.includes(l.type!))
      .map((l) => {
        const f = l.fields;
        const status = { A: 'NEW', E: 'FILLED|PARTIALLY_FILLED', C: 'CANCELLED', J: 'REJECTED' }[l.type as 'A' | 'E' | 'C' | 'J'];
        return { order_id: byToken.get(String(f['order_token'])), status, ts_event: midnight + Math.floor(Number(f['timestamp']) / 1000) };
      });
    const live = states.filter((s) => s.order_id !== 'e'); // e never reached the venue
    expect(live.map((s) => ({ order_id: s.order_id, status: s.status, ts_event: s.ts_event }))).toEqual(
      expected.map((e) => ({ ...e, status: expect.stringMatching(new RegExp(`^(${e.status})$`)) })),
    );
    // Fills: one per Executed, same token, shares, price and match number; none repeated.
    const executed = audit.filter((l) => l.type === 'E').map((l) => l.fields);
    expect(
      fills.map((f) => [colo().ouchToken(f.order_id), f.qty, Math.round(f.price * 1e4), f.fill_id.split('#')[1], f.liquidity]),
    ).toEqual(
      executed.map((e) => [
        e['order_token'],
        e['executed_shares'],
        e['execution_price'],
        String(e['match_number']),
        e['liquidity_flag'] === 'A' ? 'MAKER' : 'TAKER',
      ]),
    );
    expect(new Set(fills.map((f) => f.fill_id)).size).toBe(fills.length);
    for (const f of fills) expect(f.fee).toBeCloseTo((f.qty * f.price * 0.5) / 1e4, 10);

    // Each scenario's end state.
    expect(last('a')).toMatchObject({ status: 'PARTIALLY_FILLED', filled_qty: s1.askSize + 50, remaining_qty: 50 });
    expect(
      fills
        .filter((f) => f.order_id === 'a')
        .map((f) => f.liquidity)
        .at(-1),
    ).toBe('MAKER');
    expect(last('b')).toMatchObject({ status: 'CANCELLED', filled_qty: 0, reason: "'U' user requested" });
    expect(last('c')).toMatchObject({ status: 'REJECTED', reason: "rejected by the venue: 'S' unknown symbol" });
    expect(last('d')).toMatchObject({ status: 'CANCELLED', filled_qty: s3.askSize, remaining_qty: 0, reason: "'I' immediate or cancel" });
    expect(last('e')).toMatchObject({ status: 'REJECTED' });
    // Sequenced messages seen by the operator's session: two logins, the second at last received + 1.
    const lines = venue.audit();
    const logins = lines.flatMap((l, i) =>
      l.session === 'alice' && l.event === 'login accepted' ? [{ at: i, next: l['next_sequence'] }] : [],
    );
    const sentBefore = lines.slice(0, logins[1]!.at).filter((l) => l.dir === 'out' && l.proto === 'ouch' && l.session === 'alice').length;
    // At most what the venue had sent + 1: a message in flight when the connection was reset is asked
    // for again (the stream above shows it arrived once).
    expect(logins.map((l) => l.next)).toHaveLength(2);
    expect(logins[0]!.next).toBe(1);
    expect(Number(logins[1]!.next)).toBeGreaterThan(1);
    expect(Number(logins[1]!.next)).toBeLessThanOrEqual(sentBefore + 1);
  }, 20_000);
});
