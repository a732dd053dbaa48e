/**
 * execution.book-broker — a simulated broker that honours the displayed book (rules in
 * lib/execution/book-matcher.ts): fills limited by the size shown at the touch; with the optional
 * `depth` input (BookDepth rows: the levels beyond the touch), takers walk those levels within their
 * limit; the rest waits for the next quotes; partial fills;
 * resting limits with a queue position (conservative or probabilistic); cancel/replace, IOC, DAY
 * orders expiring at the close; order and feed latency, each constant or drawn from a file of µs
 * values; square-root impact; maker/taker fees; short borrow and financing of the gross accrued at
 * each close. Fills on the main port, every order-state change on `states`, the costs of each fill and
 * each carry accrual on `costs` (ExecutionCost: spread, impact, fee, borrow, financing, separately).
 * Records are emitted at their ts_known (a timer), which the latencies put after the event.
 */
import { z } from 'zod';
import { DataError } from '../../lib/core/errors.ts';
import { BookMatcher, type Instruction, noReports, type Reports, type SymbolHandle } from '../../lib/execution/book-matcher.ts';
import { type Latency, readLatencies, sampleLatency } from '../../lib/execution/latency.ts';
import type { ExecutionCost, Fill, OrderState } from '../../schemas/types.generated.ts';
import { type Emitters, handlePorts, on, onColumns } from '../sdk/handle.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';

const inputs = definePorts({
  orders: { schema: 'Order', description: 'Orders to execute.' },
  quotes: { schema: 'Quote', description: 'Top of book: what takers fill against, and the queue of resting limits.' },
  trades: { schema: 'Trade', optional: true, description: 'Trades: what fills resting limits, and the volume impact is scaled by.' },
  depth: {
    schema: 'BookDepth',
    optional: true,
    description: 'Levels beyond the touch: what a taker larger than the touch walks, within its limit. Without it the rest waits.',
  },
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
  reads: (p) =>
    (['order_latency_file', 'feed_latency_file'] as const).flatMap((param) => (p[param] === null ? [] : [{ param, path: p[param] }])),
  prepare: async (p, run): Promise<Prepared> => {
    const load = (param: string, file: string | null): Latency | null => {
      if (file === null) return null;
      try {
        return readLatencies(file);
      } catch (err) {
        throw new DataError(`node "${run.node}" param ${param}`, (err as Error).message);
      }
    };
    return { order: load('order_latency_file', p.order_latency_file), feed: load('feed_latency_file', p.feed_latency_file) };
  },
  create:
    (p, ctx) =>
    ({ orders, quotes, trades, depth }) => {
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
      // A record known at the instant of the event that made it goes out with that event's batch;
      // one known later (the latencies) waits in the outbox for a timer at its ts_known, and so does
      // every record after it, so each port stays in ts_known order.
      const outbox = new Map<number, Reports>();
      let pendingMin = Infinity;
      let inline = noReports();
      const send = (r: Reports, to: Emitters<Ports>): void => {
        for (const { order: o, reason, duplicate, at } of r.rejected) {
          if (duplicate) duplicates.inc();
          ctx.deadLetter(o, reason, at);
        }
        if (r.fills.length > 0) to.out(r.fills);
        if (r.states.length > 0) to.states(r.states);
        if (r.costs.length > 0) to.costs(r.costs);
      };
      const flush = (at: number): void => {
        const r = outbox.get(at);
        outbox.delete(at);
        pendingMin = outbox.size === 0 ? Infinity : Math.min(...outbox.keys());
        if (r && emit) send(r, emit);
      };
      const boxAt = (t: number): Reports => {
        let box = outbox.get(t);
        if (!box) {
          outbox.set(t, (box = noReports()));
          if (t < pendingMin) pendingMin = t;
          ctx.clock.schedule(t, flush);
        }
        return box;
      };
      /** Sorts the records of an event at `at` (null: each record's own ts_known) into this batch's or the outbox. */
      const post = (r: Reports, at: number | null): void => {
        const now = (t: number): boolean => (at === null || t === at) && pendingMin >= t;
        for (const x of r.fills) (now(x.ts_known) ? inline : boxAt(x.ts_known)).fills.push(x);
        for (const x of r.states) (now(x.ts_known) ? inline : boxAt(x.ts_known)).states.push(x);
        for (const x of r.costs) (now(x.ts_known) ? inline : boxAt(x.ts_known)).costs.push(x);
        for (const x of r.rejected) (now(x.at.ts_known) ? inline : boxAt(x.at.ts_known)).rejected.push(x);
      };
      // The matcher's state of each dictionary code, looked up once per dictionary (batches share them).
      const handles = new WeakMap<readonly string[], SymbolHandle[]>();
      const handlesOf = (dictionary: readonly string[]): SymbolHandle[] => {
        let h = handles.get(dictionary);
        if (!h) handles.set(dictionary, (h = dictionary.map((name) => matcher.symbol(name))));
        return h;
      };
      // The quote and trade handlers' reports, reused: most ticks report nothing (a Reports is five
      // allocations, and a replay hands over a million short runs of ticks), and post() moves what one
      // reported into the batch's or the outbox's own reports.
      const scratch = noReports();
      // Setting an array's length goes through the runtime even when it is already 0: only when needed.
      const cleared = (r: Reports): Reports => {
        if (r.fills.length > 0) r.fills.length = 0;
        if (r.states.length > 0) r.states.length = 0;
        if (r.costs.length > 0) r.costs.length = 0;
        if (r.rejected.length > 0) r.rejected.length = 0;
        return r;
      };
      const hasAny = (r: Reports): boolean => r.states.length > 0 || r.costs.length > 0 || r.rejected.length > 0;
      const done = (to: Emitters<Ports>): void => {
        if (!hasAny(inline)) return;
        const r = inline;
        inline = noReports();
        send(r, to);
      };
      // Instructions taking effect at the same instant share one timer, so their reports go out as one batch.
      const arriving = new Map<number, Instruction[]>();
      const activate = (at: number): void => {
        const due = arriving.get(at) ?? [];
        arriving.delete(at);
        const r = noReports();
        for (const ins of due) matcher.activate(ins, r);
        post(r, at);
        if (emit) done(emit);
      };
      const arrive = (ins: Instruction): void => {
        const due = arriving.get(ins.at);
        if (due) due.push(ins);
        else {
          arriving.set(ins.at, [ins]);
          ctx.clock.schedule(ins.at, activate);
        }
      };
      return handlePorts<Ports>(
        ctx,
        ['out', 'states', 'costs'],
        [
          on(orders, (batch, to) => {
            const r = noReports();
            for (const ins of matcher.submit(batch, ctx.clock.now(), r)) arrive(ins);
            post(r, null);
            done(to);
          }),
          onColumns(quotes, (batch, to) => {
            const { symbol, ts_known: known, bid, ask, bid_size: bidSize, ask_size: askSize } = batch.columns;
            const syms = handlesOf(symbol.dictionary);
            const r = cleared(scratch);
            for (let i = batch.start; i < batch.end; i++) {
              matcher.onQuote(syms[symbol.codes[i]!]!, known[i]!, bid[i]!, ask[i]!, bidSize[i]!, askSize[i]!, r);
              if (hasAny(r)) {
                post(r, known[i]!);
                cleared(r);
              }
            }
            done(to);
          }),
          onColumns(trades, (batch, to) => {
            const { symbol, ts_known: known, price, size, aggressor, version } = batch.columns;
            const syms = handlesOf(symbol.dictionary);
            const r = cleared(scratch);
            for (let i = batch.start; i < batch.end; i++) {
              const side = aggressor.dictionary[aggressor.codes[i]!]!;
              matcher.onTrade(syms[symbol.codes[i]!]!, known[i]!, price[i]!, size[i]!, side, version[i]!, r);
              if (hasAny(r)) {
                post(r, known[i]!);
                cleared(r);
              }
            }
            done(to);
          }),
          onColumns(depth, (batch) => {
            const { symbol, ts_event: event, side, level, price, size } = batch.columns;
            const syms = handlesOf(symbol.dictionary);
            for (let i = batch.start; i < batch.end; i++) {
              const why = matcher.onDepth(
                syms[symbol.codes[i]!]!,
                event[i]!,
                side.dictionary[side.codes[i]!]!,
                level[i]!,
                price[i]!,
                size[i]!,
              );
              if (why !== null) ctx.deadLetter(batch.record(i), why);
            }
          }),
        ],
        {
          start: (to) => {
            emit = to;
            sessions.forEach((s, i) =>
              ctx.clock.schedule(s.close, () => {
                const r = noReports();
                matcher.close(s.close, sessions[i + 1]?.close, r);
                post(r, s.close);
                if (emit) done(emit);
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
