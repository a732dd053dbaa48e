/**
 * execution.book-broker — a simulated broker that honours the displayed book (rules in
 * lib/execution/book-matcher.ts): fills limited by the size shown at the touch, the rest waiting for
 * the next quotes (the Quote schema has one level, so there is no deeper book to walk); partial fills;
 * resting limits with a queue position (conservative or probabilistic); cancel/replace, IOC, DAY
 * orders expiring at the close; order and feed latency, each constant or drawn from a file of µs
 * values; square-root impact; maker/taker fees; short borrow and financing of the gross accrued at
 * each close. Fills on the main port, every order-state change on `states`, the costs of each fill and
 * each carry accrual on `costs` (ExecutionCost: spread, impact, fee, borrow, financing, separately).
 * Records are emitted at their ts_known (a timer), which the latencies put after the event.
 */
import { z } from 'zod';
import { BookMatcher, type Instruction, noReports, type Reports } from '../../lib/execution/book-matcher.ts';
import { type Latency, readLatencies, sampleLatency } from '../../lib/execution/latency.ts';
import type { ExecutionCost, Fill, OrderState } from '../../schemas/types.generated.ts';
import { type Emitters, handlePorts, on, onColumns } from '../sdk/handle.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';

const inputs = definePorts({
  orders: { schema: 'Order', description: 'Orders to execute.' },
  quotes: { schema: 'Quote', description: 'Top of book: what takers fill against, and the queue of resting limits.' },
  trades: { schema: 'Trade', optional: true, description: 'Trades: what fills resting limits, and the volume impact is scaled by.' },
});

const latencyFile = z
  .string()
  .min(1)
  .max(4096)
  .nullable()
  .default(null)
  .describe(
    'A file of latencies in µs, one whole number a line (relative to the working folder), drawn per instruction with the seeded generator; null: the constant.',
  );

const params = z.strictObject({
  order_latency_us: z
    .number()
    .int()
    .min(0)
    .max(60_000_000)
    .default(500)
    .describe('Microseconds from sending an instruction to the venue receiving it (and from the venue to a report).'),
  order_latency_file: latencyFile,
  feed_latency_us: z
    .number()
    .int()
    .min(0)
    .max(60_000_000)
    .default(500)
    .describe('Microseconds from the venue’s book changing to the feed showing it.'),
  feed_latency_file: latencyFile,
  queue_model: z
    .enum(['conservative', 'probabilistic'])
    .default('conservative')
    .describe(
      'Queue position of resting limits: conservative (cancels never advance it) or probabilistic (cancels ahead in proportion f(ahead)/(f(ahead)+f(behind))).',
    ),
  queue_power: z.number().min(0.1).max(10).default(2).describe('n of f(x) = x^n in the probabilistic queue model.'),
  maker_fee_bps: z.number().min(-10).max(100).default(0).describe('Fee on maker fills, basis points of notional (negative: a rebate).'),
  taker_fee_bps: z.number().min(0).max(100).default(0.5).describe('Fee on taker fills, basis points of notional.'),
  impact_temporary: z
    .number()
    .min(0)
    .max(10)
    .default(0.3)
    .describe('η: temporary impact η·σ·√(q/V) of price on each taker fill (σ daily volatility, q shares, V daily volume).'),
  impact_permanent: z
    .number()
    .min(0)
    .max(10)
    .default(0.1)
    .describe('γ: permanent shift γ·σ·√(q/V) of the symbol’s later taker prices, until the close.'),
  impact_fallback_daily_vol: z.number().gt(0).max(1).default(0.02).describe('σ until 30 minutes of a symbol’s quotes have been seen.'),
  impact_fallback_daily_volume: z
    .number()
    .gt(0)
    .default(1_000_000)
    .describe('V (shares) until 30 minutes of a symbol’s quotes and some trades have been seen.'),
  borrow_bps_annual: z
    .number()
    .min(0)
    .max(10_000)
    .default(50)
    .describe('Short borrow cost, annual basis points of short notional, accrued at each close (ACT/360).'),
  financing_bps_annual: z
    .number()
    .min(0)
    .max(10_000)
    .default(25)
    .describe('Financing of the gross book, annual basis points of |position| notional, accrued at each close (ACT/360).'),
});

type Ports = { out: Fill; states: OrderState; costs: ExecutionCost };
interface Prepared {
  order: Latency | null;
  feed: Latency | null;
}

export const bookBroker = defineOperator({
  type: 'execution.book-broker',
  summary:
    'Simulated broker on the displayed book: size-limited and partial fills, queue position, latencies, impact, fees, borrow and financing.',
  inputs,
  output: 'Fill',
  outputs: { states: 'OrderState', costs: 'ExecutionCost' },
  params,
  prepare: async (p): Promise<Prepared> => ({
    order: p.order_latency_file === null ? null : readLatencies(p.order_latency_file),
    feed: p.feed_latency_file === null ? null : readLatencies(p.feed_latency_file),
  }),
  create:
    (p, ctx) =>
    ({ orders, quotes, trades }) => {
      const files = ctx.prepared ?? { order: null, feed: null };
      const order: Latency = files.order ?? { kind: 'constant', us: p.order_latency_us };
      const feed: Latency = files.feed ?? { kind: 'constant', us: p.feed_latency_us };
      const rng = ctx.rng.fork('latency');
      const sessions = ctx.calendar.sessions;
      const matcher = new BookMatcher({
        latency: () => ({ order: sampleLatency(order, rng), feed: sampleLatency(feed, rng) }),
        makerFeeBps: p.maker_fee_bps,
        takerFeeBps: p.taker_fee_bps,
        queue: p.queue_model,
        queuePower: p.queue_power,
        impact: {
          temporary: p.impact_temporary,
          permanent: p.impact_permanent,
          fallbackDailyVol: p.impact_fallback_daily_vol,
          fallbackDailyVolume: p.impact_fallback_daily_volume,
          minMinutes: 30,
        },
        borrowBpsAnnual: p.borrow_bps_annual,
        financingBpsAnnual: p.financing_bps_annual,
        sessions,
      });
      const duplicates = ctx.metrics.counter('duplicate_orders');
      let emit: Emitters<Ports> | undefined;
      // Records wait here until the clock reaches their ts_known (one timer per distinct time).
      const outbox = new Map<number, Reports>();
      const flush = (at: number): void => {
        const r = outbox.get(at);
        outbox.delete(at);
        if (!r || !emit) return;
        for (const { order: o, reason, duplicate, at: when } of r.rejected) {
          if (duplicate) duplicates.inc();
          ctx.deadLetter(o, reason, when);
        }
        if (r.fills.length > 0) emit.out(r.fills);
        if (r.states.length > 0) emit.states(r.states);
        if (r.costs.length > 0) emit.costs(r.costs);
      };
      const post = (r: Reports): void => {
        const add = <T extends { ts_known: number }>(list: readonly T[], pick: (b: Reports) => T[]): void => {
          for (const x of list) {
            let box = outbox.get(x.ts_known);
            if (!box) {
              outbox.set(x.ts_known, (box = noReports()));
              ctx.clock.schedule(x.ts_known, flush);
            }
            pick(box).push(x);
          }
        };
        add(r.fills, (b) => b.fills);
        add(r.states, (b) => b.states);
        add(r.costs, (b) => b.costs);
        add(
          r.rejected.map((x) => ({ ...x, ts_known: x.at.ts_known })),
          (b) => b.rejected as (Reports['rejected'][number] & { ts_known: number })[],
        );
      };
      const activate = (ins: Instruction): void => {
        const r = noReports();
        matcher.activate(ins, r);
        post(r);
      };
      return handlePorts<Ports>(
        ctx,
        ['out', 'states', 'costs'],
        [
          on(orders, (batch) => {
            const r = noReports();
            for (const ins of matcher.submit(batch, ctx.clock.now(), r)) ctx.clock.schedule(ins.at, () => activate(ins));
            post(r);
          }),
          onColumns(quotes, (batch) => {
            const { symbol, ts_known: known, bid, ask, bid_size: bidSize, ask_size: askSize } = batch.columns;
            const r = noReports();
            for (let i = batch.start; i < batch.end; i++) {
              matcher.onQuote(symbol.dictionary[symbol.codes[i]!]!, known[i]!, bid[i]!, ask[i]!, bidSize[i]!, askSize[i]!, r);
            }
            post(r);
          }),
          onColumns(trades, (batch) => {
            const { symbol, ts_known: known, price, size, aggressor, version } = batch.columns;
            const r = noReports();
            for (let i = batch.start; i < batch.end; i++) {
              const side = aggressor.dictionary[aggressor.codes[i]!]!;
              matcher.onTrade(symbol.dictionary[symbol.codes[i]!]!, known[i]!, price[i]!, size[i]!, side, version[i]!, r);
            }
            post(r);
          }),
        ],
        {
          start: (to) => {
            emit = to;
            sessions.forEach((s, i) =>
              ctx.clock.schedule(s.close, () => {
                const r = noReports();
                matcher.close(s.close, sessions[i + 1]?.close, r);
                post(r);
              }),
            );
          },
          end: (to) => {
            emit = to;
            for (const at of [...outbox.keys()].sort((a, b) => a - b)) flush(at);
            const r = noReports();
            matcher.expireAll(ctx.clock.now(), r);
            if (r.states.length > 0) ctx.metrics.counter('unfilled_at_end').inc(r.states.length);
            to.states(r.states);
          },
        },
      );
    },
});
