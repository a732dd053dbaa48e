/**
 * An OUCH 4.2 order entry session for `execution.ouch`: orders mapped by an {@link OrderEncoder} and
 * sent through a native OuchClient (reconnecting, queueing while disconnected), the venue's answers
 * turned into Fill and OrderState records by {@link OuchStates}, handed to `onUpdate` as they arrive.
 * `drain(ms)` waits (wall time, at most `ms`) until every message sent has had its first answer, then
 * logs out.
 *
 * A resumed run (`recovering`) connects only in `reconcile`: until then `register` records the orders
 * the dead run decided without sending them; `reconcile` reads the venue's whole session again and
 * says which of its messages the dead run had handled, which it had not, and which recorded orders
 * never reached the venue. From then on an order whose token the venue has seen is never sent again.
 */
import { colo, type OuchClient, type OuchClientEvent } from '../../native/colo/index.ts';
import type { Order } from '../../schemas/types.generated.ts';
import { AlphaError } from '../core/errors.ts';
import type { Micros } from '../core/time.ts';
import { OrderEncoder } from './order-encoder.ts';
import { emptyUpdate, type OuchMessage, OuchStates, type OuchUpdate } from './ouch-states.ts';

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
  /** A resumed run: no connection before `reconcile`. */
  recovering?: boolean;
  /**
   * After `reconcile`: each sequenced message as it arrives, unhandled, for the caller to `handle` at
   * its own step (so the backlog's messages and the ones after it are handled in the session's order).
   */
  onStepwise?: (sequence: number, message: OuchMessage | null, error?: string) => void;
  /** Session events (login, disconnected, rejected login, end). */
  onSessionEvent?: (event: Exclude<OuchClientEvent, { kind: 'message' }>) => void;
  /**
   * A login again that does not continue the session: the venue resumed it past messages this run
   * never received (their executions lost), or before the ones it did (another session: the venue
   * was restarted). What the session says of the run's orders can no longer be trusted.
   */
  onDiscontinuity?: (why: string) => void;
  /** OuchClientOptions.loginRetryMs: how long a login again refused 'S' after a drop is tried again. */
  loginRetryMs?: number;
}

/** What `reconcile` found at the venue. */
export interface Reconciled {
  /** Messages after the dead run's last captured one, in order, to handle as new (`handle`). */
  backlog: { sequence: number; message: OuchMessage | null; error?: string }[];
  /** Orders the dead run decided that the venue never received (REJECTED records, not sent now). */
  unsent: OuchUpdate;
  /** Messages of the session the dead run had handled already (state rebuilt, no record). */
  replayed: number;
}

const TOKEN_FIELDS = ['order_token', 'replacement_order_token', 'previous_order_token'] as const;

/** Messages handed to the client past which the log of them is cut to the client's queue. */
const SENT_LOG_TRIM = 4096;

/** The Order Tokens a venue message names. */
function tokensOf(m: OuchMessage | null): string[] {
  const tokens: string[] = [];
  if (m)
    for (const f of TOKEN_FIELDS) {
      const t = m[f];
      if (typeof t === 'string') tokens.push(t);
    }
  return tokens;
}

/** The encoder's refusal (`alpha: order ID: why`) as a dead letter's reason, its class first. */
function unsendable(o: Order, error: string): string {
  const prefix = `alpha: order ${o.order_id}: `;
  return `not sendable over OUCH: ${error.startsWith(prefix) ? error.slice(prefix.length) : error}`;
}

/** Resolves as `p`, or rejects at the wall time `deadline` (ms since the epoch). */
function withDeadline<T>(p: Promise<T>, deadline: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('deadline')), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export class OuchSession {
  private client: OuchClient | undefined;
  private readonly states: OuchStates;
  private readonly encoder: OrderEncoder;
  /** A resume: the tokens the venue's session names (never sent again), and the orders recorded before it reconciled. */
  private readonly known = new Set<string>();
  private readonly recorded = new Map<string, Order>();
  /** While reconciling: the session's messages as they arrive. */
  private history: Extract<OuchClientEvent, { kind: 'message' }>[] | undefined;
  private historyArrived: (() => void) | undefined;
  /** Reconciled: messages go to onStepwise, one step each, instead of onUpdate in batches. */
  private stepwise = false;
  /**
   * Tokens sent and not yet named by any answer, each with the orders sent under it in order (an
   * Enter, then a cancel of it under the same token: both are kept, so neither hides the other).
   */
  private readonly awaiting = new Map<string, Order[]>();
  /**
   * Every message handed to the client, in order, as its token and order: the client's queue is the
   * tail of this (it drains from the front), which says which orders were never written to a socket.
   * Trimmed to that tail from time to time.
   */
  private sentLog: { token: string; order: Order }[] = [];
  private answered: (() => void) | undefined;
  private closed = false;
  /** Sequenced messages handed to the state machine so far. */
  private handled = 0;
  /** The session the first login named (a later login naming another is a discontinuity). */
  private sessionName: string | undefined;

  constructor(private readonly options: OuchSessionOptions) {
    const c = colo();
    this.states = new OuchStates({ feeBps: options.feeBps, token: c.ouchToken, midnight: options.midnight });
    this.encoder = new OrderEncoder(options.marketCollar);
    if (!options.recovering) this.client = this.connect(1, (events) => this.onEvents(events));
  }

  private connect(nextSequence: number, onEvents: (events: readonly OuchClientEvent[]) => void): OuchClient {
    return new (colo().OuchClient)({
      port: this.options.port,
      username: this.options.username,
      password: this.options.password,
      ...(this.options.session.trim() === '' ? {} : { session: this.options.session.trim() }),
      nextSequence,
      ...(this.options.loginRetryMs === undefined ? {} : { loginRetryMs: this.options.loginRetryMs }),
      onEvents,
    });
  }

  /** A resume, before `reconcile`: the dead run decided these orders; recorded, not sent. */
  register(orders: readonly Order[]): void {
    const c = colo();
    for (const o of orders) {
      if (o.action === 'CANCEL') continue;
      // What the dead run could not map it refused (that refusal is in its capture).
      if (!this.encoder.encode(o).ok) continue;
      const token = c.ouchToken(o.order_id);
      this.states.sent(o, token);
      this.recorded.set(token, o);
    }
  }

  /**
   * A resume: logs in, reads the venue's session from its first message, rebuilds the orders'
   * states from the messages up to `handled` (the dead run's last captured one), and returns what
   * follows it. Fails (AlphaError) when the venue does not answer or replay in `ms` of wall time.
   */
  async reconcile(handled: number, now: Micros, ms = 10_000): Promise<Reconciled> {
    const where = `the venue's OUCH port 127.0.0.1:${this.options.port}`;
    const deadline = Date.now() + ms;
    // How long the session is: a login that asks for nothing old is told the next sequence number.
    const last = (await this.login(0, deadline, where)) - 1;
    if (last < handled)
      throw new AlphaError(
        `resume: ${where} holds ${last} messages but the dead run had handled ${handled}: it is another session (was the venue restarted?); its orders cannot be reconciled`,
      );
    await this.login(1, deadline, where, (client) => {
      this.client = client;
    });
    const history = this.history!;
    if (history.length < last) {
      const arrived = new Promise<void>((resolve) => {
        this.historyArrived = () => {
          if (history.length >= last) resolve();
        };
      });
      const ok = await withDeadline(arrived, deadline).then(
        () => true,
        () => false,
      );
      if (!ok)
        throw new AlphaError(`resume: ${where} replayed ${history.length} of its ${last} messages in ${ms / 1000} s: cannot reconcile`);
    }
    this.history = undefined;
    for (const h of history) for (const t of tokensOf(h.message)) this.known.add(t);
    let replayed = 0;
    const backlog: Reconciled['backlog'] = [];
    for (const h of history) {
      if (h.sequence <= handled) {
        if (h.message) this.states.onMessage(h.message, now); // what the dead run made of it is in its capture
        replayed++;
      } else backlog.push({ sequence: h.sequence, message: h.message, ...(h.error ? { error: h.error } : {}) });
    }
    this.handled = history.at(-1)?.sequence ?? 0;
    const unsent: OuchUpdate = emptyUpdate();
    for (const [token, o] of this.recorded)
      if (!this.known.has(token)) {
        const reason = `stale after the restart: order ${o.order_id} was decided before it and never reached the venue, so it is not sent`;
        const u = this.states.refused(o, reason, now);
        unsent.states.push(...u.states);
        unsent.rejected.push(...u.rejected);
      }
    this.recorded.clear();
    this.stepwise = true;
    return { backlog, unsent, replayed };
  }

  /**
   * Logs in asking for `nextSequence`: resolves with the next sequence number the venue names. With
   * `keep` the client stays (its messages go to `history` until reconciled); without it, it logs out.
   * A login refused as 'S' (the dead run's connection not yet gone at the venue) is tried again.
   */
  private async login(nextSequence: number, deadline: number, where: string, keep?: (client: OuchClient) => void): Promise<number> {
    for (;;) {
      let answer: (a: { next: number } | { refused: string; retry: boolean }) => void = () => {};
      const answered = new Promise<{ next: number } | { refused: string; retry: boolean }>((r) => {
        answer = r;
      });
      if (keep) this.history = [];
      /** Why the last attempt failed, when the venue broke SoupBinTCP (the client tries again meanwhile). */
      const attempt: { failed?: string } = {};
      const client = this.connect(nextSequence, (events) => {
        for (const e of events)
          if (e.kind === 'login') answer({ next: e.nextSequence });
          else if (e.kind === 'rejectedLogin') answer({ refused: `login rejected ('${e.reason}' ${e.text})`, retry: e.reason === 'S' });
          else if (e.kind === 'end') answer({ refused: 'the venue ended the session', retry: false });
          else if (e.kind === 'loginFailed' || e.kind === 'disconnected') attempt.failed = e.reason;
        if (this.history && keep) {
          for (const e of events) if (e.kind === 'message') this.history.push(e);
          this.historyArrived?.();
        } else if (keep) this.onEvents(events);
      });
      const a = await withDeadline(answered, deadline).catch(() => undefined);
      if (a && 'next' in a) {
        if (keep) keep(client);
        else client.close();
        return a.next;
      }
      client.close();
      if (a === undefined)
        throw new AlphaError(
          `resume: ${where} did not accept a login in time${attempt.failed === undefined ? '' : ` (the last attempt: ${attempt.failed})`}: cannot reconcile`,
        );
      if (!a.retry || Date.now() > deadline) throw new AlphaError(`resume: ${where}: ${a.refused}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** One message after `reconcile`, handled now (after the graph took the ones before it). */
  handle(m: OuchMessage | null, sequence: number, now: Micros, error?: string): OuchUpdate {
    return this.handleInto(emptyUpdate(), m, sequence, now, error);
  }

  /** `handle`, adding to `out` (the answers of one delivery go into one update, with no copies). */
  private handleInto(out: OuchUpdate, m: OuchMessage | null, sequence: number, now: Micros, error?: string): OuchUpdate {
    if (m) this.states.onMessage(m, now, out);
    else out.notes.push(`sequenced message ${sequence} does not decode: ${error ?? 'unknown error'}`);
    out.sequence = sequence;
    return out;
  }

  /** Sends each order; the ones that cannot be mapped (or sent) come back REJECTED at once. */
  submit(orders: readonly Order[], now: Micros): OuchUpdate {
    const out: OuchUpdate = emptyUpdate();
    const refuse = (o: Order, reason: string): void => {
      const u = this.states.refused(o, reason, now);
      out.states.push(...u.states);
      out.rejected.push(...u.rejected);
    };
    const c = colo();
    let held = false;
    for (const o of orders) {
      // OUCH's Replace Order carries no side or symbol: the venue would keep the original's.
      const target = o.action === 'REPLACE' ? this.states.working().find((w) => w.order_id === o.target_order_id) : undefined;
      if (target && (target.side !== o.side || target.symbol !== o.symbol)) {
        refuse(o, `replace of ${target.order_id}: expected its side ${target.side} and symbol ${target.symbol}, got ${o.side} ${o.symbol}`);
        continue;
      }
      const mapped = this.encoder.encode(o);
      if (!mapped.ok) {
        refuse(o, unsendable(o, mapped.error));
        continue;
      }
      const token = c.ouchToken(o.action === 'CANCEL' ? (o.target_order_id ?? '') : o.order_id);
      if (o.action !== 'CANCEL' && this.known.has(token)) {
        // A resume decided it again: the venue has it already (its messages tell its fate), so it is not sent twice.
        if (!this.states.tracks(token)) this.states.sent(o, token);
        continue;
      }
      const awaited = o.action !== 'CANCEL' || this.states.working().some((w) => w.order_id === o.target_order_id);
      this.states.sent(o, token);
      held = true;
      if (!this.client?.send(mapped.bytes, true)) {
        refuse(o, 'the OUCH session has ended (End of Session, a rejected login, or closed): not sent');
        continue;
      }
      this.sentLog.push({ token, order: o });
      if (awaited) {
        const orders = this.awaiting.get(token);
        if (orders) orders.push(o);
        else this.awaiting.set(token, [o]);
      }
    }
    // Only the client's queue needs its messages known: the log is cut to it now and then.
    if (this.sentLog.length > SENT_LOG_TRIM) {
      const waiting = this.client?.stats().waiting ?? 0;
      if (waiting < this.sentLog.length) this.sentLog = this.sentLog.slice(this.sentLog.length - waiting);
    }
    // The step's orders go out in one write: each written alone waits for the write before it,
    // which on loopback runs the venue's side of TCP (and often the venue) before it returns.
    if (held) this.client?.flush();
    return out;
  }

  /** Test only: resets the connection from this side; the client reconnects. */
  dropConnection(): void {
    this.client?.dropConnection();
  }

  stats() {
    return { ...this.client?.stats(), awaiting: this.awaiting.size, handled: this.handled };
  }

  /** The orders sent that the venue has not answered at all (their state at the venue is unknown). */
  unanswered(): Order[] {
    return [...this.awaiting.values()].flat();
  }

  /**
   * The order ids whose message still waits in the client's queue: never written to a socket (no
   * session took them), so the venue cannot have them. The queue is the tail of the messages handed
   * to the client; should its tokens not be that tail's, none is said to be unsent.
   */
  neverSent(): Set<string> {
    const queued = this.client?.unsentTokens() ?? [];
    const tail = this.sentLog.slice(Math.max(0, this.sentLog.length - queued.length));
    if (tail.length !== queued.length || tail.some((m, i) => m.token !== queued[i])) return new Set();
    return new Set(tail.map((m) => m.order.order_id));
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
    this.client?.close();
  }

  /**
   * Whether a login continues the session: the client asks for the message after the last it
   * received, and SoupBinTCP's answer names where the venue goes on. Another number, or another
   * session name, is a break the state machine cannot mend.
   */
  private discontinuity(session: string, next: number): string | undefined {
    const where = `the venue at 127.0.0.1:${this.options.port}`;
    const asked = this.handled + 1;
    const name = session.trim();
    this.sessionName ??= name;
    if (name !== this.sessionName)
      return `${where} logged this run in to OUCH session "${name}", not "${this.sessionName}" as before: another session (was the venue restarted?) knows nothing of this run's orders; reconcile with the venue's records`;
    if (next > asked)
      return `${where} resumed the OUCH session at message ${next}, but this run had received ${this.handled}: message${next - asked === 1 ? ` ${asked} is` : `s ${asked}..${next - 1} are`} lost, and with ${next - asked === 1 ? 'it' : 'them'} what became of its orders; reconcile with the venue's records`;
    if (next < asked)
      return `${where} resumed the OUCH session at message ${next}, but this run had received ${this.handled}: it is another session (was the venue restarted?) and knows nothing of this run's orders; reconcile with the venue's records`;
    return undefined;
  }

  private onEvents(events: readonly OuchClientEvent[]): void {
    const now = this.options.now();
    const out: OuchUpdate = emptyUpdate();
    for (const e of events) {
      if (e.kind !== 'message') {
        this.options.onSessionEvent?.(e);
        if (e.kind === 'login') {
          const why = this.discontinuity(e.session, e.nextSequence);
          if (why) this.options.onDiscontinuity?.(why);
        }
        continue;
      }
      this.handled++;
      for (const t of tokensOf(e.message)) this.awaiting.delete(t);
      // Reconciled (a resume): each message is the caller's, handled at a step of its own.
      if (this.stepwise && this.options.onStepwise) {
        this.options.onStepwise(e.sequence, e.message, e.error);
        continue;
      }
      this.handleInto(out, e.message, e.sequence, now, e.error);
    }
    if (!this.stepwise || !this.options.onStepwise) this.options.onUpdate(out);
    if (this.awaiting.size === 0) this.answered?.();
  }
}
