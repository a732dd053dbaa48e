/**
 * The matching rules of the simple simulated broker, apart from any stream: a market order fills in
 * full at the first quote known at least `latencyUs` after it (a buy at the ask, a sell at the bid);
 * a limit order rests, one per symbol (a newer one cancels it), until a trade prints strictly through
 * its price, and fills at its limit. An IOC limit meets that first quote instead: it fills at the
 * touch when the touch is at or inside its limit, else it is cancelled. CANCEL removes a working
 * order; REPLACE removes one and puts itself in its place. Each call returns the fills and the
 * order-state changes it caused.
 */
import type { Fill, Order, OrderState, OrderStatus, Quote, Trade } from '../../schemas/types.generated.ts';
import { columnsOf, type EdgeBatch } from '../core/column-batch.ts';
import type { Micros } from '../core/time.ts';

export interface MatcherConfig {
  latencyUs: Micros;
  /** Fee per fill, basis points of notional. */
  feeBps: number;
}

/** What one call changed: fills, state records, and the orders it refused (with the reason). */
export interface MatchResult {
  fills: Fill[];
  states: OrderState[];
  rejected: { order: Order; reason: string; duplicate: boolean }[];
}

const empty = (): MatchResult => ({ fills: [], states: [], rejected: [] });
/** What a batch that touches no working order changes (most quote batches): shared, never written. */
const NOTHING: MatchResult = Object.freeze({ fills: [], states: [], rejected: [] });

export class TouchMatcher {
  /** Orders waiting for their first quote: market orders and IOC limits. */
  private readonly market = new Map<string, Order[]>();
  private readonly limits = new Map<string, Order>();
  private readonly seen = new Set<string>();

  constructor(private readonly config: MatcherConfig) {}

  /** Orders arriving at `now`: accepted (NEW), or rejected as duplicates or malformed. */
  submit(orders: readonly Order[], now: Micros): MatchResult {
    const out = empty();
    const reject = (o: Order, reason: string, duplicate = false): void => {
      out.rejected.push({ order: o, reason, duplicate });
      out.states.push(stateOf(o, 'REJECTED', 0, reason, o.ts_event, now));
    };
    for (const o of orders) {
      if (this.seen.has(o.order_id)) {
        reject(o, `duplicate order id ${o.order_id}: already executed or working`, true);
        continue;
      }
      this.seen.add(o.order_id);
      if (o.action === 'CANCEL') {
        const target = o.target_order_id === null ? undefined : this.take(o.target_order_id);
        if (!target) reject(o, `cancel of ${o.target_order_id}: no such working order (filled, cancelled, expired or unknown)`);
        else out.states.push(stateOf(target, 'CANCELLED', 0, `cancelled by order ${o.order_id}`, o.ts_event, now));
        continue;
      }
      if (!(o.qty > 0 && Number.isInteger(o.qty))) {
        reject(o, `quantity ${o.qty}: expected a positive whole number of shares`);
        continue;
      }
      if (o.action === 'REPLACE') {
        const target = o.target_order_id === null ? undefined : this.working(o.target_order_id);
        if (!target) {
          reject(o, `replace of ${o.target_order_id}: no such working order (filled, cancelled, expired or unknown)`);
          continue;
        }
        if (target.symbol !== o.symbol || target.side !== o.side) {
          reject(o, `replace of ${target.order_id}: expected its symbol and side (${target.symbol} ${target.side})`);
          continue;
        }
        this.take(target.order_id);
        out.states.push(stateOf(target, 'CANCELLED', 0, `replaced by order ${o.order_id}`, o.ts_event, now));
      }
      if (o.order_type === 'LIMIT' && o.time_in_force === 'IOC') {
        if (!(o.limit_price !== null && o.limit_price > 0)) {
          reject(o, `limit order without a positive limit price (${o.limit_price})`);
          continue;
        }
        this.queue(o);
      } else if (o.order_type === 'LIMIT') {
        if (!(o.limit_price !== null && o.limit_price > 0)) {
          reject(o, `limit order without a positive limit price (${o.limit_price})`);
          continue;
        }
        const replaced = this.limits.get(o.symbol);
        if (replaced) out.states.push(stateOf(replaced, 'CANCELLED', 0, `replaced by order ${o.order_id}`, o.ts_event, now));
        this.limits.set(o.symbol, o);
      } else {
        this.queue(o);
      }
      out.states.push(stateOf(o, 'NEW', 0, null, o.ts_event, now));
    }
    return out;
  }

  private queue(o: Order): void {
    const queue = this.market.get(o.symbol);
    if (queue) queue.push(o);
    else this.market.set(o.symbol, [o]);
  }

  /** The working order `id`, if any. */
  private working(id: string): Order | undefined {
    for (const o of this.limits.values()) if (o.order_id === id) return o;
    for (const queue of this.market.values()) for (const o of queue) if (o.order_id === id) return o;
    return undefined;
  }

  /** Removes the working order `id` and returns it. */
  private take(id: string): Order | undefined {
    const o = this.working(id);
    if (!o) return undefined;
    if (this.limits.get(o.symbol) === o) this.limits.delete(o.symbol);
    const queue = this.market.get(o.symbol);
    if (queue?.includes(o)) {
      queue.splice(queue.indexOf(o), 1);
      if (queue.length === 0) this.market.delete(o.symbol);
    }
    return o;
  }

  /** Market orders whose latency has passed fill at the touch of these quotes. */
  onQuotes(batch: EdgeBatch<Quote>, now: Micros): MatchResult {
    if (this.market.size === 0) return NOTHING;
    const quotes = columnsOf(batch);
    const { symbol, ts_event: tsEvent, ts_known: tsKnown, bid, ask } = quotes.columns;
    const out = empty();
    for (let i = quotes.start; i < quotes.end; i++) {
      const name = symbol.dictionary[symbol.codes[i]!]!;
      const queue = this.market.get(name);
      if (!queue) continue;
      const known = tsKnown[i]!;
      while (queue.length > 0 && known >= queue[0]!.ts_known + this.config.latencyUs) {
        const o = queue.shift()!;
        const touch = o.side === 'BUY' ? ask[i]! : bid[i]!;
        if (o.order_type === 'LIMIT' && (o.side === 'BUY' ? touch > o.limit_price! : touch < o.limit_price!)) {
          const reason = `IOC: the touch ${touch} was outside the limit ${o.limit_price} on arrival`;
          out.states.push(stateOf(o, 'CANCELLED', 0, reason, tsEvent[i]!, Math.max(now, known)));
          continue;
        }
        this.filled(out, o, touch, tsEvent[i]!, known, 'TAKER', now);
      }
      if (queue.length === 0) this.market.delete(name);
      if (this.market.size === 0) break;
    }
    return out;
  }

  /** Resting limits that a trade prints strictly through fill at their limit (corrections never fill). */
  onTrades(batch: EdgeBatch<Trade>, now: Micros): MatchResult {
    if (this.limits.size === 0) return NOTHING;
    const trades = columnsOf(batch);
    const { symbol, ts_event: tsEvent, ts_known: tsKnown, price, version } = trades.columns;
    const out = empty();
    for (let i = trades.start; i < trades.end; i++) {
      const name = symbol.dictionary[symbol.codes[i]!]!;
      const o = this.limits.get(name);
      if (!o || tsKnown[i]! < o.ts_known + this.config.latencyUs || version[i]! > 1) continue;
      const p = price[i]!;
      const through = o.side === 'BUY' ? p < o.limit_price! : p > o.limit_price!;
      if (!through) continue;
      this.limits.delete(name);
      this.filled(out, o, o.limit_price!, tsEvent[i]!, tsKnown[i]!, 'MAKER', now);
    }
    return out;
  }

  /** Every order still working, as EXPIRED (the run ended). */
  expireAll(now: Micros): MatchResult {
    const out = empty();
    for (const o of [...[...this.market.values()].flat(), ...this.limits.values()]) {
      out.states.push(stateOf(o, 'EXPIRED', 0, 'still working when the run ended', now, now));
    }
    this.market.clear();
    this.limits.clear();
    return out;
  }

  private filled(
    out: MatchResult,
    o: Order,
    price: number,
    tsEvent: Micros,
    tsKnown: Micros,
    liquidity: Fill['liquidity'],
    now: Micros,
  ): void {
    out.fills.push({
      ts_event: tsEvent,
      ts_known: tsKnown,
      fill_id: `${o.order_id}#1`,
      order_id: o.order_id,
      symbol: o.symbol,
      side: o.side,
      qty: o.qty,
      price,
      fee: o.qty * price * this.config.feeBps * 1e-4,
      liquidity,
    });
    // Known when the quote or trade that filled it is: a batch's records may come after `now`.
    out.states.push(stateOf(o, 'FILLED', o.qty, null, tsEvent, Math.max(now, tsKnown)));
  }
}

function stateOf(o: Order, status: OrderStatus, filled: number, reason: string | null, tsEvent: Micros, now: Micros): OrderState {
  const working = status === 'NEW' || status === 'PARTIALLY_FILLED';
  return {
    ts_event: tsEvent,
    ts_known: now,
    order_id: o.order_id,
    symbol: o.symbol,
    side: o.side,
    status,
    filled_qty: filled,
    remaining_qty: working ? o.qty - filled : 0,
    reason,
  };
}
