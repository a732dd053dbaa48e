// Generated from schemas/*.avsc by `npm run gen:types`. Do not edit.

/** A time bar of one symbol, built from quotes (mid prices) and trades. */
export interface Bar {
  /** When it happened in the world (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When it could first have been known (knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** Instrument identifier. */
  symbol: string;
  /** First mid in the bar (the previous close when no quote arrived). */
  open: number;
  /** Highest mid. */
  high: number;
  /** Lowest mid. */
  low: number;
  /** Last mid. */
  close: number;
  /** Traded shares. */
  volume: number;
  /** Volume-weighted trade price (close when no trade). */
  vwap: number;
  /** Number of trades. */
  trades: number;
  /** Number of quotes. */
  quotes: number;
  /** Mean quoted spread over mid, basis points. */
  spread_bps: number;
  /** Mean (bid_size - ask_size) / (bid_size + ask_size). */
  imbalance: number;
}

export type BookSide = 'BID' | 'ASK';

/** One price level of a symbol's book beyond the top (the top is the Quote). The rows of one picture of the book share ts_event and ts_known and follow each other in seq order, each side's levels from 2 upwards: a level-2 row starts a new picture of its side (the side's earlier levels are gone), a level-L row extends it after level L-1, each further from the touch. A level of size 0 shows nothing there. */
export interface BookDepth {
  /** When it happened in the world (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When it could first have been known (knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** Instrument identifier. */
  symbol: string;
  /** Per-source sequence number; breaks ties in ts_known and orders the rows of a picture. */
  seq: number;
  /** Side of the book: BID (buyers resting below the best bid) or ASK (sellers above the best ask). */
  side: BookSide;
  /** Level number: 2 is the first price beyond the touch (level 1, the Quote), 3 the next, and so on. */
  level: number;
  /** Price of the level. */
  price: number;
  /** Size displayed at the level, shares. */
  size: number;
}

export type CorporateActionKind = 'SPLIT' | 'DIVIDEND';

/** A split or a cash dividend of one instrument. A correction is a later row of the same identity (symbol, kind, ts_event) with a later ts_known. */
export interface CorporateAction {
  /** The effective (ex) date: the first session the price trades without the dividend or on the new share count (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When it was announced (or corrected; knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** Instrument identifier. */
  symbol: string;
  /** SPLIT or DIVIDEND. */
  kind: CorporateActionKind;
  /** SPLIT: shares after per share before (2-for-1: 2; 1-for-10 reverse: 0.1). DIVIDEND: 1. */
  ratio: number;
  /** DIVIDEND: cash per share, in the instrument's currency. SPLIT: 0. */
  amount: number;
}

/** A snapshot of the universe: one row per symbol, one column per feature. */
export interface CrossSection {
  /** When it happened in the world (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When it could first have been known (knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** Row labels. */
  symbols: string[];
  /** Column labels. */
  features: string[];
  /** Row-major matrix, symbols x features. */
  values: number[];
  /** Mid price of each symbol at the snapshot (for labels and sizing, never normalised). */
  prices: number[];
}

/** An input an operator refused, with the reason. */
export interface DeadLetter {
  /** When it happened in the world (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When it could first have been known (knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** Node that refused the input. */
  node: string;
  /** Why it was refused. */
  reason: string;
  /** The refused input, as JSON. */
  payload: string;
}

/** The costs of one fill (spread, impact, fee) or of one symbol's overnight carry (borrow, financing), each in currency: positive a cost, negative a gain (a rebate, a maker's half spread). */
export interface ExecutionCost {
  /** When it happened in the world (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When it could first have been known (knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** Instrument identifier. */
  symbol: string;
  /** The fill these costs belong to; null for a carry accrual. */
  fill_id: null | string;
  /** What the costs are charged on, in currency: the fill's qty × price, or the position's |qty| × mid for a carry accrual. */
  notional: number;
  /** s·(reference − mid)·qty, s = +1 for a buy and −1 for a sell; the reference is the touch for a taker (half the spread, paid) and the fill price for a maker (negative when it earns it). */
  spread: number;
  /** s·(fill price − touch)·qty: the square-root market impact, temporary and permanent, of a taker fill (0 for a maker). */
  impact: number;
  /** Maker or taker fee (the Fill's fee; negative for a rebate). */
  fee: number;
  /** Short borrow cost accrued on the position held at the close. */
  borrow: number;
  /** Financing of the position's gross notional accrued at the close. */
  financing: number;
}

/** Per-symbol feature values; the names are declared by the producing operator. */
export interface FeatureVector {
  /** When it happened in the world (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When it could first have been known (knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** Instrument identifier. */
  symbol: string;
  /** Feature values in the producer's declared order (NaN when not yet defined). */
  values: number[];
}

export type Side = 'BUY' | 'SELL';

export type Liquidity = 'TAKER' | 'MAKER';

/** An execution of (part of) an order. Its fill_id names it: the fills of one order that sweeps several resting orders share symbol, ts_event and ts_known. */
export interface Fill {
  /** When it happened in the world (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When it could first have been known (knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** Deterministic fill id. */
  fill_id: string;
  /** The order filled. */
  order_id: string;
  /** Instrument identifier. */
  symbol: string;
  /** Direction. */
  side: Side;
  /** Shares filled, positive. */
  qty: number;
  /** Execution price. */
  price: number;
  /** Fee paid, in currency. */
  fee: number;
  /** Whether the fill took or made liquidity. */
  liquidity: Liquidity;
}

/** One reported value of one fundamental item of one company for one fiscal period. A restatement is a later row of the same identity (symbol, item, period, ts_event) with a later ts_known. */
export interface Fundamental {
  /** The end of the fiscal period the value is about (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When the value was reported (report or restatement date; knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** Instrument identifier. */
  symbol: string;
  /** The item reported, lower case, e.g. eps, revenue, net_income. */
  item: string;
  /** The fiscal period's label, e.g. 2023Q4 or FY2023 (empty when the source gives none); tells apart periods that end on the same day. */
  period: string;
  /** The reported value, in the units the source reports it in. */
  value: number;
}

export type OrderType = 'MARKET' | 'LIMIT';

export type TimeInForce = 'DAY' | 'IOC';

export type OrderAction = 'NEW' | 'CANCEL' | 'REPLACE';

/** An order to the broker. */
export interface Order {
  /** When it happened in the world (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When it could first have been known (knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** Deterministic client order id (same inputs, same id). */
  order_id: string;
  /** Instrument identifier. */
  symbol: string;
  /** Direction. */
  side: Side;
  /** Shares, a positive whole number (Avro double: exact up to 2^53; a venue refuses a fraction). */
  qty: number;
  /** Market or limit. A venue that takes only limits (OUCH) gets a market order as a marketable IOC limit bounded by a collar around ref_price. */
  order_type: OrderType;
  /** Limit price; null for market orders. */
  limit_price: null | number;
  /** Price used to size the order. */
  ref_price: number;
  /** DAY: works until filled, cancelled or the session ends. IOC: fills what it can on arrival; the rest is cancelled. */
  time_in_force: TimeInForce;
  /** NEW: a new order. CANCEL: cancel the working order target_order_id (qty, prices ignored). REPLACE: cancel target_order_id and put this order (same symbol and side) in its place. */
  action: OrderAction;
  /** The working order a CANCEL or REPLACE acts on; null for NEW. */
  target_order_id: null | string;
}

export type OrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELLED' | 'REJECTED' | 'EXPIRED';

/** A change of an order's state at the broker or venue: accepted, (partly) filled, cancelled, rejected, expired. */
export interface OrderState {
  /** When it happened in the world (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When it could first have been known (knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** The order whose state changed. */
  order_id: string;
  /** Instrument identifier. */
  symbol: string;
  /** Direction. */
  side: Side;
  /** The state entered. */
  status: OrderStatus;
  /** Shares filled so far. */
  filled_qty: number;
  /** Shares still working (0 once the order is done). */
  remaining_qty: number;
  /** Why it was cancelled, rejected or expired; null otherwise. */
  reason: null | string;
}

export type ParentStatus = 'FILLED' | 'REPLACED' | 'CANCELLED' | 'EXPIRED' | 'ENDED';

/** How an execution algorithm worked one parent order, once its work is over: what it filled, and its implementation shortfall against the arrival price (the mid when the algorithm received it). Costs in currency, positive a cost: with s = +1 for a buy and −1 for a sell, trading_cost = s·(avg_price − arrival_mid)·filled_qty, opportunity_cost = s·(end_mid − arrival_mid)·(qty − filled_qty), shortfall = trading_cost + opportunity_cost + fees; delay_cost = s·(arrival_mid − decision_price)·filled_qty is the cost before arrival, outside the shortfall. */
export interface ParentOrderReport {
  /** When it happened in the world (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When it could first have been known (knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** The parent order; its children's ids are PARENT/1, PARENT/2, … */
  parent_order_id: string;
  /** Instrument identifier. */
  symbol: string;
  /** Direction. */
  side: Side;
  /** The algorithm: TWAP, VWAP or POV. */
  algo: string;
  /** How its work ended: FILLED in full; REPLACED by a new parent for the symbol; CANCELLED by a CANCEL of it; EXPIRED at the session close; ENDED with the run. */
  status: ParentStatus;
  /** When the algorithm received the parent. */
  arrival_ts: number;
  /** The parent's shares. */
  qty: number;
  /** Shares its children filled. */
  filled_qty: number;
  /** Child orders sent. */
  children: number;
  /** The parent's ref_price: the price it was decided and sized at. */
  decision_price: number;
  /** Mid of the symbol's last quote when the algorithm received the parent. */
  arrival_mid: number;
  /** Average fill price of its children; null when nothing filled. */
  avg_price: null | number;
  /** Mid of the symbol's last quote when its work ended (what the unfilled rest is valued at). */
  end_mid: number;
  /** Fees of its children's fills, in currency. */
  fees: number;
  /** s·(avg_price − arrival_mid)·filled_qty, in currency. */
  trading_cost: number;
  /** s·(end_mid − arrival_mid)·(qty − filled_qty), in currency: what the unfilled rest missed. */
  opportunity_cost: number;
  /** s·(arrival_mid − decision_price)·filled_qty, in currency: the move between the decision and the arrival (not in shortfall). */
  delay_cost: number;
  /** Implementation shortfall against the arrival price: trading_cost + opportunity_cost + fees, in currency. */
  shortfall: number;
  /** shortfall / (qty × arrival_mid) × 10,000. */
  shortfall_bps: number;
}

/** Holding of one symbol. */
export interface Position {
  /** Instrument identifier. */
  symbol: string;
  /** Signed shares. */
  qty: number;
  /** Average entry price. */
  avg_price: number;
  /** Last mid used to value the position. */
  mark: number;
}

/** Positions, cash and PnL, marked to market. */
export interface PortfolioState {
  /** When it happened in the world (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When it could first have been known (knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** Cash balance. */
  cash: number;
  /** Cash plus positions at marks. */
  equity: number;
  /** Realised PnL, before fees. */
  realized_pnl: number;
  /** Unrealised PnL at marks. */
  unrealized_pnl: number;
  /** Fees paid so far. */
  fees: number;
  /** Short borrow cost paid so far (the broker's carry accruals, ExecutionCost.borrow). */
  borrow: number;
  /** Financing of the gross book paid so far (the broker's carry accruals, ExecutionCost.financing). */
  financing: number;
  /** Sum of |position value|. */
  gross_exposure: number;
  /** Sum of position values. */
  net_exposure: number;
  /** Sum of |fill notional| so far. */
  traded_notional: number;
  /** Open positions, sorted by symbol. */
  positions: Position[];
}

/** A model's forecast for one symbol. The forecasts of several models for one symbol at one instant are so many records (model names each). */
export interface Prediction {
  /** When it happened in the world (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When it could first have been known (knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** Instrument identifier. */
  symbol: string;
  /** Forecast of the forward return. */
  value: number;
  /** Model identifier (name and fit time). */
  model: string;
}

/** Top-of-book quote. */
export interface Quote {
  /** When it happened in the world (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When it could first have been known (knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** Instrument identifier. */
  symbol: string;
  /** Per-source sequence number; breaks ties in ts_known. */
  seq: number;
  /** Identity of the record; a correction carries the id of the record it supersedes. */
  id: number;
  /** 1 for the original; each correction of the same id increments it. */
  version: number;
  /** Best bid price. */
  bid: number;
  /** Best ask price. */
  ask: number;
  /** Size at the best bid, shares. */
  bid_size: number;
  /** Size at the best ask, shares. */
  ask_size: number;
}

/** Cross-sectional alpha of one symbol. */
export interface Signal {
  /** When it happened in the world (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When it could first have been known (knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** Instrument identifier. */
  symbol: string;
  /** Standardised alpha (cross-sectional z-score). */
  value: number;
}

/** Target portfolio weights for a rebalance. */
export interface TargetWeights {
  /** When it happened in the world (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When it could first have been known (knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** Instruments. */
  symbols: string[];
  /** Target weight of each symbol as a fraction of equity. */
  weights: number[];
}

export type Aggressor = 'BUY' | 'SELL' | 'UNKNOWN';

/** A trade print. */
export interface Trade {
  /** When it happened in the world (valid time), µs since the Unix epoch, UTC. */
  ts_event: number;
  /** When it could first have been known (knowledge time), µs since the Unix epoch, UTC. */
  ts_known: number;
  /** Instrument identifier. */
  symbol: string;
  /** Per-source sequence number; breaks ties in ts_known. */
  seq: number;
  /** Identity of the record; a correction carries the id of the record it supersedes. */
  id: number;
  /** 1 for the original; each correction of the same id increments it. */
  version: number;
  /** Trade price. */
  price: number;
  /** Trade size, shares. */
  size: number;
  /** Side that crossed the spread. */
  aggressor: Aggressor;
}

export interface SchemaTypes {
  Bar: Bar;
  BookDepth: BookDepth;
  CorporateAction: CorporateAction;
  CrossSection: CrossSection;
  DeadLetter: DeadLetter;
  ExecutionCost: ExecutionCost;
  FeatureVector: FeatureVector;
  Fill: Fill;
  Fundamental: Fundamental;
  Order: Order;
  OrderState: OrderState;
  ParentOrderReport: ParentOrderReport;
  PortfolioState: PortfolioState;
  Prediction: Prediction;
  Quote: Quote;
  Signal: Signal;
  TargetWeights: TargetWeights;
  Trade: Trade;
}

export type SchemaName = keyof SchemaTypes;

export const SCHEMA_NAMES = ['Bar', 'BookDepth', 'CorporateAction', 'CrossSection', 'DeadLetter', 'ExecutionCost', 'FeatureVector', 'Fill', 'Fundamental', 'Order', 'OrderState', 'ParentOrderReport', 'PortfolioState', 'Prediction', 'Quote', 'Signal', 'TargetWeights', 'Trade'] as const satisfies readonly SchemaName[];
