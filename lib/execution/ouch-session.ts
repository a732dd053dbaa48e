/**
 * An OUCH 4.2 order entry session for `execution.ouch`: orders mapped with `colo().orderToOuch` and
 * sent through a native OuchClient (reconnecting, queueing while disconnected), the venue's answers
 * turned into Fill and OrderState records by {@link OuchStates}, handed to `onUpdate` as they arrive.
 * `drain(ms)` waits (wall time, at most `ms`) until every message sent has had its first answer, then
 * logs out.
 */
import { colo, type OuchClient, type OuchClientEvent } from '../../native/colo/index.ts';
import type { Order } from '../../schemas/types.generated.ts';
import type { Micros } from '../core/time.ts';
import { OuchStates, type OuchUpdate } from './ouch-states.ts';

export interface OuchSessionOptions {
  port: number;
  username: string;
  password: string;
  /** Blank: the venue's current session. */
  session: string;
  marketCollar: number;
  feeBps: number;
  /** UTC µs of New York midnight on the session's date (OUCH timestamps count from it). */
  midnight: Micros;
  /** The time of receipt (ts_known). */
  now: () => Micros;
  /** The records of each batch of venue messages, in order. */
  onUpdate: (update: OuchUpdate) => void;
  /** Session events (login, disconnected, rejected login, end). */
  onSessionEvent?: (event: Exclude<OuchClientEvent, { kind: 'message' }>) => void;
}

export class OuchSession {
  private readonly client: OuchClient;
  private readonly states: OuchStates;
  /** Tokens sent and not yet named by any answer. */
  private readonly awaiting = new Set<string>();
  /** The order behind each token sent (a cancel's: the cancel request). */
  private readonly sentBy = new Map<string, Order>();
  private answered: (() => void) | undefined;
  private closed = false;
  /** Sequenced messages handed to the state machine so far. */
  private handled = 0;

  constructor(private readonly options: OuchSessionOptions) {
    const c = colo();
    this.states = new OuchStates({ feeBps: options.feeBps, token: c.ouchToken, midnight: options.midnight });
    this.client = new c.OuchClient({
      port: options.port,
      username: options.username,
      password: options.password,
      ...(options.session.trim() === '' ? {} : { session: options.session.trim() }),
      onEvents: (events) => this.onEvents(events),
    });
  }

  /** Sends each order; the ones that cannot be mapped (or sent) come back REJECTED at once. */
  submit(orders: readonly Order[], now: Micros): OuchUpdate {
    const out: OuchUpdate = { fills: [], states: [], rejected: [], notes: [], unmatched: 0 };
    const refuse = (o: Order, reason: string): void => {
      const u = this.states.refused(o, reason, now);
      out.states.push(...u.states);
      out.rejected.push(...u.rejected);
    };
    const c = colo();
    for (const o of orders) {
      // OUCH's Replace Order carries no side or symbol: the venue would keep the original's.
      const target = o.action === 'REPLACE' ? this.states.working().find((w) => w.order_id === o.target_order_id) : undefined;
      if (target && (target.side !== o.side || target.symbol !== o.symbol)) {
        refuse(o, `replace of ${target.order_id}: expected its side ${target.side} and symbol ${target.symbol}, got ${o.side} ${o.symbol}`);
        continue;
      }
      const mapped = c.orderToOuch(o, { market_collar: this.options.marketCollar });
      if (!mapped.ok) {
        refuse(o, mapped.error);
        continue;
      }
      const token = c.ouchToken(o.action === 'CANCEL' ? (o.target_order_id ?? '') : o.order_id);
      if (o.action !== 'CANCEL' || this.states.working().some((w) => w.order_id === o.target_order_id)) {
        this.awaiting.add(token);
        this.sentBy.set(token, o);
      }
      this.states.sent(o, token);
      if (!this.client.send(mapped.bytes)) {
        this.awaiting.delete(token);
        refuse(o, `order ${o.order_id}: the OUCH session has ended (End of Session, a rejected login, or closed)`);
      }
    }
    return out;
  }

  /** Test only: resets the connection from this side; the client reconnects. */
  dropConnection(): void {
    this.client.dropConnection();
  }

  stats() {
    return { ...this.client.stats(), awaiting: this.awaiting.size, handled: this.handled };
  }

  /** The orders sent that the venue has not answered at all (their state at the venue is unknown). */
  unanswered(): Order[] {
    return [...this.awaiting].flatMap((t) => {
      const o = this.sentBy.get(t);
      return o ? [o] : [];
    });
  }

  /** Waits until every message sent had an answer, or `ms` of wall time, then logs out. Idempotent. */
  async drain(ms: number): Promise<void> {
    if (this.closed) return;
    if (this.awaiting.size > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.answered = resolve;
        timer = setTimeout(resolve, ms);
      });
      clearTimeout(timer);
    }
    this.close();
  }

  /** Logs out; the events not yet delivered are handled before it returns. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }

  private onEvents(events: readonly OuchClientEvent[]): void {
    const now = this.options.now();
    const out: OuchUpdate = { fills: [], states: [], rejected: [], notes: [], unmatched: 0 };
    for (const e of events) {
      if (e.kind !== 'message') {
        this.options.onSessionEvent?.(e);
        continue;
      }
      this.handled++;
      if (!e.message) {
        out.notes.push(`sequenced message ${e.sequence} does not decode: ${e.error ?? 'unknown error'}`);
        continue;
      }
      for (const field of ['order_token', 'replacement_order_token', 'previous_order_token']) {
        const t = e.message[field];
        if (typeof t === 'string') this.awaiting.delete(t);
      }
      const u = this.states.onMessage(e.message, now);
      out.fills.push(...u.fills);
      out.states.push(...u.states);
      out.rejected.push(...u.rejected);
      out.notes.push(...u.notes);
      out.unmatched += u.unmatched;
    }
    this.options.onUpdate(out);
    if (this.awaiting.size === 0) this.answered?.();
  }
}
