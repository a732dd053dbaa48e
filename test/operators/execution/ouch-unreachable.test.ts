/**
 * execution.ouch with no venue listening: the orders never leave the client's queue, and the run says
 * so — each one a dead letter saying it is not at the venue, and the `unsent_orders` count — instead
 * of ending as if they had been sent.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registry } from '../../../operators/index.ts';
import { defineSource, type AnySpec } from '../../../operators/sdk/spec.ts';
import { runLive } from '../../../pipelines/harness/harness.ts';
import { systemTime } from '../../../pipelines/runtime/wall-clock.ts';
import { loadTopology } from '../../../pipelines/topology/load.ts';
import { validateTopology } from '../../../pipelines/topology/validate.ts';
import type { Order } from '../../../schemas/types.generated.ts';
import * as records from '../../helpers/records.ts';

/** A loopback port nothing listens on: one the kernel just handed out, then closed. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('execution.ouch without a venue', () => {
  it('reports every unanswered order as a dead letter', async () => {
    const port = await deadPort();
    const orders: Order[] = [
      records.order('AAPL', 'BUY', 100, { order_id: 'u1', order_type: 'LIMIT', limit_price: 10, ts_known: Date.now() * 1000 }),
      records.order('AAPL', 'SELL', 200, { order_id: 'u2', order_type: 'LIMIT', limit_price: 11, ts_known: Date.now() * 1000 }),
    ];
    let sent = false;
    const source = defineSource({
      type: 'test.orders-once',
      summary: 'Test: two orders, then the end.',
      output: 'Order',
      params: z.strictObject({}),
      open: () => ({
        next: async () => {
          if (sent) return null;
          sent = true;
          return orders.map((o, i) => ({ ...o, seq: i + 1 }));
        },
        close: async () => {},
      }),
    });
    const specs = new Map<string, AnySpec>([...registry, ['test.orders-once', source]]);
    const yaml = `name: unreachable
nodes:
  - { name: orders, type: test.orders-once }
  - { name: venue, type: execution.ouch, params: { port: ${port} }, inputs: { orders: orders } }
`;
    const { topology, problems } = validateTopology(loadTopology('u.yaml', [], yaml), specs);
    if (!topology) throw new Error(problems.map((p) => p.message).join('\n'));
    const run = await runLive(topology, systemTime, { sessions: [], universe: [{ symbol: 'AAPL', sector: 'X' }] });
    // No session ever took them: known not to be at the venue, not "unknown".
    expect(run.metrics.get('venue')!['unsent_orders']).toBe(2);
    expect(run.metrics.get('venue')!['unanswered_orders']).toBeUndefined();
    expect(run.deadLetters.map((d) => [JSON.parse(d.payload).order_id, d.reason])).toEqual(
      ['u1', 'u2'].map((id) => [
        id,
        `never sent: no OUCH session with the venue on port ${port} took it before the run ended; it is not at the venue`,
      ]),
    );
    expect(run.alerts).toContain(
      `venue: 2 order(s) were never sent: no OUCH session with the venue on port ${port} took them before the run ended (they are not at the venue)`,
    );
  }, 20_000);
});
