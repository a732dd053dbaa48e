/**
 * From OUCH 4.2 outbound messages to the project's Fill and OrderState records, apart from any socket:
 * the logic of `execution.ouch`. Orders are recognised by their Order Token (the token of the order id,
 * `colo().ouchToken`, injected); the venue's messages map as follows:
 *
 * | OUCH outbound            | records                                                                   |
 * |--------------------------|---------------------------------------------------------------------------|
 * | Accepted 'A'             | NEW (remaining = the accepted shares)                                     |
 * | Executed 'E'             | a Fill (`order_id#match_number`, Price(4)/1e4, 'A' MAKER, 'R' TAKER, fee) and PARTIALLY_FILLED or FILLED |
 * | Canceled 'C', AIQ 'D'    | CANCELLED once nothing is left (reason from the code: 'U' user requested, 'I' immediate or cancel, ...); a partial decrement keeps the status with the smaller remainder |
 * | Rejected 'J'             | REJECTED (reason code spelled out: 'S' unknown symbol, ...), and a dead letter |
 * | Replaced 'U'             | the previous order CANCELLED ("replaced by order …"), the replacement NEW |
 * | others (S B P I T M)     | nothing (counted by the operator); a Broken Trade is a note               |
 *
 * A message naming an Order Token this run does not know (not sent by it, or finished longer ago than
 * `finishedKept` orders) is counted as unmatched and is a break: the venue and the run disagree on
 * which orders are open there.
 *
 * Every state change goes through the order state machine shared with the simulated broker
 * (order-machine.ts); a change it refuses (an execution after a cancel, say) becomes a note.
 * An answer that contradicts its order is a break, a dead letter of the operator: an execution of
 * more shares than were left or after the order finished (booked all the same: the position is the
 * venue's), of 0 shares or at a price of 0, or of a match already booked (neither booked), and an
 * acceptance of more shares than were sent.
 *
 * Records carry ts_event = the message's timestamp (ns since New York midnight) on the session's
 * date, in µs since the epoch, and ts_known = the time of receipt.
 *
 * Over a long session the memory stays bounded: an order leaves the working set when it is finished,
 * and the most recent 100,000 finished ones are kept by token (a message naming an older one counts
 * as unmatched, as another run's would).
 */
import type { Fill, Order, OrderState } from '../../schemas/types.generated.ts';
import type { Micros } from '../core/time.ts';
import { isTerminal, isWorking, type OrderEvent, type OrderTrack, step, track } from './order-machine.ts';

/** An OUCH outbound message by field name (colo's OuchClient), `type` its letter. */
export type OuchMessage = { readonly type: string } & Readonly<Record<string, string | number | bigint>>;

export interface OuchStatesConfig {
  /** Fee per fill, basis points of notional (the venue charges nothing; this is the modelled cost). */
  feeBps: number;
  /** The Order Token of an order id (colo().ouchToken). */
  token(orderId: string): string;
  /** UTC µs of midnight in New York on the session's date: OUCH timestamps count ns from it. */
  midnight: Micros;
  /**
   * Finished orders (filled, cancelled, rejected) kept by token so a late message about one (an
   * execution after a cancel) is a note on it: the most recent this many (default 100,000). An older
   * one's messages count as unmatched, so a day of orders does not grow the memory without bound.
   */
  finishedKept?: number;
}

/** What one call changed. `rejected` orders also go to dead letters; `notes` are for the log. */
export interface OuchUpdate {
  fills: Fill[];
  states: OrderState[];
  rejected: { order: Order; reason: string; at: { ts_event: Micros; ts_known: Micros } }[];
  notes: string[];
  /** The message named an order this run does not know (another run's, or one forgotten); each is also a break. */
  unmatched: number;
  /** Of those, the executions (Executed 'E'), each told as its token, shares and price: positions this run does not hold. */
  foreignExecutions: string[];
  /** The session's sequence number of the last message in it (none for refusals). */
  sequence?: number;
  /**
   * Answers of the venue that contradict the run's orders: one naming a token the run does not know,
   * or one that contradicts the order it names (an execution of more shares than were left, after a
   * cancel, at a price of 0, a match reported twice, an acceptance of more shares than were sent):
   * each a dead letter, the message as its input. What the venue reports as executed is booked all
   * the same (the position is the venue's), except what is no execution at all (0 shares, price 0),
   * a match already booked, and an execution of an order the run does not know.
   */
  breaks: { message: Record<string, string | number>; reason: string; at: { ts_event: Micros; ts_known: Micros } }[];
}

/** OUCH 4.2 Canceled reason codes. */
export const CANCEL_REASONS: Readonly<Record<string, string>> = {
  U: 'user requested',
  I: 'immediate or cancel',
  T: 'timeout',
  S: 'supervisory',
  D: 'regulatory restriction',
  Q: 'self-match prevention',
  Z: 'system cancel',
  C: 'cross canceled',
  K: 'market collars',
  H: 'halted',
  X: 'open protection',
  E: 'closed',
};

/** OUCH 4.2 Rejected reason codes. */
export const REJECT_REASONS: Readonly<Record<string, string>> = {
  T: 'test mode',
  H: 'halted',
  Z: 'shares exceed configured safety threshold',
  S: 'unknown symbol',
  X: 'invalid price',
  N: 'invalid minimum quantity',
  D: 'invalid display type',
  C: 'exchange closed',
  L: 'MPID not allowed for this port',
  M: 'outside of permitted times for clearing destination',
  R: 'order not allowed at this time',
  O: "other (OUCH 4.2 gives no detail: the venue's own records say why; alpha venue's audit names it)",
  W: 'invalid mid-point post only price',
  a: 'reject all enabled',
  b: 'easy to borrow reject',
  c: 'restricted symbol list reject',
  d: 'ISO order restriction',
  e: 'odd lot order restriction',
  f: 'mid-point order restriction',
  g: 'pre-market order restriction',
  h: 'post-market order restriction',
  i: 'short sale order restriction',
  j: 'on open order restriction',
  k: 'on close order restriction',
  l: 'two sided quote reject',
  m: 'exceeded shares limit',
  n: 'exceeded dollar value limit',
};

/** The OUCH 4.2 outbound messages that name an Order Token. */
const MESSAGE_NAMES: Readonly<Record<string, string>> = {
  A: 'Accepted',
  E: 'Executed',
  C: 'Canceled',
  D: 'AIQ Canceled',
  J: 'Rejected',
  U: 'Replaced',
};

const spelled = (table: Readonly<Record<string, string>>, code: string): string => `'${code}' ${table[code] ?? 'unknown code'}`;

/** A track kept under the token it was sent with, and the match numbers of its executions so far. */
type TokenTrack = OrderTrack & { readonly token: string; matches?: Set<string> };

export class OuchStates {
  /** The orders not finished yet, by token. */
  private readonly byToken = new Map<string, TokenTrack>();
  /** The most recent finished ones, oldest first (a Map keeps insertion order). */
  private readonly finished = new Map<string, TokenTrack>();
  private readonly finishedKept: number;

  constructor(private readonly config: OuchStatesConfig) {
    this.finishedKept = config.finishedKept ?? 100_000;
  }

  /** µs since the epoch of an OUCH timestamp (ns since New York midnight on the session's date). */
  eventTime(timestampNs: number): Micros {
    return this.config.midnight + Math.floor(timestampNs / 1000);
  }

  /** An order handed to the venue: NEW and REPLACE orders are tracked under their token (CANCEL uses its target's). */
  sent(order: Order, token = this.config.token(order.order_id)): void {
    if (order.action === 'CANCEL') return;
    // Not `{ ...track(order), token }`: in Node 20's V8 an object spread followed by another
    // property makes a new hidden class for every object (~0.7 µs, and a map kept as long as the
    // track is). A property added to the track follows one shared transition.
    const t = track(order) as OrderTrack & { token: string };
    t.token = token;
    this.byToken.set(token, t);
  }

  /** An order that could not be mapped to OUCH: REJECTED now, and a dead letter. */
  refused(order: Order, reason: string, now: Micros): OuchUpdate {
    const out = emptyUpdate();
    const at = { ts_event: now, ts_known: now };
    out.states.push(step(track(order), { kind: 'reject', reason }, at) as OrderState);
    out.rejected.push({ order, reason, at });
    return out;
  }

  /** One outbound message received at `now`; what it changed is added to `out` (a new update by default). */
  onMessage(m: OuchMessage, now: Micros, out: OuchUpdate = emptyUpdate()): OuchUpdate {
    const at = { ts_event: typeof m['timestamp'] === 'number' ? this.eventTime(m['timestamp']) : now, ts_known: now };
    switch (m.type) {
      case 'A': {
        const t = this.find(m, out, at, 'order_token');
        if (!t) break;
        const shares = Number(m['shares']);
        if (shares > t.order.qty)
          breakOf(
            out,
            m,
            at,
            `accepted ${shares} shares of order ${t.order.order_id}, which was for ${t.order.qty}: the venue holds more than was sent`,
          );
        this.apply(m, out, at, t, { kind: 'accept', remaining: shares });
        break;
      }
      case 'E': {
        const t = this.find(m, out, at, 'order_token');
        if (!t) {
          out.foreignExecutions.push(
            `token ${String(m['order_token'])}: ${String(m['executed_shares'])} shares at ${Number(m['execution_price']) / 1e4} (match ${String(m['match_number'])})`,
          );
          break;
        }
        const qty = Number(m['executed_shares']);
        const price = Number(m['execution_price']) / 1e4;
        const match = String(m['match_number']);
        if (!(Number.isSafeInteger(qty) && qty > 0 && price > 0 && Number.isFinite(price))) {
          breakOf(
            out,
            m,
            at,
            `an execution of ${qty} shares at ${price} for order ${t.order.order_id} is not an execution (expected shares > 0 at a price > 0): not booked`,
          );
          break;
        }
        t.matches ??= new Set();
        if (t.matches.has(match)) {
          breakOf(out, m, at, `match ${match} of order ${t.order.order_id} reported again: booked once`);
          break;
        }
        t.matches.add(match);
        if (isTerminal(t.status) || qty > t.remaining)
          breakOf(
            out,
            m,
            at,
            `an execution of ${qty} shares for order ${t.order.order_id}, ${isTerminal(t.status) ? `which is ${t.status}` : `which had ${t.remaining} left`}: booked as the venue reports it; reconcile with the venue`,
          );
        out.fills.push({
          ts_event: at.ts_event, // not `...at`: see sent()
          ts_known: at.ts_known,
          fill_id: `${t.order.order_id}#${String(m['match_number'])}`,
          order_id: t.order.order_id,
          symbol: t.order.symbol,
          side: t.order.side,
          qty,
          price,
          fee: (qty * price * this.config.feeBps) / 1e4,
          liquidity: m['liquidity_flag'] === 'A' ? 'MAKER' : 'TAKER',
        });
        this.apply(m, out, at, t, { kind: 'fill', qty });
        break;
      }
      case 'C':
      case 'D': {
        const t = this.find(m, out, at, 'order_token');
        if (t)
          this.apply(m, out, at, t, {
            kind: 'reduce',
            by: Number(m['decrement_shares']),
            reason: spelled(CANCEL_REASONS, String(m['reason'])),
          });
        break;
      }
      case 'J': {
        const t = this.find(m, out, at, 'order_token');
        if (!t) break;
        const reason = `rejected by the venue: ${spelled(REJECT_REASONS, String(m['reason']))}`;
        this.apply(m, out, at, t, { kind: 'reject', reason });
        out.rejected.push({ order: t.order, reason, at });
        break;
      }
      case 'U': {
        const previous = this.find(m, out, at, 'previous_order_token');
        const next = this.find(m, out, at, 'replacement_order_token');
        if (previous)
          this.apply(m, out, at, previous, {
            kind: 'cancel',
            reason: `replaced by order ${next?.order.order_id ?? String(m['replacement_order_token'])}`,
          });
        if (next) this.apply(m, out, at, next, { kind: 'accept', remaining: Number(m['shares']) });
        break;
      }
      case 'B':
        out.notes.push(
          `Broken Trade: token ${String(m['order_token'])} match ${String(m['match_number'])} reason '${String(m['reason'])}' (the Fill stands)`,
        );
        break;
      default:
        break;
    }
    return out;
  }

  /**
   * The order a message's token field names; a miss is counted as unmatched and is a break naming the
   * token: the venue holds (or held) an order the run cannot place, so they disagree on what is open.
   */
  private find(m: OuchMessage, out: OuchUpdate, at: { ts_event: Micros; ts_known: Micros }, field: string): TokenTrack | undefined {
    const token = String(m[field] ?? '');
    const t = this.byToken.get(token) ?? this.finished.get(token);
    if (!t) {
      out.unmatched++;
      breakOf(
        out,
        m,
        at,
        `${MESSAGE_NAMES[m.type] ?? 'message'} '${m.type}' names order token ${token}, which this run does not know (it did not send it, or it finished more than ${this.finishedKept} orders ago): the venue and this run disagree on which orders are open; reconcile with the venue`,
      );
    }
    return t;
  }

  /**
   * Every change goes through the shared state machine; a change it refuses (an execution after a
   * cancel, say) is a note, and the track keeps its state.
   */
  private apply(m: OuchMessage, out: OuchUpdate, at: { ts_event: Micros; ts_known: Micros }, t: TokenTrack, e: OrderEvent): void {
    const r = step(t, e, at);
    if (typeof r === 'string') out.notes.push(`OUCH '${m.type}': ${r}`);
    else {
      out.states.push(r);
      if (isTerminal(t.status)) this.finish(t);
    }
  }

  /** Moves a finished order's track out of the working ones, forgetting the oldest beyond `finishedKept`. */
  private finish(t: TokenTrack): void {
    if (this.byToken.get(t.token) !== t) return; // finished already
    this.byToken.delete(t.token);
    this.finished.set(t.token, t);
    if (this.finished.size > this.finishedKept) this.finished.delete(this.finished.keys().next().value!);
  }

  /** Whether an order is tracked under `token`. */
  tracks(token: string): boolean {
    return this.byToken.has(token) || this.finished.has(token);
  }

  /** Orders still working (NEW or PARTIALLY_FILLED with shares left). */
  working(): Order[] {
    return [...this.byToken.values()].filter(isWorking).map((t) => t.order);
  }
}

/** An update that changed nothing (what each call fills in). */
export function emptyUpdate(): OuchUpdate {
  return { fills: [], states: [], rejected: [], notes: [], unmatched: 0, foreignExecutions: [], breaks: [] };
}

/** A venue answer that contradicts its order, as a dead letter (bigint fields as decimal text, for JSON). */
function breakOf(out: OuchUpdate, m: OuchMessage, at: { ts_event: Micros; ts_known: Micros }, reason: string): void {
  const message: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(m)) message[k] = typeof v === 'bigint' ? String(v) : v;
  out.breaks.push({ message, reason, at });
}
