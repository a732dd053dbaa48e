/**
 * risk.pretrade — the gate between order generation and the broker: an order passes unchanged or
 * becomes a dead letter whose reason names the rule, the value and the limit (`max_notional: order
 * notional 1,234,567 > limit 1,000,000`), counted as `rejected_<rule>`. The rules, in the order checked
 * (restricted, invalid_order, kill_switch, max_qty, collar, max_notional, no_portfolio, max_position_qty,
 * max_position_notional, max_gross_exposure, max_net_exposure, rate_limit), are pure functions in
 * lib/portfolio/pretrade/rules.ts; what they judge on (positions held and pending, mids, the rate
 * window) is kept by lib/portfolio/pretrade/book.ts. This file wires the ports to them.
 *
 * Pending orders (passed, not done) are known only when the optional `fills` or `states` feedback
 * port is bound; without them the checks see the portfolio state alone. With fills alone an order
 * counts until it is filled, so one the broker rejected, cancelled or expired counts for ever: bind
 * the broker's `states`, which end it.
 *
 * The kill switch (lib/portfolio/kill-switch.ts) follows the loss of equity since the session's start
 * (a timer at each session open of the calendar resets it), and a live run's `alpha kill` halts it by
 * hand (no session start releases that): REDUCING lets through only orders that
 * shrink |position| without flipping it, HALTED nothing but cancels. On HALTED the orders still working
 * (passed, not done; known with the fills or states port) are counted as `working_at_halt` and, with
 * `cancel_at_halt` (the default), cancelled: a CANCEL order for each (`halt-ORDER_ID`) goes out at the
 * halt time, so a live run's venue cancels them (`cancelled_at_halt`). Without it they are reported as
 * `kill_switch_cancel` dead letters and stay pending for the checks. An order refused by the rate limit
 * also trips the switch to HALTED (`halt_on_rate_limit`, the default): a strategy that floods the venue
 * is stopped, not just thinned; the next session start releases it, as it does a loss-limit halt.
 *
 * When a live run stops (the `stop` command, a captured step the driver gives after the sources stop),
 * `cancel_at_stop` (the default) sends a CANCEL (`stop-ORDER_ID`) for every working order that can rest
 * at a venue (a DAY limit: a market or IOC order never rests), counted as `cancelled_at_stop`, and
 * passes no new order after it (`rejected_stopping`).
 */
import { z } from 'zod';
import type { Order } from '../../schemas/types.generated.ts';
import { isoTime, SECOND, type Micros } from '../../lib/core/time.ts';
import { initialKillState, KILL_MODES, stepKillSwitch, type KillEvent, type KillTransition } from '../../lib/portfolio/kill-switch.ts';
import { PretradeBook, type PendingOrder } from '../../lib/portfolio/pretrade/book.ts';
import { checkOrder, workingAtHaltReason, type PretradeLimits } from '../../lib/portfolio/pretrade/rules.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import { handle, on, onColumns } from '../sdk/handle.ts';
import { forEachMid } from '../sdk/quote-columns.ts';

const inputs = definePorts({
  orders: { schema: 'Order', description: 'Orders to check; those that pass are emitted unchanged.' },
  quotes: { schema: 'Quote', description: 'Quotes, for the last mid of each symbol.' },
  portfolio: { schema: 'PortfolioState', feedback: true, description: 'Positions, equity and exposure.' },
  fills: { schema: 'Fill', optional: true, feedback: true, description: 'Fills of the passed orders, to track the pending ones.' },
  states: {
    schema: 'OrderState',
    optional: true,
    feedback: true,
    description:
      "The broker's order states, to track the pending orders instead of the fills: an order it rejected, cancelled or expired stops counting (with fills alone it counts until filled).",
  },
});

const params = z
  .strictObject({
    max_order_qty: z.number().positive().default(250_000).describe('Largest order, in shares.'),
    max_order_notional: z
      .number()
      .positive()
      .default(1_000_000)
      .describe('Largest order notional, in currency: qty × limit price (× ref price for a market order).'),
    collar_bps: z
      .number()
      .positive()
      .max(10_000)
      .default(500)
      .describe('Largest distance, in bps of the last mid, of a limit price (of the ref price of a market order); no quote yet rejects.'),
    max_position_qty: z
      .number()
      .positive()
      .default(1_000_000)
      .describe('Largest |position| of a symbol after the order (pending orders included), in shares.'),
    max_position_notional: z
      .number()
      .positive()
      .default(2_000_000)
      .describe('Largest |position| × last mid of a symbol after the order (pending orders included), in currency.'),
    max_gross_exposure: z
      .number()
      .positive()
      .default(2)
      .describe('Largest Σ |position value| after the order, as a multiple of equity (1 = 100%).'),
    max_net_exposure: z.number().min(0).default(1).describe('Largest |Σ position value| after the order, as a multiple of equity.'),
    max_orders: z.number().int().min(1).default(100).describe('Most orders passed per rolling window of event time.'),
    rate_window_seconds: z.number().positive().default(1).describe('Length of the rate window, in seconds.'),
    restricted_symbols: z.array(z.string().min(1)).default([]).describe('Symbols never traded: every order for them is rejected.'),
    daily_loss_reduce: z
      .number()
      .positive()
      .max(1)
      .default(0.02)
      .describe('Loss since the session start, as a fraction of its starting equity, that moves the kill switch to REDUCING.'),
    daily_loss_halt: z
      .number()
      .positive()
      .max(1)
      .default(0.03)
      .describe('Loss since the session start, as a fraction of its starting equity, that moves the kill switch to HALTED.'),
    start_halted: z.boolean().default(false).describe('Start HALTED (a manual halt: no session start releases it).'),
    limit_replaces: z
      .boolean()
      .default(true)
      .describe(
        'A new LIMIT order replaces the symbol’s pending one, as the simulated brokers do; false for a venue, where orders work side by side (execution.ouch).',
      ),
    cancel_at_halt: z
      .boolean()
      .default(true)
      .describe('On HALTED, send a CANCEL for every order still working (false: report them as dead letters only).'),
    halt_on_rate_limit: z
      .boolean()
      .default(true)
      .describe(
        'An order refused by the rate limit (max_orders) also trips the kill switch to HALTED until the next session (false: that order alone is refused).',
      ),
    cancel_at_stop: z
      .boolean()
      .default(true)
      .describe(
        'When a live run stops (Ctrl-C, SIGTERM, --seconds), send a CANCEL for every working DAY limit order and pass no new order, so nothing is left working at the venue (false: leave them working).',
      ),
  })
  // Cross-field rules judge only values that are valid on their own (those report their own problem).
  .refine((p) => !(isFraction(p.daily_loss_reduce) && isFraction(p.daily_loss_halt)) || p.daily_loss_reduce <= p.daily_loss_halt, {
    path: ['daily_loss_reduce'],
    message: 'must be at most daily_loss_halt (REDUCING comes before HALTED)',
  })
  .refine((p) => !(p.max_net_exposure >= 0 && p.max_gross_exposure > 0) || p.max_net_exposure <= p.max_gross_exposure, {
    path: ['max_net_exposure'],
    message: 'must be at most max_gross_exposure (|net| never exceeds gross)',
  });

export type PretradeParams = z.output<typeof params>;

export const pretrade = defineOperator({
  type: 'risk.pretrade',
  summary:
    'Pre-trade risk: size, price collar, position, exposure, rate and restricted-list checks, and a kill switch (daily loss, rate limit, manual halt).',
  inputs,
  output: 'Order',
  params,
  create:
    (p, ctx) =>
    ({ orders, quotes, portfolio, fills, states }) => {
      const limits = toLimits(p);
      const book = new PretradeBook({
        trackPending: fills !== undefined || states !== undefined,
        rateWindow: p.rate_window_seconds * SECOND,
        limitReplaces: p.limit_replaces,
      });
      const passed = ctx.metrics.counter('passed');
      let kill = initialKillState(p.start_halted ? 'start_halted param' : undefined);
      const killLimits = { reduceAtLoss: p.daily_loss_reduce, haltAtLoss: p.daily_loss_halt };

      // The mode now, for a live run's status line and the hot tier: 0 ACTIVE, 1 REDUCING, 2 HALTED.
      const mode = ctx.metrics.gauge('kill_switch_mode');
      mode.set(KILL_MODES.indexOf(kill.mode));
      /** A CANCEL, at `at`, for what is left of a working order. */
      const cancelOf = ({ order: o, remaining }: Readonly<PendingOrder>, at: Micros, prefix: string): Order => ({
        ...o,
        ts_event: at,
        ts_known: at,
        order_id: `${prefix}-${o.order_id}`,
        qty: remaining,
        action: 'CANCEL',
        target_order_id: o.order_id,
      });
      /** Passes `cancels` (they settle their targets) and counts them under `counter`. */
      const passCancels = (cancels: Order[], at: Micros, counter: string): Order[] => {
        for (const c of cancels) book.pass(c, at);
        if (cancels.length > 0) {
          ctx.metrics.counter(counter).inc(cancels.length);
          passed.inc(cancels.length);
        }
        return cancels;
      };
      /** Logs a transition; on HALTED returns the cancels of the orders still working (to emit). */
      const onTransition = (t: KillTransition): Order[] => {
        ctx.metrics.counter(`kill_switch_${t.to.toLowerCase()}`).inc();
        mode.set(KILL_MODES.indexOf(t.to));
        const line = `kill switch ${t.from} → ${t.to} at ${isoTime(t.at)}: ${t.reason}`;
        if (t.to === 'ACTIVE') ctx.log.info(line);
        else ctx.log.warn(line);
        if (t.to !== 'HALTED') return [];
        if (!fills && !states) ctx.log.warn('kill switch HALTED: working orders unknown (neither the fills nor the states port is bound)');
        const cancels: Order[] = [];
        for (const working of [...book.working()]) {
          ctx.metrics.counter('working_at_halt').inc();
          if (p.cancel_at_halt) cancels.push(cancelOf(working, t.at, 'halt'));
          else ctx.deadLetter(working.order, workingAtHaltReason(working, ctx.node), { ts_event: t.at, ts_known: t.at });
        }
        return passCancels(cancels, t.at, 'cancelled_at_halt');
      };
      /** Steps the kill switch; returns the cancels a HALTED sends. */
      const step = (event: KillEvent): Order[] => {
        const r = stepKillSwitch(kill, event, killLimits);
        kill = r.state;
        return r.transition ? onTransition(r.transition) : [];
      };
      /** Set by the live run's `stop`: nothing new passes after it. */
      let stopping = false;
      /** The emitter outside the input handlers (a session start is a timer). */
      let emitAny: (orders: Order[]) => void = () => {};
      const armSessionStart = (after: Micros): void => {
        const next = ctx.calendar.sessions.find((s) => s.open >= after);
        if (!next) return;
        ctx.clock.schedule(next.open, (at) => {
          emitAny(step({ kind: 'session_start', at, equity: book.equity ?? null }));
          armSessionStart(at + 1);
        });
      };

      // `alpha kill`: a manual halt; only a person releases it (no session start does).
      ctx.onCommand('halt', (reason) => emitAny(step({ kind: 'manual_halt', at: ctx.clock.now(), reason })));
      // The live run stops: cancel what can rest at the venue, before the sinks flush and the session ends.
      if (p.cancel_at_stop)
        ctx.onCommand('stop', () => {
          const at = ctx.clock.now();
          stopping = true;
          if (!fills && !states)
            ctx.log.warn('stopping: working orders unknown (neither the fills nor the states port is bound); none cancelled');
          const resting = [...book.working()].filter(({ order: o }) => o.order_type === 'LIMIT' && o.time_in_force === 'DAY');
          const cancels = passCancels(
            resting.map((w) => cancelOf(w, at, 'stop')),
            at,
            'cancelled_at_stop',
          );
          if (cancels.length > 0) ctx.log.info(`stopping: cancelling ${cancels.length} working order(s)`);
          emitAny(cancels);
        });

      return handle<Order>(
        ctx,
        [
          on(
            portfolio,
            (batch, emit) => {
              for (const s of batch) {
                book.portfolio(s);
                emit(step({ kind: 'equity', at: ctx.clock.now(), equity: s.equity }));
              }
            },
            { feedback: true },
          ),
          // With states bound they alone say what is left (a fill and the state reporting it would count twice).
          on(
            fills,
            (batch) => {
              if (states === undefined) for (const f of batch) book.fill(f.order_id, f.qty);
            },
            { feedback: true },
          ),
          on(
            states,
            (batch) => {
              for (const s of batch) book.state(s.order_id, s.remaining_qty);
            },
            { feedback: true },
          ),
          onColumns(quotes, (batch) => forEachMid(batch, (symbol, mid) => book.mid(symbol, mid))),
          on(orders, (batch, emit) => {
            const out: Order[] = [];
            for (const o of batch) {
              const now = ctx.clock.now();
              if (o.action === 'CANCEL') {
                // A cancel only takes risk away: it passes in every kill-switch mode, unchecked.
                passed.inc();
                book.pass(o, now);
                out.push(o);
                continue;
              }
              if (stopping) {
                ctx.metrics.counter('rejected_stopping').inc();
                ctx.deadLetter(o, `stopping: the live run is stopping (cancel_at_stop); order ${o.order_id} not sent`);
                continue;
              }
              const rejection = checkOrder(o, book.view(o, now, kill), limits);
              if (rejection) {
                ctx.metrics.counter(`rejected_${rejection.rule}`).inc();
                ctx.deadLetter(o, rejection.reason);
                // After the orders of this batch that passed before it, so each cancel follows its order.
                if (rejection.rule === 'rate_limit' && p.halt_on_rate_limit)
                  out.push(...step({ kind: 'rate_limit', at: now, reason: `order ${o.order_id} refused (${rejection.reason})` }));
                continue;
              }
              passed.inc();
              book.pass(o, now);
              out.push(o);
            }
            emit(out);
          }),
        ],
        {
          start: (emit) => {
            emitAny = emit;
            if (kill.mode === 'HALTED') {
              ctx.metrics.counter('kill_switch_halted').inc();
              ctx.log.warn(`kill switch starts HALTED: ${kill.reason}`);
            }
            armSessionStart(ctx.clock.now());
          },
        },
      );
    },
});

function toLimits(p: PretradeParams): PretradeLimits {
  return {
    restricted: new Set(p.restricted_symbols),
    maxOrderQty: p.max_order_qty,
    maxOrderNotional: p.max_order_notional,
    collarBps: p.collar_bps,
    maxPositionQty: p.max_position_qty,
    maxPositionNotional: p.max_position_notional,
    maxGrossExposure: p.max_gross_exposure,
    maxNetExposure: p.max_net_exposure,
    maxOrders: p.max_orders,
    rateWindowSeconds: p.rate_window_seconds,
  };
}

function isFraction(x: number): boolean {
  return x > 0 && x <= 1;
}
