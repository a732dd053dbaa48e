/**
 * What the execution algorithms (execution.twap, execution.vwap, execution.pov) share: the ports, the
 * parent book (lib/execution/parent-book.ts), each symbol's last mid, the timers that step each
 * parent on the injected clock, the end of each session and of the run. Each algorithm supplies only
 * how a parent's cumulative target moves with time (`Work`), and may follow the trades.
 *
 * End of day: a parent is worked only inside the session it arrived in; schedules end by the close,
 * and at the close whatever is unfilled expires (the report says EXPIRED, its rest valued at the last
 * mid). A parent arriving outside a session is a dead letter.
 */
import { LatestValues } from '../../lib/core/latest-values.ts';
import type { Micros } from '../../lib/core/time.ts';
import { type Parent, ParentBook } from '../../lib/execution/parent-book.ts';
import type { Order, ParentOrderReport } from '../../schemas/types.generated.ts';
import type { OperatorContext, Session } from './context.ts';
import { type Emitters, handlePorts, on, onColumns } from './handle.ts';
import { forEachMid } from './quote-columns.ts';
import { definePorts, type PortStreams } from './spec.ts';

export const algoInputs = definePorts({
  orders: { schema: 'Order', description: 'Parent orders: each new one for a symbol replaces the one being worked.' },
  quotes: { schema: 'Quote', description: 'Quotes: the arrival mid, and each child’s ref_price.' },
  trades: { schema: 'Trade', description: 'Trades: the volume the algorithm follows or learns its profile from.' },
  fills: { schema: 'Fill', feedback: true, description: 'The broker’s fills, attributed to parents by child order id.' },
  states: { schema: 'OrderState', feedback: true, description: 'The broker’s order states: when a child is done.' },
});

export const algoOutputs = { reports: 'ParentOrderReport' } as const;

/** How one parent's cumulative target moves: asked at arrival and at each time it names next. */
export interface Work {
  /** The shares the parent should have filled (or working) by now, at most `cap` more at once, and when to ask again. */
  step(at: Micros): { target: number; cap?: number; next: Micros | undefined };
}

export interface Algorithm {
  /** TWAP, VWAP or POV: the reports' `algo`. */
  readonly name: string;
  /** The work of a parent arriving at `at` in `session`. */
  begin(order: Order, at: Micros, session: Session): Work;
  /** A trade, `offset` µs after its session's open. */
  trade?(symbol: string, at: Micros, size: number, offset: Micros): void;
  /** A session has closed. */
  close?(session: Session): void;
}

type Ports = { out: Order; reports: ParentOrderReport };

/** The graph side of an execution algorithm: children on `out`, one ParentOrderReport per parent on `reports`. */
export function runAlgorithm(
  ctx: OperatorContext,
  algo: Algorithm,
  { orders, quotes, trades, fills, states }: PortStreams<typeof algoInputs>,
) {
  const book = new ParentBook(algo.name);
  const mids = new LatestValues();
  const sessions = ctx.calendar.sessions;
  let emit: Emitters<Ports> | undefined;
  let current = -1;
  const sessionAt = (t: Micros): number => {
    const s = sessions[current];
    if (s && t > s.open && t < s.close) return current;
    current = sessions.findIndex((x) => t > x.open && t < x.close);
    return current;
  };
  const report = (to: Emitters<Ports>, all = false): void => {
    to.reports(book.reports(ctx.clock.now(), (s) => mids.get(s), all));
  };
  const step = (parent: Parent, work: Work, at: Micros, close: Micros, to: Emitters<Ports>): void => {
    if (!book.isWorking(parent)) return;
    const { target, cap, next } = work.step(at);
    const child = book.child(parent, target, at, mids.get(parent.order.symbol) ?? parent.arrivalMid, cap);
    if (child) to.out([child]);
    if (next !== undefined && next > at && next < close)
      ctx.clock.schedule(next, (t) => {
        if (emit) step(parent, work, t, close, emit);
      });
  };
  const arrive = (o: Order, to: Emitters<Ports>): void => {
    const at = ctx.clock.now();
    const i = sessionAt(at);
    const mid = mids.get(o.symbol);
    const refused = o.action === 'CANCEL' ? undefined : refusal(o, i >= 0, mid);
    if (refused) {
      ctx.deadLetter(o, `${refused} (${algo.name})`);
      return;
    }
    const { parent, duplicate } = book.arrive(o, at, mid ?? 0);
    if (duplicate) ctx.deadLetter(o, `duplicate parent: order id ${o.order_id} already seen (${algo.name})`);
    if (parent) step(parent, algo.begin(o, at, sessions[i]!), at, sessions[i]!.close, to);
  };
  return handlePorts<Ports>(
    ctx,
    ['out', 'reports'],
    [
      on(orders, (batch, to) => {
        const now = ctx.clock.now();
        for (const o of batch) {
          // A batch handed on at its first record's time: a later parent arrives at its own ts_known,
          // after the quotes before it.
          if (o.ts_known > now)
            ctx.clock.schedule(o.ts_known, () => {
              if (!emit) return;
              arrive(o, emit);
              report(emit);
            });
          else arrive(o, to);
        }
        report(to);
      }),
      onColumns(quotes, (batch) => forEachMid(batch, (symbol, mid) => mids.set(symbol, mid))),
      onColumns(trades, (batch) => {
        if (!algo.trade) return;
        const { symbol, ts_known: known, size } = batch.columns;
        for (let r = batch.start; r < batch.end; r++) {
          const i = sessionAt(known[r]!);
          if (i >= 0) algo.trade(symbol.dictionary[symbol.codes[r]!]!, known[r]!, size[r]!, known[r]! - sessions[i]!.open);
        }
      }),
      on(
        fills,
        (batch, to) => {
          for (const f of batch) book.onFill(f);
          report(to);
        },
        { feedback: true },
      ),
      on(
        states,
        (batch, to) => {
          for (const s of batch) book.onState(s);
          report(to);
        },
        { feedback: true },
      ),
    ],
    {
      start: (to) => {
        emit = to;
        for (const s of sessions)
          ctx.clock.schedule(s.close, (at) => {
            book.endAll('EXPIRED', at);
            algo.close?.(s);
            if (emit) report(emit);
          });
      },
      end: (to) => report(to, true),
    },
  );
}

/** Why a new parent cannot be worked, or undefined: the cause (what the run's summary counts), then the detail. */
function refusal(o: Order, inSession: boolean, mid: number | undefined): string | undefined {
  if (!(Number.isInteger(o.qty) && o.qty > 0)) return `bad parent qty: ${o.qty} is not a positive whole number of shares`;
  if (!(Number.isFinite(o.ref_price) && o.ref_price > 0)) return `bad parent ref_price: ${o.ref_price} is not a positive price`;
  if (!inSession) return 'parent outside a trading session: one at or after the close is not worked';
  if (mid === undefined) return `no arrival price: no quote for ${o.symbol} yet`;
  return undefined;
}
