/**
 * The order state machine that the simulated brokers and the OUCH node share: one pure transition
 * function from an order's tracked state and an event (accepted, filled, reduced, cancelled, rejected,
 * expired) to the next state, or the reason the event is not allowed in that state. `step` applies a
 * transition to a track and returns the OrderState record the graph sees.
 *
 * | from \ event        | accept | fill                      | reduce                   | cancel, expire | reject        |
 * |---------------------|--------|---------------------------|--------------------------|----------------|---------------|
 * | NEW                 | NEW    | PARTIALLY_FILLED / FILLED | NEW / CANCELLED at 0     | CANCELLED, EXPIRED | REJECTED  |
 * | PARTIALLY_FILLED    | —      | PARTIALLY_FILLED / FILLED | same / CANCELLED at 0    | CANCELLED, EXPIRED | —         |
 * | FILLED, CANCELLED, REJECTED, EXPIRED (terminal) | — | — | — | — | — |
 *
 * A fill larger than what remains leaves 0 remaining (a venue's execution is final); `accept` may set
 * the shares the venue accepted.
 *
 * @example
 * import type { Order } from '../../schemas/types.generated.ts';
 * declare const order: Order;
 * const t = track(order);
 * const at = { ts_event: 1, ts_known: 2 };
 * step(t, { kind: 'accept' }, at); // NEW
 * step(t, { kind: 'fill', qty: order.qty }, at); // FILLED
 * step(t, { kind: 'cancel', reason: 'too late' }, at); // 'order … is FILLED: cannot cancel'
 */
import type { Order, OrderState, OrderStatus } from '../../schemas/types.generated.ts';
import type { Micros } from '../core/time.ts';

export type OrderEvent =
  /** The venue accepted the order; `remaining` is the shares it accepted (default: what remains). */
  | { kind: 'accept'; remaining?: number }
  | { kind: 'fill'; qty: number }
  /** Part of the order withdrawn (a partial cancel); the order is CANCELLED when nothing is left. */
  | { kind: 'reduce'; by: number; reason: string }
  | { kind: 'cancel'; reason: string }
  | { kind: 'reject'; reason: string }
  | { kind: 'expire'; reason: string };

export interface OrderTrack {
  readonly order: Order;
  status: OrderStatus;
  filled: number;
  remaining: number;
}

export type Transition =
  | { ok: true; status: OrderStatus; filled: number; remaining: number; reason: string | null }
  | { ok: false; error: string };

const TERMINAL: ReadonlySet<OrderStatus> = new Set(['FILLED', 'CANCELLED', 'REJECTED', 'EXPIRED']);

/** A new order, not yet accepted: status NEW with all its shares remaining, and no record emitted. */
export function track(order: Order): OrderTrack {
  return { order, status: 'NEW', filled: 0, remaining: order.qty };
}

export const isTerminal = (status: OrderStatus): boolean => TERMINAL.has(status);

/** Whether the order can still trade: not in a terminal state and with shares left. */
export const isWorking = (t: Readonly<OrderTrack>): boolean => !TERMINAL.has(t.status) && t.remaining > 0;

/** The state after `e`, or why `e` is not allowed now. Pure. */
export function transition(t: Readonly<OrderTrack>, e: OrderEvent): Transition {
  if (TERMINAL.has(t.status)) return refused(t, e);
  switch (e.kind) {
    case 'accept':
      if (t.status !== 'NEW') return refused(t, e);
      return { ok: true, status: 'NEW', filled: t.filled, remaining: e.remaining ?? t.remaining, reason: null };
    case 'fill': {
      if (!(e.qty > 0)) return { ok: false, error: `order ${t.order.order_id}: fill of ${e.qty} shares, expected a positive number` };
      const remaining = Math.max(0, t.remaining - e.qty);
      return { ok: true, status: remaining === 0 ? 'FILLED' : 'PARTIALLY_FILLED', filled: t.filled + e.qty, remaining, reason: null };
    }
    case 'reduce': {
      const remaining = Math.max(0, t.remaining - e.by);
      if (remaining === 0) return { ok: true, status: 'CANCELLED', filled: t.filled, remaining: 0, reason: e.reason };
      return { ok: true, status: t.status, filled: t.filled, remaining, reason: `reduced by ${e.by}: ${e.reason}` };
    }
    case 'cancel':
      return { ok: true, status: 'CANCELLED', filled: t.filled, remaining: 0, reason: e.reason };
    case 'expire':
      return { ok: true, status: 'EXPIRED', filled: t.filled, remaining: 0, reason: e.reason };
    case 'reject':
      if (t.status !== 'NEW' || t.filled > 0) return refused(t, e);
      return { ok: true, status: 'REJECTED', filled: t.filled, remaining: 0, reason: e.reason };
  }
}

/** Why `e` is not allowed in `t`'s state. (A function of the module, not a closure made per transition: this runs per order event.) */
function refused(t: Readonly<OrderTrack>, e: OrderEvent): Transition {
  return { ok: false, error: `order ${t.order.order_id} is ${t.status}: cannot ${e.kind}` };
}

/** Applies `e` to `t` (mutating it) and returns its record, or the error string when `e` is not allowed (`t` unchanged). */
export function step(t: OrderTrack, e: OrderEvent, at: { ts_event: Micros; ts_known: Micros }): OrderState | string {
  const next = transition(t, e);
  if (!next.ok) return next.error;
  t.status = next.status;
  t.filled = next.filled;
  t.remaining = next.remaining;
  return stateRecord(t, next.reason, at);
}

/** The OrderState record of a track as it is now. */
export function stateRecord(t: Readonly<OrderTrack>, reason: string | null, at: { ts_event: Micros; ts_known: Micros }): OrderState {
  return {
    ts_event: at.ts_event,
    ts_known: at.ts_known,
    order_id: t.order.order_id,
    symbol: t.order.symbol,
    side: t.order.side,
    status: t.status,
    filled_qty: t.filled,
    remaining_qty: t.remaining,
    reason,
  };
}
