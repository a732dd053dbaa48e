/**
 * execution.ouch — live order entry to a venue over OUCH 4.2 / SoupBinTCP (127.0.0.1, e.g. colo_venue).
 * Each order is mapped with the Order → OUCH rules (native/colo/README.md: Enter, Cancel or Replace
 * Order; a market order becomes a marketable IOC limit within `market_collar` of its ref_price) and
 * sent; an order that cannot be mapped is REJECTED and a dead letter. The venue's answers become
 * records as they arrive (lib/execution/ouch-states.ts): Accepted → NEW, Executed → a Fill
 * (`order_id#match_number`) and PARTIALLY_FILLED / FILLED, Canceled → CANCELLED, Rejected → REJECTED
 * (also a dead letter), Replaced → the old order CANCELLED and the new one NEW. A message naming an
 * order token the run does not know is a dead letter naming the token (the venue and the run disagree
 * on which orders are open), as is an answer that contradicts its order. Each answer, and each
 * order refused before it was sent, is an external arrival of the live run (ctx.external): a step of
 * its own, captured, so the replay of the capture emits it at the same point. They carry ts_event =
 * the message's exchange timestamp on the run's session date and ts_known = the run's time at that
 * step. A dropped connection reconnects by itself at the next sequence number; orders meanwhile wait
 * and go out after the login. When the run stops it waits up to 1 s for the answers to what it sent
 * (the answers still arrive as steps), then logs out; an order still unanswered becomes a dead letter,
 * never a silent gap: counted as `unsent_orders` when it never left the client's queue (no session
 * took it: it is not at the venue), else as `unanswered_orders` (its state there is unknown).
 * A refused login, or a login again that does not continue the session (messages skipped, or
 * another session), fails the run: the orders' fate at the venue can no longer be known. A login
 * again after a drop that the venue refuses 'S' (it may still hold the dropped connection) is first
 * tried again for `login_retry_seconds`. An End of Session is an alert of the run (docs/live.md).
 * A connection lost, or a login the venue answers in breach of SoupBinTCP (a Login Accepted whose
 * sequence number does not parse), is a warning as it happens; no session for 5 s is an alert that
 * names how the last connection ended.
 */
import { z } from 'zod';
import { formatDate } from '../../lib/core/dates.ts';
import { AlphaError } from '../../lib/core/errors.ts';
import { everyWallInterval, wallMs } from '../../lib/core/wall-watch.ts';
import { newYorkMidnight } from '../../lib/core/exchange-time.ts';
import { OuchSession } from '../../lib/execution/ouch-session.ts';
import { SessionWatch } from '../../lib/execution/session-watch.ts';
import type { OuchMessage, OuchUpdate } from '../../lib/execution/ouch-states.ts';
import type { Fill, Order, OrderState } from '../../schemas/types.generated.ts';
import { type Emitters, handlePorts, on } from '../sdk/handle.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';

const inputs = definePorts({
  orders: { schema: 'Order', description: 'Orders to send to the venue.' },
});

const params = z.strictObject({
  port: z.number().int().min(1).max(65535).describe('The venue’s OUCH (SoupBinTCP) port on 127.0.0.1. Required.'),
  username: z
    .string()
    .regex(/^[A-Za-z0-9]{1,6}$/, 'expected 1..6 letters or digits (a SoupBinTCP username)')
    .default('alpha')
    .describe('SoupBinTCP username, 1..6 letters or digits.'),
  password: z
    .string()
    .regex(/^[A-Za-z0-9]{1,10}$/, 'expected 1..10 letters or digits (a SoupBinTCP password)')
    .default('alpha')
    .describe('SoupBinTCP password, 1..10 letters or digits.'),
  session: z.string().max(10).default('').describe('SoupBinTCP session to log in to; blank: the venue’s current one.'),
  market_collar: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.05)
    .describe('A market order is sent as an IOC limit this fraction through its ref_price (buy above, sell below).'),
  fee_bps: z
    .number()
    .min(0)
    .max(100)
    .default(0.5)
    .describe('Fee per fill in basis points of notional, written on each Fill (the venue itself charges nothing).'),
  login_retry_seconds: z
    .number()
    .min(0)
    .max(3600)
    .default(16)
    .describe(
      "After a dropped connection, how long a login the venue refuses as session not available ('S': it may still hold the dropped connection) is tried again, orders waiting meanwhile; 0: never. The default outlasts SoupBinTCP's 15 s to call a silent connection dead.",
    ),
});

/** Wall-clock ms the end of a run waits for the venue's answers to what was sent. */
const DRAIN_MS = 1000;

type Ports = { out: Fill; states: OrderState };

/** The sessions of the running execution.ouch nodes by node name: for tests (a forced reconnect) and operations tools. */
export const liveOuchSessions = new Map<string, OuchSession>();

export const ouch = defineOperator({
  type: 'execution.ouch',
  summary: 'Live order entry over OUCH 4.2 / SoupBinTCP: orders to the venue, its executions back as fills and order states.',
  external: true,
  inputs,
  output: 'Fill',
  outputs: { states: 'OrderState' },
  params,
  create:
    (p, ctx) =>
    ({ orders }) => {
      // OUCH timestamps count ns from New York midnight of the traded session's date.
      const first = (ctx.calendar.live ?? ctx.calendar.sessions[0])?.open ?? ctx.clock.now();
      const midnight = newYorkMidnight(formatDate(first));
      const unmatched = ctx.metrics.counter('unmatched_messages');
      const foreign = ctx.metrics.counter('foreign_executions');
      const disconnects = ctx.metrics.counter('disconnects');
      let emit: Emitters<Ports> | undefined;
      let ending = false;
      const report = (u: OuchUpdate, to: Emitters<Ports>): void => {
        for (const r of u.rejected) ctx.deadLetter(r.order, r.reason, r.at);
        for (const b of u.breaks) ctx.deadLetter(b.message, `the venue: ${b.reason}`, b.at);
        for (const n of u.notes) ctx.log.warn(n);
        unmatched.inc(u.unmatched);
        for (const e of u.foreignExecutions) {
          // An execution of no order of this run (another run's on the same user, or one finished
          // long ago): the venue holds a position this run does not book. Said once, then counted.
          if (foreign.value === 0)
            ctx.alert(
              `the venue executed an order this run did not send (${e}): its positions may differ from this run's; later ones are counted in foreign_executions`,
            );
          foreign.inc();
        }
        to.out(u.fills);
        to.states(u.states);
      };
      /** An update becomes a step of the run: stamped with the run's time when the step is taken. */
      const arrive = (u: OuchUpdate): void => {
        if (u.fills.length + u.states.length + u.rejected.length + u.notes.length + u.breaks.length + u.unmatched === 0) return;
        if (ending) {
          report(u, emit!); // after the stop: straight out (not in the capture)
          return;
        }
        ctx.external(() => {
          const now = ctx.clock.now();
          for (const f of u.fills) f.ts_known = now;
          for (const st of u.states) st.ts_known = now;
          report(u, emit!);
        }, u.sequence);
      };
      /** A resumed run's venue messages, each handled at a step of its own, in the session's order. */
      const stepwise = (sequence: number, message: OuchMessage | null, error?: string): void => {
        const take = (): void => {
          const u = session.handle(message, sequence, ctx.clock.now(), error);
          report(u, emit!);
        };
        if (ending)
          take(); // after the stop: straight out (not in the capture)
        else ctx.external(take, sequence);
      };
      const down = new SessionWatch(wallMs());
      /** Why the last connection to the venue ended (a protocol error, a drop), for the alert of an outage. */
      let lastLoss: string | undefined;
      const session = new OuchSession({
        port: p.port,
        username: p.username,
        password: p.password,
        session: p.session,
        marketCollar: p.market_collar,
        feeBps: p.fee_bps,
        midnight,
        now: () => ctx.clock.now(),
        onUpdate: arrive,
        recovering: ctx.recovering,
        onStepwise: stepwise,
        loginRetryMs: Math.round(p.login_retry_seconds * 1000),
        onSessionEvent: (e) => {
          switch (e.kind) {
            case 'disconnected': {
              disconnects.inc();
              lastLoss = e.reason;
              const back = down.lost(wallMs());
              if (back) loggedInAgain(back.back);
              ctx.log.warn(`OUCH connection lost (${e.reason}); reconnecting`);
              break;
            }
            case 'loginFailed':
              // The venue answered the login in breach of SoupBinTCP (a sequence number that does not parse, a bad packet).
              lastLoss = e.reason;
              ctx.log.warn(`OUCH login failed (${e.reason}); reconnecting`);
              break;
            case 'loginRetry':
              if (e.refusedForMs === 0)
                ctx.log.warn(
                  `OUCH login again refused ('${e.reason}' ${e.text}): the venue may still hold the dropped connection; trying again for up to ${p.login_retry_seconds} s`,
                );
              break;
            case 'rejectedLogin':
              // The client has stopped: no order of this run could reach the venue.
              broken(loginRefused(p, e.reason, e.text, e.refusedForMs));
              break;
            case 'end':
              ctx.alert(`the venue ended the OUCH session: the orders after it are refused (dead letters "the OUCH session has ended")`);
              break;
            case 'login':
              down.loggedIn(wallMs());
              ctx.log.info(`OUCH logged in to session ${e.session} at sequence ${e.nextSequence}`);
              break;
            default: {
              const unknown: never = e;
              ctx.log.warn(`unknown OUCH session event ${JSON.stringify(unknown)}; ignored`);
            }
          }
        },
        onDiscontinuity: (why) => broken(why),
      });
      /**
       * The session can no longer carry the run's orders, or say what became of them: the run fails
       * (a step that throws), so nothing more is decided on a book of orders it cannot know. After
       * the stop, when no step can be taken, it is an alert of the summary.
       */
      function broken(why: string): void {
        if (ending) ctx.alert(why);
        else
          ctx.external(() => {
            throw new AlphaError(`execution.ouch ${ctx.node}: ${why}`);
          });
      }
      liveOuchSessions.set(ctx.node, session);
      // A resume: the dead run's orders were recorded while its capture was taken again; now the venue
      // says what became of them. Each message the dead run had not handled is a step of its own, in
      // the session's order, so an order the graph decides again on one of them is known (and not
      // sent) before the venue's answers to it are handled.
      ctx.onRecovered(async (mark) => {
        down.connecting(wallMs());
        const r = await session.reconcile(mark ?? 0, ctx.clock.now());
        down.loggedIn(wallMs()); // reconcile logged in (its login is its own, not a session event)
        ctx.log.warn(
          `resumed: ${r.replayed} venue message(s) the dead run had handled, ${r.backlog.length} it had not, ` +
            `${r.unsent.states.length} of its orders never reached the venue`,
        );
        ctx.metrics.counter('resume_backlog').inc(r.backlog.length);
        ctx.metrics.counter('resume_unsent').inc(r.unsent.states.length);
        if (r.unsent.states.length > 0) arrive(r.unsent);
        for (const b of r.backlog) stepwise(b.sequence, b.message, b.error);
      });
      // Never silent: an order the venue did not answer (down, unreachable) is reported, not assumed.
      const reported = new Set<string>();
      const reportUnanswered = (): void => {
        const all = session.unanswered().filter((o) => !reported.has(o.order_id));
        if (all.length === 0) return;
        // Still in the client's queue: no session ever took them, so they are known not to be at the venue.
        const queued = session.neverSent();
        const unsent = all.filter((o) => queued.has(o.order_id));
        const silent = all.filter((o) => !queued.has(o.order_id));
        if (unsent.length > 0) {
          ctx.metrics.counter('unsent_orders').inc(unsent.length);
          ctx.alert(
            `${unsent.length} order(s) were never sent: no OUCH session with the venue on port ${p.port} took them before the run ended (they are not at the venue)`,
          );
        }
        if (silent.length > 0) {
          ctx.metrics.counter('unanswered_orders').inc(silent.length);
          ctx.alert(
            `${silent.length} order(s) had no answer from the venue on port ${p.port} by the end of the run: their state there is unknown`,
          );
        }
        for (const o of all) {
          reported.add(o.order_id);
          ctx.deadLetter(
            o,
            queued.has(o.order_id)
              ? `never sent: no OUCH session with the venue on port ${p.port} took it before the run ended; it is not at the venue`
              : `no answer from the venue on port ${p.port} before the run ended: its state there is unknown`,
          );
        }
      };
      function loggedInAgain(ms: number): void {
        ctx.log.info(
          `OUCH logged in again after ${(ms / 1000).toFixed(1)} s without a session: the orders that waited went out at the login`,
        );
      }
      // A venue that does not answer on its port is said while the run goes, not only at its end.
      const checkDown = (now: number): void => {
        const said = ending || ctx.recovering ? undefined : down.check(now);
        if (said && 'down' in said)
          ctx.alert(
            `no OUCH session with the venue at 127.0.0.1:${p.port} for ${(said.down / 1000).toFixed(1)} s (a login that drops within a second does not count)${lastLoss === undefined ? '' : `; the last connection: ${lastLoss}`}: the orders decided meanwhile wait, and go out late if it answers`,
          );
        else if (said) loggedInAgain(said.back);
      };
      const stopWatching = everyWallInterval(checkDown);
      // A failed run skips the stop: its session logs out here all the same. What the close still
      // delivers is past the run's end (`ending`: a break found now is an alert, not a throw).
      ctx.onRelease(() => {
        ending = true;
        liveOuchSessions.delete(ctx.node);
        stopWatching();
        session.close();
      });
      ctx.beforeStop(async () => {
        stopWatching();
        await session.drain(DRAIN_MS);
        reportUnanswered();
      });
      const submit = (batch: readonly Order[]): void => {
        if (ctx.recovering) session.register(batch);
        else arrive(session.submit(batch, ctx.clock.now()));
      };
      return handlePorts<Ports>(ctx, ['out', 'states'], [on(orders, submit)], {
        start: (to) => {
          emit = to;
        },
        end: () => {
          ending = true;
          stopWatching();
          session.close();
          reportUnanswered();
          liveOuchSessions.delete(ctx.node);
        },
      });
    },
});

/** Why the venue refused the login, and what to check: 'S' is the session (or the user logged in there already), anything else the credentials. */
function loginRefused(p: z.infer<typeof params>, reason: string, text: string, refusedForMs: number): string {
  const session = p.session.trim();
  const again =
    refusedForMs > 0
      ? ` again after the connection dropped, for ${(refusedForMs / 1000).toFixed(1)} s (login_retry_seconds ${p.login_retry_seconds})`
      : '';
  const check =
    reason === 'S'
      ? 'expected the session it runs (alpha venue start --session; blank: its current one), and the user not logged in there already (by another run, or by this one on a connection the venue has not yet seen go)'
      : 'expected a user and password the venue takes (alpha venue start --users NAME:PASSWORD)';
  return `the venue at 127.0.0.1:${p.port} rejected the OUCH login of user "${p.username}"${session ? ` to session "${session}"` : ''}${again} ('${reason}' ${text}): ${check}`;
}
