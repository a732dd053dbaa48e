/**
 * What pre-trade risk knows between orders: the positions held (the last portfolio state), the orders
 * it passed that have not filled yet (pending), the last mid of each symbol, and when it passed orders
 * (the rate window). From these it builds the {@link OrderView} an order is judged on (rules.ts); it
 * judges nothing itself.
 *
 * Positions are projected: held + pending, as if every pending order filled in full. A passed LIMIT
 * order replaces the pending LIMIT order of its symbol, as it does at the simulated brokers, so an
 * order is judged without the LIMIT order it would replace (`limitReplaces: false`: orders work side by
 * side, as at a venue). Pending orders are tracked only with `trackPending` (the
 * operator has a fills or an order-states port); without it the projection is the portfolio state
 * alone. Fills take their quantity off; order states cap what is left, so an order the broker
 * rejected, cancelled or expired stops counting.
 */
import type { Order, PortfolioState, Position, Quote } from '../../../schemas/types.generated.ts';
import { LatestValues } from '../../core/latest-values.ts';
import type { Micros } from '../../core/time.ts';
import type { KillState } from '../kill-switch.ts';

export interface Exposure {
  gross: number;
  net: number;
}

/** An order passed and not filled yet, with what is left of it. */
export interface PendingOrder {
  readonly order: Order;
  remaining: number;
}

/** Everything a rule may look at besides the order and the limits. */
export interface OrderView {
  readonly kill: Pick<KillState, 'mode' | 'reason'>;
  /** Last mid of the order's symbol; undefined before its first quote. */
  readonly mid: number | undefined;
  /** Equity of the last portfolio state; undefined before the first. */
  readonly equity: number | undefined;
  /** Projected position of the order's symbol before the order, without the LIMIT order it replaces. */
  readonly position: number;
  /** Σ|value| and Σ value of the projected positions at the last mids, before and after the order. */
  readonly exposure: { readonly before: Exposure; readonly after: Exposure };
  /** Orders passed within the rate window ending now. */
  readonly passedInWindow: number;
}

export interface BookOptions {
  /** Track passed orders until they fill (only when fills come back). */
  trackPending: boolean;
  /** Length of the rate window. */
  rateWindow: Micros;
  /**
   * Whether a new LIMIT order replaces the symbol's pending one, as the simulated brokers do (one
   * resting limit per symbol); at a venue orders work side by side (false). Default true.
   */
  limitReplaces?: boolean;
}

/** Quantity of an order with its sign: + buys, − sells. */
export function signedQty(o: Pick<Order, 'side' | 'qty'>): number {
  return o.side === 'BUY' ? o.qty : -o.qty;
}

export class PretradeBook {
  /** The positions of the last portfolio state (records are immutable: kept, not copied). */
  private readonly held = new Map<string, Readonly<Pick<Position, 'qty' | 'mark'>>>();
  private readonly mids = new LatestValues();
  private readonly pending = new Map<string, PendingOrder>();
  /** Σ signed remaining of the pending orders, by symbol. */
  private readonly pendingQty = new Map<string, number>();
  /** The pending LIMIT order of each symbol (at most one: a new one replaces it). */
  private readonly pendingLimit = new Map<string, string>();
  private readonly passedAt: Micros[] = [];
  /** Gross and net before, gross and net after the order, summed by addExposure. */
  private readonly sums = new Float64Array(4);
  private lastEquity: number | undefined;

  constructor(private readonly options: BookOptions) {}

  /** Equity of the last portfolio state; undefined before the first. */
  get equity(): number | undefined {
    return this.lastEquity;
  }

  /** Orders passed and not filled, in the order they passed. */
  working(): IterableIterator<Readonly<PendingOrder>> {
    return this.pending.values();
  }

  portfolio(state: PortfolioState): void {
    this.lastEquity = state.equity;
    const positions = state.positions;
    // The same symbols in the same order as the last state (the usual case): overwrite in place,
    // which keeps the map's order; else rebuild it in the state's order (exposures sum in that order).
    let same = positions.length === this.held.size;
    let i = 0;
    for (const symbol of this.held.keys()) {
      if (!same) break;
      same = positions[i++]!.symbol === symbol;
    }
    if (!same) this.held.clear();
    for (const p of positions) this.held.set(p.symbol, p);
  }

  /** A quote sets the symbol's mid, unless that is not a positive number. */
  quote(q: Quote): void {
    this.mid(q.symbol, (q.bid + q.ask) / 2);
  }

  /** A quote's mid, read from its columns (see {@link quote}). */
  mid(symbol: string, mid: number): void {
    if (mid > 0 && Number.isFinite(mid)) this.mids.set(symbol, mid);
  }

  /** A fill takes its quantity off its pending order (fills of unknown orders are ignored). */
  fill(orderId: string, qty: number): void {
    this.settle(orderId, qty);
  }

  /**
   * The broker's word on an order: at most `remaining` shares of it still work (0 once it is filled,
   * cancelled, rejected or expired). Only ever takes quantity off, so a state that arrives after the
   * fill it reports, or before it, settles the order once.
   */
  state(orderId: string, remaining: number): void {
    const entry = this.pending.get(orderId);
    if (entry && remaining < entry.remaining) this.settle(orderId, entry.remaining - Math.max(0, remaining));
  }

  /** Records an order that passed at `at`: it counts in the rate window, and is pending until filled. */
  pass(o: Order, at: Micros): void {
    if (o.action === 'CANCEL') {
      // Not an order of its own: its target stops counting as pending (whatever the venue says later).
      if (this.options.trackPending && o.target_order_id !== null) this.settle(o.target_order_id, Infinity);
      return;
    }
    this.passedAt.push(at);
    if (!this.options.trackPending) return;
    if (o.action === 'REPLACE' && o.target_order_id !== null) {
      if (this.pendingLimit.get(o.symbol) === o.target_order_id) this.pendingLimit.delete(o.symbol);
      this.settle(o.target_order_id, Infinity);
    }
    if (o.order_type === 'LIMIT' && this.options.limitReplaces !== false) {
      const replaced = this.pendingLimit.get(o.symbol);
      if (replaced !== undefined) this.settle(replaced, Infinity);
      this.pendingLimit.set(o.symbol, o.order_id);
    }
    this.pending.set(o.order_id, { order: o, remaining: o.qty });
    this.pendingQty.set(o.symbol, (this.pendingQty.get(o.symbol) ?? 0) + signedQty(o));
  }

  /** The view `o` is judged on at `now`; exposure and the rate count are worked out when first read. */
  view(o: Order, now: Micros, kill: OrderView['kill']): OrderView {
    // What `o` takes the place of: its REPLACE target, or the symbol's pending limit a new limit supersedes.
    const replacedId =
      o.action === 'REPLACE' && o.target_order_id !== null
        ? o.target_order_id
        : o.order_type === 'LIMIT' && this.options.limitReplaces !== false
          ? this.pendingLimit.get(o.symbol)
          : undefined;
    const pendingReplaced = replacedId === undefined ? undefined : this.pending.get(replacedId);
    const replaced = pendingReplaced ? signedQty({ side: pendingReplaced.order.side, qty: pendingReplaced.remaining }) : 0;
    const exposures = (): OrderView['exposure'] => this.exposures(o.symbol, -replaced, signedQty(o) - replaced);
    const passedInWindow = (): number => this.passedSince(now - this.options.rateWindow);
    let exposure: OrderView['exposure'] | undefined;
    let passed: number | undefined;
    return {
      kill,
      mid: this.mids.get(o.symbol),
      equity: this.lastEquity,
      position: this.position(o.symbol) - replaced,
      get exposure() {
        return (exposure ??= exposures());
      },
      get passedInWindow() {
        return (passed ??= passedInWindow());
      },
    };
  }

  /** Projected position of a symbol: held + pending. */
  position(symbol: string): number {
    return (this.held.get(symbol)?.qty ?? 0) + (this.pendingQty.get(symbol) ?? 0);
  }

  /**
   * Exposure of the projected positions with `before` (then `after`) added to `symbol`, at the last
   * mids (else the marks). Both in one pass over the symbols held, then pending, then `symbol`, each
   * once, in that order (the order the sums have always been taken in), without building a set of
   * them; each value is `position(s)` as that method computes it, times the price.
   */
  private exposures(symbol: string, before: number, after: number): OrderView['exposure'] {
    const sums = this.sums.fill(0);
    // forEach, not for…of over entries: no [key, value] array per symbol.
    this.held.forEach((h, s) =>
      this.addExposure(s, symbol, before, after, h.qty + (this.pendingQty.get(s) ?? 0), this.mids.get(s) ?? h.mark ?? 0),
    );
    this.pendingQty.forEach((q, s) => {
      if (!this.held.has(s)) this.addExposure(s, symbol, before, after, 0 + q, this.mids.get(s) ?? 0);
    });
    if (!this.held.has(symbol) && !this.pendingQty.has(symbol))
      this.addExposure(symbol, symbol, before, after, 0, this.mids.get(symbol) ?? 0);
    return { before: { gross: sums[0]!, net: sums[1]! }, after: { gross: sums[2]!, net: sums[3]! } };
  }

  private addExposure(s: string, symbol: string, before: number, after: number, position: number, price: number): void {
    const sums = this.sums;
    const valueBefore = (position + (s === symbol ? before : 0)) * price;
    const valueAfter = (position + (s === symbol ? after : 0)) * price;
    sums[0]! += Math.abs(valueBefore);
    sums[1]! += valueBefore;
    sums[2]! += Math.abs(valueAfter);
    sums[3]! += valueAfter;
  }

  /** Drops the passes at or before `start` and counts the rest. */
  private passedSince(start: Micros): number {
    while (this.passedAt.length > 0 && this.passedAt[0]! <= start) this.passedAt.shift();
    return this.passedAt.length;
  }

  /** Takes `qty` (Infinity: all) off a pending order. */
  private settle(orderId: string, qty: number): void {
    const entry = this.pending.get(orderId);
    if (!entry) return;
    const done = Math.min(qty, entry.remaining);
    const { symbol, side } = entry.order;
    this.pendingQty.set(symbol, (this.pendingQty.get(symbol) ?? 0) - (side === 'BUY' ? done : -done));
    entry.remaining -= done;
    if (entry.remaining > 1e-9) return;
    this.pending.delete(orderId);
    if (this.pendingLimit.get(symbol) === orderId) this.pendingLimit.delete(symbol);
    if (Math.abs(this.pendingQty.get(symbol)!) < 1e-9) this.pendingQty.delete(symbol);
  }
}
