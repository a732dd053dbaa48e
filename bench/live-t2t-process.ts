/**
 * One process of bench:live's tick-to-trade runs (bench/live-t2t.ts): `runLiveSession` on the
 * tick-to-trade topology, the whole graph or one `--group` of it, with the bench's two operators:
 *
 * - `bench.sample` passes every Nth quote on (in colo, so the split's Kafka carries those only);
 * - `bench.ioc` turns each quote it takes into an IOC buy of 100 at the ask, its order id naming the
 *   quote's MoldUDP64 sequence (`t2t-SEQ`), so the venue's audit trail times it from that packet.
 *
 * Argument: one JSON object (T2tProcessArgs). Writes OUT/ids.json (the order ids this process raised)
 * and prints the run's summary as one JSON line.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { registry } from '../operators/index.ts';
import { handle, onColumns } from '../operators/sdk/handle.ts';
import { type AnySpec, defineOperator, definePorts } from '../operators/sdk/spec.ts';
import { runLiveSession } from '../pipelines/runtime/live.ts';
import type { Order, Quote } from '../schemas/types.generated.ts';
import { iocAtAsk } from './t2t-order.ts';

export interface T2tProcessArgs {
  topology: string;
  group?: string;
  runId: string;
  data: string;
  date: string;
  speed: number;
  seconds: number;
  out: string;
}

const ids: string[] = [];

const sample = defineOperator({
  type: 'bench.sample',
  summary: 'Bench: every Nth quote.',
  inputs: definePorts({ quotes: { schema: 'Quote', description: 'Quotes.' } }),
  output: 'Quote',
  params: z.strictObject({ every: z.number().int().min(1).describe('One quote passed on per this many.') }),
  create:
    (p, ctx) =>
    ({ quotes }) => {
      let n = 0;
      return handle<Quote>(ctx, [
        onColumns(quotes, (b, emit) => {
          const out: Quote[] = [];
          for (let i = b.start; i < b.end; i++) if (++n % p.every === 0) out.push(b.record(i));
          if (out.length > 0) emit(out);
        }),
      ]);
    },
});

const ioc = defineOperator({
  type: 'bench.ioc',
  summary: 'Bench: an IOC buy of 100 at the ask per quote, named by its sequence.',
  inputs: definePorts({ quotes: { schema: 'Quote', description: 'Quotes.' } }),
  output: 'Order',
  params: z.strictObject({}),
  create:
    (_p, ctx) =>
    ({ quotes }) =>
      handle<Order>(ctx, [
        onColumns(quotes, (b, emit) => {
          const out: Order[] = [];
          const { symbol, ask, id } = b.columns;
          for (let i = b.start; i < b.end; i++) {
            const order = iocAtAsk('t2t', id[i]!, symbol.dictionary[symbol.codes[i]!]!, ask[i]!, ctx.clock.now());
            ids.push(order.order_id);
            out.push(order);
          }
          emit(out);
        }),
      ]),
});

const a = JSON.parse(process.argv[2] ?? '{}') as T2tProcessArgs;
const specs = new Map<string, AnySpec>([...registry, ['bench.sample', sample], ['bench.ioc', ioc]]);
const summary = await runLiveSession({
  topologyFile: a.topology,
  registry: specs,
  dataDir: a.data,
  outDir: a.out,
  date: a.date,
  speed: a.speed,
  seconds: a.seconds,
  statusSeconds: 0,
  ...(a.group ? { group: { name: a.group, runId: a.runId } } : {}),
});
writeFileSync(join(a.out, 'ids.json'), JSON.stringify(ids));
process.stdout.write(`${JSON.stringify({ events: summary.events, feed_seconds: summary.feed_seconds, lag_ms: summary.lag_ms })}\n`);
