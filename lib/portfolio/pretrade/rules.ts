/**
 * The rules of pre-trade risk, each a pure function of the order, what the book knows
 * ({@link OrderView}, book.ts) and the limits: null when the order passes it, else a rejection whose
 * reason names the rule, the value and the limit (`max_notional: order notional 1,234,567 > limit
 * 1,000,000`). {@link checkOrder} applies them in the order of {@link PRETRADE_RULES}; each rule may
 * assume the ones before it passed (a valid quantity and price), and passes what it cannot judge (no
 * mid, no equity) since an earlier rule refuses that.
 *
 * Positions and exposures are judged as if the order filled in full. A limit never blocks an order
 * that moves its measure towards it. Exposure limits are multiples of equity.
 */
import type { Order } from '../../../schemas/types.generated.ts';
import { signedQty, type OrderView, type PendingOrder } from './book.ts';

export interface PretradeLimits {
  restricted: ReadonlySet<string>;
  maxOrderQty: number;
  maxOrderNotional: number;
  collarBps: number;
  maxPositionQty: number;
  maxPositionNotional: number;
  /** Multiple of equity. */
  maxGrossExposure: number;
  /** Multiple of equity. */
  maxNetExposure: number;
  maxOrders: number;
  /** Length of the rate window (for the reason: the book counts the orders in it). */
  rateWindowSeconds: number;
}

export type RuleName =
  | 'restricted'
  | 'invalid_order'
  | 'kill_switch'
  | 'max_qty'
  | 'collar'
  | 'max_notional'
  | 'no_portfolio'
  | 'max_position_qty'
  | 'max_position_notional'
  | 'max_gross_exposure'
  | 'max_net_exposure'
  | 'rate_limit';

export interface Rejection {
  readonly rule: RuleName;
  readonly reason: string;
}

export type PretradeRule = (o: Order, view: OrderView, limits: PretradeLimits) => Rejection | null;

const reject = (rule: RuleName, detail: string): Rejection => ({ rule, reason: `${rule}: ${detail}` });

/** The price an order is judged at: its limit price, or the ref price of a market order. */
export function orderPrice(o: Order): number | null {
  return o.order_type === 'LIMIT' ? o.limit_price : o.ref_price;
}

const priceName = (o: Order): string => (o.order_type === 'LIMIT' ? 'limit' : 'ref');

export const restricted: PretradeRule = (o, _v, l) =>
  l.restricted.has(o.symbol) ? reject('restricted', `${o.symbol} is on the restricted list`) : null;

export const invalidOrder: PretradeRule = (o) => {
  if (!(o.qty > 0 && Number.isFinite(o.qty))) return reject('invalid_order', `quantity ${o.qty} is not a positive number`);
  const price = orderPrice(o);
  if (price !== null && price > 0 && Number.isFinite(price)) return null;
  return reject('invalid_order', `${priceName(o)} price ${price} is not a positive number`);
};

/** HALTED passes nothing; REDUCING only an order that shrinks |position| without flipping it. */
export const killSwitch: PretradeRule = (o, { kill, position: pos }) => {
  if (kill.mode === 'HALTED') return reject('kill_switch', `HALTED (${kill.reason}): no order passes`);
  const reduces = pos !== 0 && Math.sign(signedQty(o)) === -Math.sign(pos) && o.qty <= Math.abs(pos);
  if (kill.mode === 'REDUCING' && !reduces) {
    const what = `${o.side} ${fmt(o.qty)} does not reduce |position| ${fmt(Math.abs(pos))} of ${o.symbol}`;
    return reject('kill_switch', `REDUCING (${kill.reason}): ${what}`);
  }
  return null;
};

export const maxQty: PretradeRule = (o, _v, l) =>
  o.qty > l.maxOrderQty ? reject('max_qty', `order quantity ${fmt(o.qty)} > limit ${fmt(l.maxOrderQty)}`) : null;

/** The order's price within collarBps of the last mid; no quote yet rejects. */
export const collar: PretradeRule = (o, { mid }, l) => {
  const price = orderPrice(o) ?? Number.NaN;
  if (mid === undefined) return reject('collar', `no quote for ${o.symbol} yet: cannot check the ${priceName(o)} price ${fmt(price)}`);
  const bps = (Math.abs(price - mid) / mid) * 1e4;
  if (bps <= l.collarBps) return null;
  const distance = `${bps.toFixed(1)} bps from the last mid ${fmt(mid)}`;
  return reject('collar', `${priceName(o)} price ${fmt(price)} is ${distance} > limit ${fmt(l.collarBps)} bps`);
};

export const maxNotional: PretradeRule = (o, _v, l) => {
  const notional = o.qty * (orderPrice(o) ?? Number.NaN);
  if (!(notional > l.maxOrderNotional)) return null;
  return reject('max_notional', `order notional ${fmt(notional)} > limit ${fmt(l.maxOrderNotional)}`);
};

export const noPortfolio: PretradeRule = (_o, { equity }) =>
  equity === undefined ? reject('no_portfolio', 'no portfolio state yet: positions and exposure unknown') : null;

/** |position| after the order, when the order grows it. */
const grownPosition = (o: Order, pos: number): number | null => {
  const after = Math.abs(pos + signedQty(o));
  return after > Math.abs(pos) ? after : null;
};

export const maxPositionQty: PretradeRule = (o, { position }, l) => {
  const after = grownPosition(o, position);
  if (after === null || !(after > l.maxPositionQty)) return null;
  return reject('max_position_qty', `|position| of ${o.symbol} after the order ${fmt(after)} > limit ${fmt(l.maxPositionQty)} shares`);
};

/** |position| × last mid after the order. */
export const maxPositionNotional: PretradeRule = (o, { position, mid }, l) => {
  const after = grownPosition(o, position);
  if (after === null || mid === undefined || !(after * mid > l.maxPositionNotional)) return null;
  return reject(
    'max_position_notional',
    `|position| of ${o.symbol} after the order ${fmt(after * mid)} ` + `> limit ${fmt(l.maxPositionNotional)}`,
  );
};

export const maxGrossExposure: PretradeRule = (_o, { exposure: { before, after }, equity }, l) => {
  if (equity === undefined || !(after.gross > before.gross && after.gross > l.maxGrossExposure * equity)) return null;
  return reject(
    'max_gross_exposure',
    `gross exposure after the order ${fmt(after.gross)}${multiple(after.gross, equity)} ` +
      `> limit ${l.maxGrossExposure}× = ${fmt(l.maxGrossExposure * equity)}`,
  );
};

export const maxNetExposure: PretradeRule = (_o, { exposure: { before, after }, equity }, l) => {
  const net = Math.abs(after.net);
  if (equity === undefined || !(net > Math.abs(before.net) && net > l.maxNetExposure * equity)) return null;
  return reject(
    'max_net_exposure',
    `|net exposure| after the order ${fmt(net)}${multiple(net, equity)} ` +
      `> limit ${l.maxNetExposure}× = ${fmt(l.maxNetExposure * equity)}`,
  );
};

export const rateLimit: PretradeRule = (_o, { passedInWindow: n }, l) => {
  if (n < l.maxOrders) return null;
  return reject('rate_limit', `${n} orders passed in the last ${l.rateWindowSeconds} s, limit ${l.maxOrders}`);
};

/** The rules in the order they are checked. */
export const PRETRADE_RULES: readonly PretradeRule[] = [
  restricted,
  invalidOrder,
  killSwitch,
  maxQty,
  collar,
  maxNotional,
  noPortfolio,
  maxPositionQty,
  maxPositionNotional,
  maxGrossExposure,
  maxNetExposure,
  rateLimit,
];

/**
 * The first rule `o` breaks, or null when it passes them all.
 *
 * @example
 * import type { Order } from '../../../schemas/types.generated.ts';
 * import { SECOND } from '../../core/time.ts';
 * import { PretradeBook } from './book.ts';
 * declare const order: Order;
 * declare const limits: PretradeLimits;
 * const book = new PretradeBook({ trackPending: true, rateWindow: SECOND });
 * const now = order.ts_known;
 * const rejection = checkOrder(order, book.view(order, now, { mode: 'ACTIVE', reason: 'initial' }), limits);
 * if (rejection === null) book.pass(order, now);
 */
export function checkOrder(o: Order, view: OrderView, limits: PretradeLimits, rules = PRETRADE_RULES): Rejection | null {
  for (const rule of rules) {
    const rejection = rule(o, view, limits);
    if (rejection) return rejection;
  }
  return null;
}

/**
 * The reason of the dead letter that reports an order still working when the kill switch halts: the
 * Order schema has no cancel, so a person must cancel it at the venue.
 */
export function workingAtHaltReason({ order: o, remaining }: Readonly<PendingOrder>, node: string): string {
  return (
    `kill_switch_cancel: order ${o.order_id} (${o.side} ${fmt(o.qty)} ${o.symbol}) still working, ` +
    `${fmt(remaining)} unfilled, at HALTED; cancel it at the venue (no cancel path downstream of ${node})`
  );
}

function multiple(x: number, equity: number): string {
  return equity > 0 ? ` (${(x / equity).toFixed(4)}× equity ${fmt(equity)})` : ` (equity ${fmt(equity)})`;
}

function fmt(x: number): string {
  return AMOUNT.format(x);
}

// What toLocaleString does, without building a new formatter on every call (a run refuses thousands of orders).
const AMOUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
