/**
 * The venue killed (SIGKILL) in the middle of a live run: the run still ends when it is told to, with
 * no exception and no hang; the lost connection is counted; an order sent after the venue died is a
 * dead letter saying it had no answer, not a silent gap; the order answered before stays answered.
 * The same with the feed busy-polling (source.itch spin: true).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registry } from '../../operators/index.ts';
import { defineSource, type AnySpec } from '../../operators/sdk/spec.ts';
import { runCapture, runLive } from '../../pipelines/harness/harness.ts';
import { systemTime } from '../../pipelines/runtime/wall-clock.ts';
import { loadTopology } from '../../pipelines/topology/load.ts';
import { validateTopology } from '../../pipelines/topology/validate.ts';
import type { OrderState } from '../../schemas/types.generated.ts';
import { loopBusyShare } from '../helpers/event-loop.ts';
import { probeSpec, type Probe } from '../helpers/memory-graph.ts';
import * as records from '../helpers/records.ts';
import { startVenue, venueTops } from '../helpers/venue-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-venue-killed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the venue killed mid-run', () => {
  // Spinning, the feed busy-polls the socket of a venue that is gone: the run must end all the same, and let the loop sleep.
  it.each([false, true])(
    'ends the run on time, counts the lost connection and reports the unanswered order (spin: %s)',
    async (spin) => {
      const here = mkdtempSync(join(dir, 'run-'));
      const venue = await startVenue(here, { users: ['alice:pw'] });
      const tops = await venueTops(venue);
      const [symbol, top] = [...tops.entries()].find(([, t]) => t.bid !== null)!;
      const order = (id: string) =>
        records.order(symbol, 'BUY', 100, { order_id: id, order_type: 'LIMIT', limit_price: Math.round(top.bid! * 0.9 * 100) / 100 });
      let step = 0;
      const source = defineSource({
        type: 'test.orders-then-later',
        summary: 'Test: one order now, one after the venue died.',
        output: 'Order',
        params: z.strictObject({}),
        open: () => ({
          next: async () => {
            step++;
            if (step === 1) return [{ ...order('before'), ts_known: Date.now() * 1000, seq: 1 }];
            if (step === 2) {
              await new Promise((r) => setTimeout(r, 1500));
              return [{ ...order('after'), ts_known: Date.now() * 1000, seq: 2 }];
            }
            return new Promise<null>(() => {}); // a live source that goes quiet, as a dead feed does
          },
          close: async () => {},
        }),
      });
      const probes = new Map<string, Probe>();
      const specs = new Map<string, AnySpec>([...registry, ['test.orders-then-later', source], ['test.probe', probeSpec(probes)]]);
      const yaml = `name: killed
nodes:
  - { name: orders, type: test.orders-then-later }
  - { name: quotes, type: source.itch, params: { rerequest_port: ${venue.rerequestPort}, date: '2024-01-03', spin: ${spin} } }
  - { name: venue, type: execution.ouch, params: { port: ${venue.ouchPort}, username: alice, password: pw }, inputs: { orders: orders } }
  - { name: states, type: test.probe, inputs: { records: venue.states } }
  - { name: seen, type: test.probe, inputs: { records: quotes } }
`;
      const { topology, problems } = validateTopology(loadTopology('k.yaml', [], yaml), specs);
      if (!topology) throw new Error(problems.map((p) => p.message).join('\n'));
      const start = Date.now();
      const kill = setTimeout(() => venue.kill(), 800);
      const universe = [...tops.keys()].map((s) => ({ symbol: s, sector: 'X' }));
      const capture = join(here, 'capture.alog');
      const run = await runLive(topology, systemTime, { sessions: [], universe, capture, live: { until: (start + 4000) * 1000 } });
      clearTimeout(kill);
      expect(Date.now() - start).toBeLessThan(10_000);
      expect(await loopBusyShare(300)).toBeLessThan(0.5); // the feed is closed: nothing polls on
      const states = probes.get('states')!.records as OrderState[];
      expect(states.filter((s) => s.order_id === 'before').map((s) => s.status)).toEqual(['NEW']);
      expect(run.metrics.get('venue')!['disconnects']).toBeGreaterThanOrEqual(1);
      // Decided after the venue died, it waited in the client's queue: known not to be at the venue.
      expect(run.metrics.get('venue')!['unsent_orders']).toBe(1);
      expect(run.deadLetters.map((d) => [JSON.parse(d.payload).order_id, d.reason])).toEqual([
        [
          'after',
          `never sent: no OUCH session with the venue on port ${venue.ouchPort} took it before the run ended; it is not at the venue`,
        ],
      ]);
      const seen = probes.get('seen')!.records.length;
      expect(seen).toBeGreaterThan(0);
      // The capture of a run whose venue died replays to the same order states and the same quotes.
      const replay = await runCapture(topology, capture, { sessions: [], universe });
      expect(replay.events).toBe(run.events);
      expect(probes.get('states')!.records).toEqual(states);
      expect(probes.get('seen')!.records.length).toBe(seen);
    },
    30_000,
  );
});
