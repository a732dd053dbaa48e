/**
 * The matching rules of `execution.book-broker`, apart from any stream: a broker that honours the
 * displayed book (the top from quotes, the levels beyond it from depth rows when given), in the
 * observer's time (ts_known).
 *
 * - **Latency.** An instruction (NEW, CANCEL, REPLACE) sent at s reaches the venue at A = s + Lo
 *   (order latency) and acts on the book the venue had then, which the feed shows at A + Lf (feed
 *   latency): it takes effect at s + Lo + Lf against the last quote known before then. A market
 *   event known at k happened at the venue at k − Lf. A report (state, fill) of something that
 *   happened at venue time v is known at v + max(Lo, Lf): it travels back over the order link (Lo),
 *   and the simulator cannot know the book at v before the feed shows it (Lf). Lo and Lf are drawn
 *   per instruction; instructions of one symbol keep their order (one connection).
 * - **Displayed size.** A market order, or a limit that crosses on arrival, takes at most the size
 *   shown at the touch, less what it and earlier orders already took at that price since the touch
 *   last moved; the rest waits for the next quotes (market, DAY) or is cancelled (IOC). A marketable
 *   limit's rest then rests at its limit. Taker fills pay the square-root impact (impact.ts).
 * - **Depth.** When the broker is given the levels beyond the touch (`onDepth`, book-depth.ts), a
 *   taker that the touch did not fill walks them, best first, within its limit: at each level's
 *   price, up to its size less what was taken there while it was displayed; each level is a fill of
 *   its own (its price paid, plus the impact of its size). Only levels strictly beyond the touch in
 *   force count. What it still lacks follows the rule above.
 * - **Resting limits** keep a queue position (queue-position.ts). A trade at the order's price from the
 *   other side fills what of it reaches the order; a trade through the price from the other side fills
 *   up to the trade's size (its aggressor would have met the better-priced order first, but took no
 *   more than it printed). A print with no aggressor (UNKNOWN) is given
 *   one by the midpoint rule, and one at the mid fills nothing of ours. A
 *   quote whose opposite touch crosses the limit fills up to its size (a seller arriving at or below a
 *   resting buy trades with it), our orders in price priority. These are MAKER fills at the limit.
 * - **Sessions.** An instruction that reaches the venue outside a session is rejected; DAY orders
 *   expire at the session's close; the permanent impact resets there, and the carry of the positions
 *   the broker's own fills built is accrued (borrow on shorts, financing of the gross, ACT/360 for the
 *   calendar days until the next session's close).
 *
 * Order states go through the shared state machine (order-machine.ts).
 */
import type { ExecutionCost, Fill, Order, OrderState } from '../../schemas/types.generated.ts';
import { DAY, type Micros } from '../core/time.ts';
import { ImpactEstimate, type ImpactConfig } from './impact.ts';
import { isWorking, type OrderEvent, type OrderTrack, step, track } from './order-machine.ts';
import { DepthSide, walkLevels } from './book-depth.ts';
import { joinQueue, type QueueModel, type QueuePosition, quoteAtLevel, tradeAtLevel } from './queue-position.ts';

export interface BookMatcherConfig {
  /** A draw of the order and the feed latency, µs, for one instruction. */
  latency(): { order: Micros; feed: Micros };
  makerFeeBps: number;
  takerFeeBps: number;
  queue: QueueModel;
  queuePower: number;
  impact: ImpactConfig;
  borrowBpsAnnual: number;
  financingBpsAnnual: number;
  sessions: readonly { open: Micros; close: Micros }[];
}

/** What one call produced, every record stamped with the ts_known it is to be emitted at. */
export interface Reports {
  fills: Fill[];
  states: OrderState[];
  costs: ExecutionCost[];
  rejected: { order: Order; reason: string; duplicate: boolean; at: { ts_event: Micros; ts_known: Micros } }[];
}

export const noReports = (): Reports => ({ fills: [], states: [], costs: [], rejected: [] });

/** An instruction accepted by `submit`: to be handed back to `activate` at `at`. */
export interface Instruction {
  order: Order;
  at: Micros;
  lo: Micros;
  lf: Micros;
}

interface Working {
  t: OrderTrack;
  sign: 1 | -1;
  limit: number | null;
  ioc: boolean;
  /** Resting at its limit (after its arrival). */
  passive: boolean;
  queue: QueuePosition;
  lo: Micros;
  lf: Micros;
  fills: number;
}

/** One symbol's state at the matcher: from `symbol(name)`, for callers that look names up once. */
export type SymbolHandle = Sym;

interface Sym {
  name: string;
  quoted: boolean;
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
  /** Shares taken at the current ask / bid price since it last moved. */
  takenAsk: number;
  takenBid: number;
  working: Working[];
  impact: ImpactEstimate;
  position: number;
  /** When the symbol's last instruction takes effect (instructions keep their order). */
  lastAt: Micros;
  /** The levels beyond the touch, once a depth row of the symbol has been seen. */
  depth: { bid: DepthSide; ask: DepthSide } | null;
}

/** Sort key of price priority among orders of one side: a market order first, then the best limit. */
const priority = (w: Working): number => (w.limit === null ? -Infinity : -w.sign * w.limit);

export class BookMatcher {
  private readonly syms = new Map<string, Sym>();
  private readonly seen = new Set<string>();
  private session = 0;

  constructor(private readonly config: BookMatcherConfig) {}

  symbol(name: string): SymbolHandle {
    return this.sym(name);
  }

  private sym(name: string): Sym {
    let s = this.syms.get(name);
    if (!s) {
      s = {
        name,
        quoted: false,
        bid: 0,
        ask: 0,
        bidSize: 0,
        askSize: 0,
        takenAsk: 0,
        takenBid: 0,
        working: [],
        impact: new ImpactEstimate(this.config.impact),
        position: 0,
        lastAt: -Infinity,
        depth: null,
      };
      this.syms.set(name, s);
    }
    return s;
  }

  /**
   * Orders handed over at `now` (each sent at its ts_known, or `now` if later): checked at once (a malformed or duplicate order is REJECTED now), the others
   * returned as instructions that take effect at their `at`.
   */
  submit(orders: readonly Order[], now: Micros, out: Reports): Instruction[] {
    const due: Instruction[] = [];
    for (const o of orders) {
      // A batch may hold orders of several instants: each is sent when it is known.
      const sent = Math.max(now, o.ts_known);
      const reason = this.check(o);
      if (reason !== null) {
        const duplicate = this.seen.has(o.order_id);
        this.reject(out, o, duplicate ? `duplicate order id ${o.order_id}: already executed or working` : reason, duplicate, sent, sent);
        continue;
      }
      this.seen.add(o.order_id);
      const l = this.config.latency();
      const s = this.sym(o.symbol);
      const at = Math.max(sent + l.order + l.feed, s.lastAt);
      s.lastAt = at;
      due.push({ order: o, at, lo: l.order, lf: l.feed });
    }
    return due;
  }

  private check(o: Order): string | null {
    if (this.seen.has(o.order_id)) return 'duplicate';
    if (o.action === 'CANCEL') return o.target_order_id === null ? 'cancel without a target_order_id' : null;
    if (!(o.qty > 0 && Number.isInteger(o.qty))) return `quantity ${o.qty}: expected a positive whole number of shares`;
    if (o.action === 'REPLACE' && o.target_order_id === null) return 'replace without a target_order_id';
    if (o.order_type === 'LIMIT' && !(o.limit_price !== null && o.limit_price > 0 && Number.isFinite(o.limit_price)))
      return `limit order without a positive limit price (${o.limit_price})`;
    return null;
  }

  /** An instruction reaching the venue (called at its `at`). */
  activate(ins: Instruction, out: Reports): void {
    const { order: o, at, lo, lf } = ins;
    const venue = at - lf;
    const known = venue + Math.max(lo, lf);
    const s = this.sym(o.symbol);
    const target = o.target_order_id === null ? undefined : s.working.find((w) => w.t.order.order_id === o.target_order_id);
    if (o.action === 'CANCEL') {
      if (!target) {
        this.reject(
          out,
          o,
          `cancel of ${o.target_order_id}: no such working order of ${o.symbol} at the venue (filled, cancelled, expired or unknown)`,
          false,
          venue,
          known,
        );
      } else {
        this.transition(out, target, { kind: 'cancel', reason: `cancelled by order ${o.order_id}` }, venue, known);
        this.drop(s);
      }
      return;
    }
    if (!this.open(venue)) {
      this.reject(out, o, 'reached the venue outside a session (the market is closed)', false, venue, known);
      return;
    }
    if (o.action === 'REPLACE') {
      if (!target || target.t.order.side !== o.side) {
        const why = target
          ? `expected its side ${target.t.order.side}`
          : 'no such working order at the venue (filled, cancelled, expired or unknown)';
        this.reject(out, o, `replace of ${o.target_order_id}: ${why}`, false, venue, known);
        return;
      }
      this.transition(out, target, { kind: 'cancel', reason: `replaced by order ${o.order_id}` }, venue, known);
      this.drop(s);
    }
    const w: Working = {
      t: track(o),
      sign: o.side === 'BUY' ? 1 : -1,
      limit: o.order_type === 'LIMIT' ? o.limit_price : null,
      ioc: o.time_in_force === 'IOC',
      passive: false,
      queue: joinQueue(undefined),
      lo,
      lf,
      fills: 0,
    };
    this.transition(out, w, { kind: 'accept' }, venue, known);
    s.working.push(w);
    if (s.quoted) this.take(s, w, venue, known, out);
    if (w.ioc && isWorking(w.t)) {
      const shown = !s.quoted
        ? 'with no quote at the venue yet'
        : s.depth
          ? 'beyond the size shown at the touch and the levels within its limit'
          : 'beyond the size shown at the touch';
      this.transition(out, w, { kind: 'cancel', reason: `IOC: ${w.t.remaining} shares ${shown} on arrival` }, venue, known);
    } else if (isWorking(w.t) && w.limit !== null) {
      w.passive = true;
      w.queue = joinQueue(undefined);
      if (s.quoted) quoteAtLevel(w.queue, this.level(s, w), this.config.queue, this.config.queuePower);
    }
    this.drop(s);
  }

  /** One quote of a symbol (its name, or its handle), known at `k`. */
  onQuote(symbol: string | SymbolHandle, k: Micros, bid: number, ask: number, bidSize: number, askSize: number, out: Reports): void {
    const s = typeof symbol === 'string' ? this.sym(symbol) : symbol;
    if (s.depth !== null) this.moveTouch(s, s.depth, bid, ask);
    else {
      if (!s.quoted || ask !== s.ask) s.takenAsk = 0;
      if (!s.quoted || bid !== s.bid) s.takenBid = 0;
    }
    s.quoted = true;
    s.bid = bid;
    s.ask = ask;
    s.bidSize = bidSize;
    s.askSize = askSize;
    s.impact.mid(k, (bid + ask) / 2);
    if (s.working.length === 0) return;
    // What the quote shows goes to our orders in price priority (market orders first), then arrival.
    const byPriority = s.working.length > 1 ? [...s.working].sort((a, b) => priority(a) - priority(b)) : s.working;
    for (const w of byPriority) {
      const venue = k - w.lf;
      const known = venue + Math.max(w.lo, w.lf);
      if (!w.passive) this.take(s, w, venue, known, out);
      else if (w.sign > 0 ? ask <= w.limit! : bid >= w.limit!) this.take(s, w, venue, known, out);
      else quoteAtLevel(w.queue, this.level(s, w), this.config.queue, this.config.queuePower);
    }
    this.drop(s);
  }

  /**
   * One row of a symbol's depth (schemas/BookDepth.avsc), as the feed shows it: the levels beyond the
   * touch that takers walk. Returns why the row is refused (it does not extend the side's picture), or null.
   */
  onDepth(symbol: string | SymbolHandle, tsEvent: Micros, side: 'BID' | 'ASK', level: number, price: number, size: number): string | null {
    const s = typeof symbol === 'string' ? this.sym(symbol) : symbol;
    s.depth ??= { bid: new DepthSide(true), ask: new DepthSide(false) };
    return (side === 'BID' ? s.depth.bid : s.depth.ask).add(tsEvent, level, price, size);
  }

  /** With depth, what was taken at a touch price is remembered while the price stays displayed (book-depth.ts). */
  private moveTouch(s: Sym, depth: { bid: DepthSide; ask: DepthSide }, bid: number, ask: number): void {
    if (!s.quoted || ask !== s.ask) {
      if (s.quoted) depth.ask.leftTouch(s.ask, s.takenAsk);
      s.takenAsk = depth.ask.takenAt(ask);
    }
    if (!s.quoted || bid !== s.bid) {
      if (s.quoted) depth.bid.leftTouch(s.bid, s.takenBid);
      s.takenBid = depth.bid.takenAt(bid);
    }
  }

  /** One trade of `name`, known at `k`: resting limits at or through its price fill (corrections are ignored). */
  onTrade(symbol: string | SymbolHandle, k: Micros, price: number, size: number, aggressor: string, version: number, out: Reports): void {
    if (version > 1) return;
    const s = typeof symbol === 'string' ? this.sym(symbol) : symbol;
    s.impact.traded(size);
    if (s.working.length === 0) return;
    // The print's aggressor would have met our orders priced better than the print first, best price
    // first, then in arrival order, up to the size it printed; what is left reaches our orders at the
    // print's price through their queue. A print whose aggressor is on our order's side took a resting
    // order on the other side that crossed ours: the quote that showed it has filled ours already.
    // A print that does not say who took (UNKNOWN: data ingested without it) is classed by the quote
    // in force, the midpoint rule: above the mid a buyer took, below it a seller. At the mid, or before
    // any quote, it fills none of ours: a print has one taker, and it cannot tell which side.
    const taker = aggressor === 'BUY' || aggressor === 'SELL' ? aggressor : takerByMid(s, price);
    if (taker === undefined) return;
    let left = size;
    const resting = s.working.filter((w) => w.passive && isWorking(w.t) && taker !== w.t.order.side);
    const through = resting
      .filter((w) => (w.sign > 0 ? price < w.limit! : price > w.limit!))
      .sort((a, b) => (a.sign > 0 ? b.limit! - a.limit! : a.limit! - b.limit!));
    for (const w of through) {
      const qty = Math.min(w.t.remaining, Math.floor(left));
      if (qty <= 0) break;
      left -= qty;
      this.fill(s, w, qty, w.limit!, w.limit!, 'MAKER', k - w.lf, k - w.lf + Math.max(w.lo, w.lf), out);
    }
    for (const w of resting) {
      if (w.limit !== price || left <= 0 || !isWorking(w.t)) continue;
      // What an earlier order of ours at this level filled is not in front of this one any more.
      const qty = Math.min(w.t.remaining, Math.floor(tradeAtLevel(w.queue, left)));
      left -= qty;
      if (qty > 0) this.fill(s, w, qty, w.limit, w.limit, 'MAKER', k - w.lf, k - w.lf + Math.max(w.lo, w.lf), out);
    }
    this.drop(s);
  }

  /** The close of a session at `close`: DAY orders expire, the permanent impact resets, carry accrues. */
  close(close: Micros, nextClose: Micros | undefined, out: Reports): void {
    const days = nextClose === undefined ? 1 : Math.max(1, Math.round((nextClose - close) / DAY));
    for (const s of this.syms.values()) {
      for (const w of s.working)
        this.transition(out, w, { kind: 'expire', reason: 'DAY order: the session closed' }, close, close + Math.max(w.lo, w.lf));
      s.working = [];
      s.impact.shift = 0;
      if (s.position === 0 || !s.quoted) continue;
      const notional = Math.abs(s.position) * ((s.bid + s.ask) / 2);
      const year = (days / 360) * 1e-4;
      out.costs.push({
        ts_event: close,
        ts_known: close,
        symbol: s.name,
        fill_id: null,
        notional,
        spread: 0,
        impact: 0,
        fee: 0,
        borrow: s.position < 0 ? notional * this.config.borrowBpsAnnual * year : 0,
        financing: notional * this.config.financingBpsAnnual * year,
      });
    }
  }

  /** Every order still working, EXPIRED (the run ended at `now`). */
  expireAll(now: Micros, out: Reports): void {
    for (const s of this.syms.values()) {
      for (const w of s.working) this.transition(out, w, { kind: 'expire', reason: 'still working when the run ended' }, now, now);
      s.working = [];
    }
  }

  /** Signed shares the broker's fills have built in `symbol`. */
  position(symbol: string): number {
    return this.syms.get(symbol)?.position ?? 0;
  }

  private open(t: Micros): boolean {
    const sessions = this.config.sessions;
    while (this.session < sessions.length - 1 && sessions[this.session]!.close <= t) this.session++;
    let i = this.session;
    while (i > 0 && sessions[i]!.open > t) i--;
    const s = sessions[i];
    return s !== undefined && s.open <= t && t < s.close;
  }

  /** Where the touch of `w`'s own side stands against its limit. */
  private level(s: Sym, w: Working): number | 'behind' | 'hidden' {
    const touch = w.sign > 0 ? s.bid : s.ask;
    const limit = w.limit!;
    if (touch === limit) return w.sign > 0 ? s.bidSize : s.askSize;
    return (w.sign > 0 ? touch < limit : touch > limit) ? 'behind' : 'hidden';
  }

  /** Takes from the opposite touch what is shown there and not yet taken, within the order's limit. */
  private take(s: Sym, w: Working, venue: Micros, known: Micros, out: Reports): void {
    if (!isWorking(w.t)) return;
    const buy = w.sign > 0;
    const touch = buy ? s.ask : s.bid;
    if (!(touch > 0)) return;
    if (w.limit !== null && (buy ? touch > w.limit : touch < w.limit)) return;
    const available = buy ? s.askSize - s.takenAsk : s.bidSize - s.takenBid;
    const qty = Math.min(w.t.remaining, Math.floor(available));
    if (qty > 0) {
      if (buy) s.takenAsk += qty;
      else s.takenBid += qty;
      if (w.passive) this.fill(s, w, qty, w.limit!, w.limit!, 'MAKER', venue, known, out);
      else this.fill(s, w, qty, s.impact.price(touch, qty, w.sign).price, touch, 'TAKER', venue, known, out);
    }
    if (s.depth !== null && !w.passive && isWorking(w.t)) this.walk(s, w, buy ? s.depth.ask : s.depth.bid, touch, venue, known, out);
  }

  /** A taker walks the levels beyond the touch: a fill at each level's price, the level's spread and impact its own. */
  private walk(s: Sym, w: Working, side: DepthSide, touch: number, venue: Micros, known: Micros, out: Reports): void {
    for (const f of walkLevels(side.prices, side.available(), w.t.remaining, w.sign > 0, touch, w.limit)) {
      side.taken[f.index]! += f.qty;
      this.fill(s, w, f.qty, s.impact.price(f.price, f.qty, w.sign).price, f.price, 'TAKER', venue, known, out);
    }
  }

  private fill(
    s: Sym,
    w: Working,
    qty: number,
    price: number,
    reference: number,
    liquidity: Fill['liquidity'],
    venue: Micros,
    known: Micros,
    out: Reports,
  ): void {
    const o = w.t.order;
    const fillId = `${o.order_id}#${++w.fills}`;
    const notional = qty * price;
    const fee = (notional * (liquidity === 'MAKER' ? this.config.makerFeeBps : this.config.takerFeeBps)) / 1e4;
    out.fills.push({
      ts_event: venue,
      ts_known: known,
      fill_id: fillId,
      order_id: o.order_id,
      symbol: o.symbol,
      side: o.side,
      qty,
      price,
      fee,
      liquidity,
    });
    const mid = s.quoted ? (s.bid + s.ask) / 2 : reference;
    out.costs.push({
      ts_event: venue,
      ts_known: known,
      symbol: o.symbol,
      fill_id: fillId,
      notional,
      spread: w.sign * (reference - mid) * qty,
      impact: w.sign * (price - reference) * qty,
      fee,
      borrow: 0,
      financing: 0,
    });
    s.position += w.sign * qty;
    this.transition(out, w, { kind: 'fill', qty }, venue, known);
  }

  private transition(out: Reports, w: Working, e: OrderEvent, venue: Micros, known: Micros): void {
    const r = step(w.t, e, { ts_event: venue, ts_known: known });
    // The matcher only asks for transitions its own bookkeeping allows; anything else is a bug here.
    if (typeof r === 'string') throw new Error(`book matcher: ${r}`);
    out.states.push(r);
  }

  private reject(out: Reports, o: Order, reason: string, duplicate: boolean, venue: Micros, known: Micros): void {
    const at = { ts_event: venue, ts_known: known };
    out.states.push(step(track(o), { kind: 'reject', reason }, at) as OrderState);
    out.rejected.push({ order: o, reason, duplicate, at });
  }

  /** Forgets the orders of `s` that are done. */
  private drop(s: Sym): void {
    if (s.working.some((w) => !isWorking(w.t))) s.working = s.working.filter((w) => isWorking(w.t));
  }
}

/** Who took a print that does not say, by the midpoint rule; undefined at the mid or with no quote. */
function takerByMid(s: Pick<Sym, 'quoted' | 'bid' | 'ask'>, price: number): 'BUY' | 'SELL' | undefined {
  if (!s.quoted) return undefined;
  const mid = (s.bid + s.ask) / 2;
  return price > mid ? 'BUY' : price < mid ? 'SELL' : undefined;
}
