/**
 * An execution algorithm wired to execution.book-broker as in examples/execution-algos.yaml: parent
 * orders from memory, quotes and trades from memory or a data folder, the broker's fills and states
 * fed back to the algorithm. For the tests of execution.twap, execution.vwap and execution.pov.
 */
import { openDataset } from '../../pipelines/io/dataset.ts';
import { readManifest } from '../../pipelines/data/manifest.ts';
import { type FeedBatches, feedSpec, runGraph, type SeenBatch } from '../../pipelines/harness/harness.ts';
import { loadTopology } from '../../pipelines/topology/load.ts';
import { TopologyError } from '../../pipelines/topology/problems.ts';
import { validateTopology } from '../../pipelines/topology/validate.ts';
import { registry } from '../../operators/index.ts';
import type { Session } from '../../operators/sdk/context.ts';
import { MINUTE, SECOND } from '../../lib/core/time.ts';
import { T0, quote } from './records.ts';
import type { DeadLetter, Fill, Order, OrderState, ParentOrderReport, Quote, Trade } from '../../schemas/types.generated.ts';

/**
 * A quote at k minutes 30 seconds, every minute to `minutes`: mid 100 + 0.01·(k mod 2), spread 2 cents,
 * `size` shown each side. The price moves every minute, so each quote is a fresh level.
 */
export function quotes(minutes: number, size: number, t0 = T0, symbol = 'A'): Quote[][] {
  return Array.from({ length: minutes }, (_, k) => {
    const mid = 100 + 0.01 * (k % 2);
    return [quote(symbol, t0 + k * MINUTE + 30 * SECOND, mid - 0.01, mid + 0.01, k + 1, { bid_size: size, ask_size: size })];
  });
}
/** The book-broker with nothing but the book: no latency, impact, fees or carry (each test turns on what it is about). */
export const plainBroker = {
  order_latency_us: 0,
  feed_latency_us: 0,
  impact_temporary: 0,
  impact_permanent: 0,
  taker_fee_bps: 0,
  maker_fee_bps: 0,
  borrow_bps_annual: 0,
  financing_bps_annual: 0,
};

export interface AlgoRun {
  /** Child orders, each with the clock time it was emitted at. */
  children: { at: number; order: Order }[];
  reports: ParentOrderReport[];
  fills: Fill[];
  states: OrderState[];
  deadLetters: DeadLetter[];
}

export async function runAlgoGraph(options: {
  type: 'execution.twap' | 'execution.vwap' | 'execution.pov';
  params: Record<string, unknown>;
  broker?: Record<string, unknown>;
  orders: FeedBatches;
  sessions: readonly Session[];
  /** Quotes and trades from memory … */
  quotes?: readonly Quote[][];
  trades?: readonly Trade[][];
  /** … or from this data folder. */
  data?: string;
}): Promise<AlgoRun> {
  const feeds = new Map<string, FeedBatches>([
    ['orders', options.orders],
    ['quotes', options.quotes ?? []],
    ['trades', options.trades ?? []],
  ]);
  const market = options.data
    ? `  - { name: quotes, type: source.replay }
  - { name: trades, type: source.replay, params: { dataset: trades, schema: Trade } }`
    : `  - { name: quotes, type: harness.feed, params: { schema: Quote, name: quotes } }
  - { name: trades, type: harness.feed, params: { schema: Trade, name: trades } }`;
  const yaml = `
nodes:
  - { name: orders, type: harness.feed, params: { schema: Order, name: orders } }
${market}
  - name: algo
    type: ${options.type}
    inputs: { orders: orders, quotes: quotes, trades: trades, fills: broker, states: broker.states }
    params: ${JSON.stringify(options.params)}
  - name: broker
    type: execution.book-broker
    inputs: { orders: algo, quotes: quotes, trades: trades }
    params: ${JSON.stringify(options.broker ?? plainBroker)}
`;
  const specs = new Map([...registry, ['harness.feed', feedSpec(feeds)]]);
  const { topology, problems } = validateTopology(loadTopology('algo.yaml', [], yaml), specs);
  if (!topology) throw new TopologyError(problems);
  const data = options.data;
  const manifest = data ? readManifest(data) : undefined;
  const run = await runGraph(topology, {
    sessions: options.sessions,
    observe: ['algo', 'algo.reports', 'broker', 'broker.states'],
    ...(data && manifest ? { openDataset: (name, schema) => openDataset(data, manifest, name, schema), universe: manifest.universe } : {}),
  });
  const records = <T>(edge: string): T[] => (run.edges.get(edge) ?? []).flatMap((b) => b.records as T[]);
  const children = (run.edges.get('algo') ?? []).flatMap((b: SeenBatch) => b.records.map((order) => ({ at: b.at, order: order as Order })));
  return {
    children,
    reports: records<ParentOrderReport>('algo.reports'),
    fills: records<Fill>('broker'),
    states: records<OrderState>('broker.states'),
    deadLetters: run.deadLetters,
  };
}
