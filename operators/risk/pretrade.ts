/**
 * risk.pretrade — the gate between order generation and the broker: an order passes unchanged or
 * becomes a dead letter whose reason names the rule, the value and the limit (`max_notional: order
 * notional 1,234,567 > limit 1,000,000`), counted as `rejected_<rule>`. Rules, in the order checked:
 * restricted, invalid_order, kill_switch, max_qty, collar, max_notional, no_portfolio,
 * max_position_qty, max_position_notional, max_gross_exposure, max_net_exposure, rate_limit.
 *
 * Positions and exposures are judged as if the order filled in full, on the portfolio's positions plus
 * the orders this node passed that have not filled yet (pending). Pending orders are known only when
 * the optional `fills` feedback port is bound (a passed LIMIT order replaces the pending LIMIT order of
 * its symbol, as it does at the venue); without it the checks see the portfolio state alone. A limit
 * never blocks an order that moves its measure towards it. Exposure limits are multiples of equity.
 *
 * The kill switch (sdk/kill-switch.ts) follows the loss of equity since the session's start (a timer at
 * each session open of the calendar resets it): REDUCING lets through only orders that shrink |position|
 * without flipping it, HALTED nothing. The Order schema has no cancel, so on HALTED the orders still
 * working (passed, not filled) are reported as `kill_switch_cancel` dead letters and counted as
 * `working_at_halt`; they are not cancelled at the broker and stay pending for the checks.
 */
import { z } from 'zod';
import type { Fill, Order, PortfolioState, Quote } from '../../schemas/types.generated.ts';
import type { Micros } from '../sdk/context.ts';
import { initialKillState, stepKillSwitch, type KillEvent, type KillTransition } from '../../lib/portfolio/kill-switch.ts';
import { defineOperator } from '../sdk/spec.ts';
import { handle, on } from '../sdk/handle.ts';

const params = z.strictObject({
  max_order_qty: z.number().positive().default(250_000).describe('Largest order, in shares.'),
  max_order_notional: z.number().positive().default(1_000_000)
    .describe('Largest order notional, in currency: qty × limit price (× ref price for a market order).'),
  collar_bps: z.number().positive().max(10_000).default(500)
    .describe('Largest distance, in bps of the last mid, of a limit price (of the ref price of a market order); no quote yet rejects.'),
  max_position_qty: z.number().positive().default(1_000_000)
    .describe('Largest |position| of a symbol after the order (pending orders included), in shares.'),
  max_position_notional: z.number().positive().default(2_000_000)
    .describe('Largest |position| × last mid of a symbol after the order (pending orders included), in currency.'),
  max_gross_exposure: z.number().positive().default(2)
    .describe('Largest Σ |position value| after the order, as a multiple of equity (1 = 100%).'),
  max_net_exposure: z.number().min(0).default(1)
    .describe('Largest |Σ position value| after the order, as a multiple of equity.'),
  max_orders: z.number().int().min(1).default(100).describe('Most orders passed per rolling window of event time.'),
  rate_window_seconds: z.number().positive().default(1).describe('Length of the rate window, in seconds.'),
  restricted_symbols: z.array(z.string().min(1)).default([]).describe('Symbols never traded: every order for them is rejected.'),
  daily_loss_reduce: z.number().positive().max(1).default(0.02)
    .describe('Loss since the session start, as a fraction of its starting equity, that moves the kill switch to REDUCING.'),
  daily_loss_halt: z.number().positive().max(1).default(0.03)
    .describe('Loss since the session start, as a fraction of its starting equity, that moves the kill switch to HALTED.'),
  start_halted: z.boolean().default(false).describe('Start HALTED (a manual halt: no session start releases it).'),
})
  // Cross-field rules judge only values that are valid on their own (those report their own problem).
  .refine((p) => !(isFraction(p.daily_loss_reduce) && isFraction(p.daily_loss_halt)) || p.daily_loss_reduce <= p.daily_loss_halt, {
    path: ['daily_loss_reduce'], message: 'must be at most daily_loss_halt (REDUCING comes before HALTED)',
  })
  .refine((p) => !(p.max_net_exposure >= 0 && p.max_gross_exposure > 0) || p.max_net_exposure <= p.max_gross_exposure, {
    path: ['max_net_exposure'], message: 'must be at most max_gross_exposure (|net| never exceeds gross)',
  });

export type PretradeParams = z.output<typeof params>;

interface Rejection { rule: string; reason: string }
interface Pending { order: Order; remaining: number }

export const pretrade = defineOperator({
  type: 'risk.pretrade',
  summary: 'Pre-trade risk: size, price collar, position, exposure, rate and restricted-list checks, and a daily-loss kill switch.',
  inputs: {
    orders: { schema: 'Order', description: 'Orders to check; those that pass are emitted unchanged.' },
    quotes: { schema: 'Quote', description: 'Quotes, for the last mid of each symbol.' },
    portfolio: { schema: 'PortfolioState', feedback: true, description: 'Positions, equity and exposure.' },
    fills: { schema: 'Fill', optional: true, feedback: true, description: 'Fills of the passed orders, to track the pending ones.' },
  },
  output: 'Order',
  params,
  create: (p, ctx) => ({ orders, quotes, portfolio, fills }) => {
    const restricted = new Set(p.restricted_symbols);
    const mids = new Map<string, number>();
    const held = new Map<string, { qty: number; mark: number }>();
    const pending = new Map<string, Pending>();
    const pendingQty = new Map<string, number>();
    const pendingLimit = new Map<string, string>();
    const passedAt: Micros[] = [];
    const passed = ctx.metrics.counter('passed');
    let state: PortfolioState | undefined;
    let kill = initialKillState(p.start_halted ? 'start_halted param' : undefined);
    const limits = { reduceAtLoss: p.daily_loss_reduce, haltAtLoss: p.daily_loss_halt };

    const onTransition = (t: KillTransition): void => {
      ctx.metrics.counter(`kill_switch_${t.to.toLowerCase()}`).inc();
      const line = `kill switch ${t.from} → ${t.to} at ${iso(t.at)}: ${t.reason}`;
      if (t.to === 'ACTIVE') ctx.log.info(line);
      else ctx.log.warn(line);
      if (t.to !== 'HALTED') return;
      if (!fills) ctx.log.warn('kill switch HALTED: working orders unknown (the fills port is not bound)');
      for (const { order, remaining } of pending.values()) {
        ctx.metrics.counter('working_at_halt').inc();
        ctx.deadLetter(order, `kill_switch_cancel: order ${order.order_id} (${order.side} ${fmt(order.qty)} ${order.symbol}) still working, `
          + `${fmt(remaining)} unfilled, at HALTED; cancel it at the venue (no cancel path downstream of ${ctx.node})`, { ts_event: t.at, ts_known: t.at });
      }
    };
    const step = (event: KillEvent): void => {
      const r = stepKillSwitch(kill, event, limits);
      kill = r.state;
      if (r.transition) onTransition(r.transition);
    };
    const armSessionStart = (after: Micros): void => {
      const next = ctx.calendar.sessions.find((s) => s.open >= after);
      if (next) ctx.clock.schedule(next.open, (at) => { step({ kind: 'session_start', at, equity: state?.equity ?? null }); armSessionStart(at + 1); });
    };

    const position = (symbol: string): number => (held.get(symbol)?.qty ?? 0) + (pendingQty.get(symbol) ?? 0);
    const exposures = (symbol: string, delta: number): { gross: number; net: number } => {
      let gross = 0;
      let net = 0;
      for (const s of new Set([...held.keys(), ...pendingQty.keys(), symbol])) {
        const value = (position(s) + (s === symbol ? delta : 0)) * (mids.get(s) ?? held.get(s)?.mark ?? 0);
        gross += Math.abs(value);
        net += value;
      }
      return { gross, net };
    };

    const check = (o: Order, now: Micros): Rejection | null => {
      const reject = (rule: string, detail: string): Rejection => ({ rule, reason: `${rule}: ${detail}` });
      if (restricted.has(o.symbol)) return reject('restricted', `${o.symbol} is on the restricted list`);
      if (!(o.qty > 0 && Number.isFinite(o.qty))) return reject('invalid_order', `quantity ${o.qty} is not a positive number`);
      const price = o.order_type === 'LIMIT' ? o.limit_price : o.ref_price;
      if (price === null || !(price > 0 && Number.isFinite(price))) {
        return reject('invalid_order', `${o.order_type === 'LIMIT' ? 'limit' : 'ref'} price ${price} is not a positive number`);
      }
      const signed = o.side === 'BUY' ? o.qty : -o.qty;
      // A LIMIT order replaces the pending LIMIT order of its symbol: judge it without that one.
      const replacedId = o.order_type === 'LIMIT' ? pendingLimit.get(o.symbol) : undefined;
      const replaced = replacedId === undefined ? 0 : signedRemaining(pending.get(replacedId)!);
      const pos = position(o.symbol) - replaced;
      if (kill.mode === 'HALTED') return reject('kill_switch', `HALTED (${kill.reason}): no order passes`);
      if (kill.mode === 'REDUCING' && !(pos !== 0 && Math.sign(signed) === -Math.sign(pos) && o.qty <= Math.abs(pos))) {
        return reject('kill_switch', `REDUCING (${kill.reason}): ${o.side} ${fmt(o.qty)} does not reduce |position| ${fmt(Math.abs(pos))} of ${o.symbol}`);
      }
      if (o.qty > p.max_order_qty) return reject('max_qty', `order quantity ${fmt(o.qty)} > limit ${fmt(p.max_order_qty)}`);
      const mid = mids.get(o.symbol);
      if (mid === undefined) return reject('collar', `no quote for ${o.symbol} yet: cannot check the ${o.order_type === 'LIMIT' ? 'limit' : 'ref'} price ${fmt(price)}`);
      const bps = (Math.abs(price - mid) / mid) * 1e4;
      if (!(bps <= p.collar_bps)) {
        return reject('collar', `${o.order_type === 'LIMIT' ? 'limit' : 'ref'} price ${fmt(price)} is ${bps.toFixed(1)} bps from the last mid ${fmt(mid)} > limit ${fmt(p.collar_bps)} bps`);
      }
      const notional = o.qty * price;
      if (notional > p.max_order_notional) return reject('max_notional', `order notional ${fmt(notional)} > limit ${fmt(p.max_order_notional)}`);
      if (!state) return reject('no_portfolio', 'no portfolio state yet: positions and exposure unknown');
      const after = pos + signed;
      const grows = Math.abs(after) > Math.abs(pos);
      if (grows && Math.abs(after) > p.max_position_qty) {
        return reject('max_position_qty', `|position| of ${o.symbol} after the order ${fmt(Math.abs(after))} > limit ${fmt(p.max_position_qty)} shares`);
      }
      if (grows && Math.abs(after) * mid > p.max_position_notional) {
        return reject('max_position_notional', `|position| of ${o.symbol} after the order ${fmt(Math.abs(after) * mid)} > limit ${fmt(p.max_position_notional)}`);
      }
      const before = exposures(o.symbol, -replaced);
      const then = exposures(o.symbol, signed - replaced);
      const equity = state.equity;
      const multiple = (x: number): string => (equity > 0 ? ` (${(x / equity).toFixed(4)}× equity ${fmt(equity)})` : ` (equity ${fmt(equity)})`);
      if (then.gross > before.gross && then.gross > p.max_gross_exposure * equity) {
        return reject('max_gross_exposure', `gross exposure after the order ${fmt(then.gross)}${multiple(then.gross)} > limit ${p.max_gross_exposure}× = ${fmt(p.max_gross_exposure * equity)}`);
      }
      if (Math.abs(then.net) > Math.abs(before.net) && Math.abs(then.net) > p.max_net_exposure * equity) {
        return reject('max_net_exposure', `|net exposure| after the order ${fmt(Math.abs(then.net))}${multiple(Math.abs(then.net))} > limit ${p.max_net_exposure}× = ${fmt(p.max_net_exposure * equity)}`);
      }
      const windowUs = p.rate_window_seconds * 1e6;
      while (passedAt.length > 0 && passedAt[0]! <= now - windowUs) passedAt.shift();
      if (passedAt.length >= p.max_orders) {
        return reject('rate_limit', `${passedAt.length} orders passed in the last ${p.rate_window_seconds} s, limit ${p.max_orders}`);
      }
      return null;
    };

    const signedRemaining = (e: Pending): number => (e.order.side === 'BUY' ? e.remaining : -e.remaining);
    const track = (o: Order): void => {
      if (!fills) return;
      if (o.order_type === 'LIMIT') {
        const replaced = pendingLimit.get(o.symbol);
        if (replaced !== undefined) settle(replaced, Infinity);
        pendingLimit.set(o.symbol, o.order_id);
      }
      pending.set(o.order_id, { order: o, remaining: o.qty });
      pendingQty.set(o.symbol, (pendingQty.get(o.symbol) ?? 0) + (o.side === 'BUY' ? o.qty : -o.qty));
    };
    /** Takes `qty` (Infinity: all) off a pending order. */
    const settle = (orderId: string, qty: number): void => {
      const entry = pending.get(orderId);
      if (!entry) return;
      const done = Math.min(qty, entry.remaining);
      const { symbol, side } = entry.order;
      pendingQty.set(symbol, (pendingQty.get(symbol) ?? 0) - (side === 'BUY' ? done : -done));
      entry.remaining -= done;
      if (entry.remaining > 1e-9) return;
      pending.delete(orderId);
      if (pendingLimit.get(symbol) === orderId) pendingLimit.delete(symbol);
      if (Math.abs(pendingQty.get(symbol)!) < 1e-9) pendingQty.delete(symbol);
    };

    return handle<Order>(ctx, [
      on(portfolio, (batch: readonly PortfolioState[]) => {
          for (const s of batch) {
            state = s;
            step({ kind: 'equity', at: ctx.clock.now(), equity: s.equity });
          }
          if (!state) return;
          held.clear();
          for (const pos of state.positions) held.set(pos.symbol, { qty: pos.qty, mark: pos.mark });
        }, { feedback: true }),
      on(fills, (batch: readonly Fill[]) => { for (const f of batch) settle(f.order_id, f.qty); }, { feedback: true }),
      on(quotes, (batch: readonly Quote[]) => {
          for (const q of batch) {
            const mid = (q.bid + q.ask) / 2;
            if (mid > 0 && Number.isFinite(mid)) mids.set(q.symbol, mid);
          }
        }),
      on(orders, (batch: readonly Order[], emit) => {
          const out: Order[] = [];
          for (const o of batch) {
            const now = ctx.clock.now();
            const rejection = check(o, now);
            if (rejection) {
              ctx.metrics.counter(`rejected_${rejection.rule}`).inc();
              ctx.deadLetter(o, rejection.reason);
              continue;
            }
            passed.inc();
            passedAt.push(now);
            track(o);
            out.push(o);
          }
          emit(out);
        }),
    ], {
      start: () => {
        if (kill.mode === 'HALTED') {
          ctx.metrics.counter('kill_switch_halted').inc();
          ctx.log.warn(`kill switch starts HALTED: ${kill.reason}`);
        }
        armSessionStart(ctx.clock.now());
      },
    });
  },
});

function isFraction(x: number): boolean {
  return x > 0 && x <= 1;
}

function fmt(x: number): string {
  return x.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

function iso(us: Micros): string {
  return new Date(Math.floor(us / 1000)).toISOString();
}
