/**
 * The rules of a broker that fills on bars, apart from any stream: a NEW order waits for the next bar
 * of its symbol that reaches the broker after it (a bar known at the same instant counts only when
 * it arrives after the order: an order from a timer at the close fills at that close, an order made
 * from a bar does not fill at that bar), and fills in full at that bar's close, a buy `slippage_bps`
 * above it and a sell below. A LIMIT order fills there only when that price is at or inside its limit,
 * else it is cancelled (a day order on daily bars). A newer order for the same symbol cancels a waiting
 * one; CANCEL removes a waiting order; REPLACE and bad quantities are refused. Fees in bps of notional.
 */
import type { Bar, Fill, Order, OrderState, OrderStatus } from '../../schemas/types.generated.ts';
import type { Micros } from '../core/time.ts';

export interface BarMatcherConfig {
  /** Fee per fill, basis points of notional. */
  feeBps: number;
  /** Price concession per fill, basis points of the close (a buy pays more, a sell gets less). */
  slippageBps: number;
}

export interface BarMatchResult {
  fills: Fill[];
  states: OrderState[];
  rejected: { order: Order; reason: string }[];
}

const empty = (): BarMatchResult => ({ fills: [], states: [], rejected: [] });

export class BarMatcher {
  private readonly waiting = new Map<string, Order>();
  private readonly seen = new Set<string>();

  constructor(private readonly config: BarMatcherConfig) {}

  submit(orders: readonly Order[], now: Micros): BarMatchResult {
    const out = empty();
    const reject = (o: Order, reason: string): void => {
      out.rejected.push({ order: o, reason });
      out.states.push(stateOf(o, 'REJECTED', 0, reason, now));
    };
    for (const o of orders) {
      if (this.seen.has(o.order_id)) {
        reject(o, `duplicate order id ${o.order_id}`);
        continue;
      }
      this.seen.add(o.order_id);
      if (o.action === 'CANCEL') {
        const target = [...this.waiting.values()].find((w) => w.order_id === o.target_order_id);
        if (!target) reject(o, `cancel of ${o.target_order_id}: no such waiting order`);
        else {
          this.waiting.delete(target.symbol);
          out.states.push(stateOf(target, 'CANCELLED', 0, `cancelled by order ${o.order_id}`, now));
        }
        continue;
      }
      if (o.action !== 'NEW') {
        reject(o, `action ${o.action}: the bar broker takes NEW and CANCEL orders`);
        continue;
      }
      if (!(o.qty > 0 && Number.isInteger(o.qty))) {
        reject(o, `quantity ${o.qty}: expected a positive whole number of shares`);
        continue;
      }
      if (o.order_type === 'LIMIT' && !(o.limit_price !== null && o.limit_price > 0 && Number.isFinite(o.limit_price))) {
        reject(o, `limit price ${o.limit_price}: expected a positive price`);
        continue;
      }
      const older = this.waiting.get(o.symbol);
      if (older) out.states.push(stateOf(older, 'CANCELLED', 0, `replaced by order ${o.order_id}`, now));
      this.waiting.set(o.symbol, o);
      out.states.push(stateOf(o, 'NEW', 0, null, now));
    }
    return out;
  }

  onBars(bars: readonly Bar[]): BarMatchResult {
    const out = empty();
    if (this.waiting.size === 0) return out;
    for (const bar of bars) {
      const o = this.waiting.get(bar.symbol);
      if (!o) continue;
      this.waiting.delete(bar.symbol);
      const s = this.config.slippageBps * 1e-4;
      const price = bar.close * (o.side === 'BUY' ? 1 + s : 1 - s);
      if (o.order_type === 'LIMIT' && (o.side === 'BUY' ? price > o.limit_price! : price < o.limit_price!)) {
        out.states.push(stateOf(o, 'CANCELLED', 0, `the close ${bar.close} is outside the limit ${o.limit_price}`, bar.ts_known));
        continue;
      }
      out.fills.push({
        ts_event: bar.ts_event,
        ts_known: bar.ts_known,
        fill_id: `${o.order_id}-1`,
        order_id: o.order_id,
        symbol: o.symbol,
        side: o.side,
        qty: o.qty,
        price,
        fee: (o.qty * price * this.config.feeBps) / 1e4,
        liquidity: 'TAKER',
      });
      out.states.push(stateOf(o, 'FILLED', o.qty, null, bar.ts_known));
    }
    return out;
  }

  /** The orders still waiting when the run ends: EXPIRED. */
  expireAll(now: Micros): BarMatchResult {
    const out = empty();
    for (const o of this.waiting.values()) out.states.push(stateOf(o, 'EXPIRED', 0, 'no bar of its symbol after it', now));
    this.waiting.clear();
    return out;
  }
}

function stateOf(o: Order, status: OrderStatus, filled: number, reason: string | null, now: Micros): OrderState {
  return {
    ts_event: now,
    ts_known: now,
    order_id: o.order_id,
    symbol: o.symbol,
    side: o.side,
    status,
    filled_qty: filled,
    remaining_qty: status === 'FILLED' ? 0 : o.qty - filled,
    reason,
  };
}
