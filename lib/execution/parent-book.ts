/**
 * The book of an execution algorithm: the parent orders it works, one per symbol, their children at
 * the broker, and what those filled. The algorithm decides how much to send when (slicing.ts); this
 * book turns that into child orders, attributes the broker's fills and order states to their parent,
 * and reports each parent once its work is over and none of its children is still working.
 *
 * A child is the parent's order type and limit, immediate-or-cancel, id `PARENT/n`: it takes what the
 * book shows when it arrives and the rest is cancelled, so the next slice sends what is still missing.
 * A new parent for a symbol replaces the one being worked (its unsent work is dropped; children
 * already sent finish at the broker and count for it); a CANCEL of a parent drops its unsent work.
 */
import type { Micros } from '../core/time.ts';
import type { Fill, Order, OrderState, ParentOrderReport } from '../../schemas/types.generated.ts';
import { childQty } from './slicing.ts';
import { implementationShortfall } from './shortfall.ts';

export type ParentEnd = ParentOrderReport['status'];

export interface Parent {
  readonly order: Order;
  readonly arrivalAt: Micros;
  readonly arrivalMid: number;
  /** Shares filled so far. */
  filled: number;
  /** Shares of its children still working at the broker. */
  working: number;
  children: number;
  readonly fills: { qty: number; price: number; fee: number }[];
  /** Set once no more children will be sent. */
  ended: { status: ParentEnd; at: Micros } | null;
}

const TERMINAL = new Set<OrderState['status']>(['FILLED', 'CANCELLED', 'REJECTED', 'EXPIRED']);

export class ParentBook {
  /** The parent being worked for each symbol. */
  private readonly active = new Map<string, Parent>();
  /** Every parent not yet reported, by id. */
  private readonly open = new Map<string, Parent>();
  /** Children still working: their parent and unfilled shares. */
  private readonly children = new Map<string, { parent: Parent; remaining: number }>();

  constructor(private readonly algo: string) {}

  /**
   * A parent arrives at `at` with the symbol's mid then: it becomes the symbol's active parent, and
   * the one it replaces (if any) is ended as REPLACED. A CANCEL ends its target instead, and returns
   * undefined; so does a parent whose id is already known (undefined and `duplicate`).
   */
  arrive(order: Order, at: Micros, mid: number): { parent?: Parent; duplicate?: boolean } {
    if (order.action === 'CANCEL') {
      const target = order.target_order_id === null ? undefined : this.open.get(order.target_order_id);
      if (target && !target.ended) this.end(target, 'CANCELLED', at);
      return {};
    }
    if (this.open.has(order.order_id)) return { duplicate: true };
    const previous = this.active.get(order.symbol);
    if (previous && !previous.ended) this.end(previous, 'REPLACED', at);
    const parent: Parent = { order, arrivalAt: at, arrivalMid: mid, filled: 0, working: 0, children: 0, fills: [], ended: null };
    this.active.set(order.symbol, parent);
    this.open.set(order.order_id, parent);
    return { parent };
  }

  /** Whether the parent is still being worked (not ended, not replaced). */
  isWorking(parent: Parent): boolean {
    return parent.ended === null;
  }

  /**
   * The child that brings the parent to `target` filled or working, at most `cap` shares, priced
   * at `mid` for its ref_price; null when nothing is missing. When the target is the whole parent
   * and it is all filled, the parent ends as FILLED.
   */
  child(parent: Parent, target: number, at: Micros, mid: number, cap = Infinity): Order | null {
    if (parent.ended) return null;
    const qty = Math.floor(childQty(Math.min(target, parent.order.qty), parent.filled, parent.working, cap));
    if (qty <= 0) return null;
    parent.children += 1;
    parent.working += qty;
    const o = parent.order;
    const child: Order = {
      ts_event: at,
      ts_known: at,
      order_id: `${o.order_id}/${parent.children}`,
      symbol: o.symbol,
      side: o.side,
      qty,
      order_type: o.order_type,
      limit_price: o.limit_price,
      ref_price: mid,
      time_in_force: 'IOC',
      action: 'NEW',
      target_order_id: null,
    };
    this.children.set(child.order_id, { parent, remaining: qty });
    return child;
  }

  /** A fill of one of its children; false when the order is not one of them. */
  onFill(f: Fill): boolean {
    const c = this.children.get(f.order_id);
    if (!c) return false;
    const qty = Math.min(f.qty, c.remaining);
    c.remaining -= qty;
    c.parent.working -= qty;
    c.parent.filled += qty;
    c.parent.fills.push({ qty, price: f.price, fee: f.fee });
    if (c.parent.filled >= c.parent.order.qty && !c.parent.ended) this.end(c.parent, 'FILLED', f.ts_known);
    return true;
  }

  /** An order state: a child that is done stops counting as working. */
  onState(s: OrderState): void {
    if (!TERMINAL.has(s.status)) return;
    const c = this.children.get(s.order_id);
    if (!c) return;
    this.children.delete(s.order_id);
    c.parent.working -= c.remaining;
  }

  /** Ends the parent's work: no more children (those working finish). */
  end(parent: Parent, status: ParentEnd, at: Micros): void {
    if (parent.ended) return;
    parent.ended = { status, at };
    if (this.active.get(parent.order.symbol) === parent) this.active.delete(parent.order.symbol);
  }

  /** Ends every parent still worked (the session's close). */
  endAll(status: ParentEnd, at: Micros): void {
    for (const p of [...this.active.values()]) this.end(p, status, at);
  }

  /**
   * Reports of the parents whose work is over and whose children are all done, valued at `at` with
   * each symbol's mid from `midOf`; `all` reports every parent not yet reported (the run's end: a
   * child still working counts as unfilled, and a parent still worked as ENDED).
   */
  reports(at: Micros, midOf: (symbol: string) => number | undefined, all = false): ParentOrderReport[] {
    const out: ParentOrderReport[] = [];
    for (const p of [...this.open.values()]) {
      if (!all && (!p.ended || p.working > 0)) continue;
      if (!p.ended) this.end(p, 'ENDED', at);
      this.open.delete(p.order.order_id);
      out.push(this.report(p, at, midOf(p.order.symbol) ?? p.arrivalMid));
    }
    return out;
  }

  private report(p: Parent, at: Micros, endMid: number): ParentOrderReport {
    const o = p.order;
    const is = implementationShortfall({ side: o.side, qty: o.qty, decision: o.ref_price, arrival: p.arrivalMid, endMid, fills: p.fills });
    return {
      ts_event: at,
      ts_known: at,
      parent_order_id: o.order_id,
      symbol: o.symbol,
      side: o.side,
      algo: this.algo,
      status: p.ended!.status,
      arrival_ts: p.arrivalAt,
      qty: o.qty,
      filled_qty: is.filled,
      children: p.children,
      decision_price: o.ref_price,
      arrival_mid: p.arrivalMid,
      avg_price: is.avgPrice,
      end_mid: endMid,
      fees: is.fees,
      trading_cost: is.trading,
      opportunity_cost: is.opportunity,
      delay_cost: is.delay,
      shortfall: is.shortfall,
      shortfall_bps: is.bps,
    };
  }
}
