/**
 * Builders of the records that flow between operators, for tests: what a test is about is passed as
 * arguments, every other field gets a plain default (times 0 or the time given, no fees, flat bars,
 * market orders), and `extra` overrides any field. Fields keep the order of the schema, so a record
 * written out as JSON reads as the schema does.
 */
import { DAY, MINUTE } from '../../lib/core/time.ts';
import type { Session } from '../../operators/sdk/context.ts';
import type { Bar, Fill, Order, PortfolioState, Position, Quote, Signal, Trade } from '../../schemas/types.generated.ts';

/** 9:30 in New York on 2 January 2024, in microseconds: the first open of most tests. */
export const T0 = Date.UTC(2024, 0, 2, 14, 30) * 1000;

/** Session `d` days after T0's, open for 390 minutes. */
export const session = (d = 0): Session => ({ open: T0 + d * DAY, close: T0 + d * DAY + 390 * MINUTE });

/** The end of minute `i` of session `d`: when the bar of that minute is known. */
export const minuteEnd = (i: number, d = 0): number => T0 + d * DAY + (i + 1) * MINUTE;

export function quote(symbol: string, atUs: number, bid: number, ask: number, seq: number, extra: Partial<Quote> = {}): Quote {
  return { ts_event: atUs, ts_known: atUs, symbol, seq, id: seq, version: 1, bid, ask, bid_size: 100, ask_size: 100, ...extra };
}

export function trade(symbol: string, atUs: number, price: number, size: number, seq: number, extra: Partial<Trade> = {}): Trade {
  return { ts_event: atUs, ts_known: atUs, symbol, seq, id: seq, version: 1, price, size, aggressor: 'BUY', ...extra };
}

/** A bar known at `atUs` that opened, traded and closed at `close`: no volume, one quote, 1 bp spread. */
export function bar(symbol: string, atUs: number, close: number, extra: Partial<Bar> = {}): Bar {
  return {
    ts_event: atUs,
    ts_known: atUs,
    symbol,
    open: close,
    high: close,
    low: close,
    close,
    volume: 0,
    vwap: close,
    trades: 0,
    quotes: 1,
    spread_bps: 1,
    imbalance: 0,
    ...extra,
  };
}

/** The bar of minute `i` of session `d` (see minuteEnd). */
export const minuteBar = (symbol: string, i: number, close: number, d = 0, extra: Partial<Bar> = {}): Bar =>
  bar(symbol, minuteEnd(i, d), close, extra);

/** A market order at time 0 with no id, referenced at 100. */
export function order(symbol: string, side: Order['side'], qty: number, extra: Partial<Order> = {}): Order {
  return {
    ts_event: 0,
    ts_known: 0,
    order_id: '',
    symbol,
    side,
    qty,
    order_type: 'MARKET',
    limit_price: null,
    ref_price: 100,
    time_in_force: 'DAY',
    action: 'NEW',
    target_order_id: null,
    ...extra,
  };
}

/** A taker fill at time 0 with no ids and no fee. */
export function fill(symbol: string, side: Fill['side'], qty: number, price: number, extra: Partial<Fill> = {}): Fill {
  return { ts_event: 0, ts_known: 0, fill_id: '', order_id: '', symbol, side, qty, price, fee: 0, liquidity: 'TAKER', ...extra };
}

/** A position; `[symbol, qty, mark]` stands for one bought at its mark. */
export type Held = Position | [symbol: string, qty: number, mark: number];

/** A position worth `weight` of `equity` at `price` (its mark and average price). */
export const weighted = (symbol: string, weight: number, equity: number, price = 100): Position => ({
  symbol,
  qty: (weight * equity) / price,
  avg_price: price,
  mark: price,
});

/** The portfolio at `atUs`: all of `equity` in cash unless `extra` says otherwise, nothing realised, no fees. */
export function portfolio(
  atUs: number,
  equity: number,
  positions: readonly Held[] = [],
  extra: Partial<PortfolioState> = {},
): PortfolioState {
  return {
    ts_event: atUs,
    ts_known: atUs,
    cash: equity,
    equity,
    realized_pnl: 0,
    unrealized_pnl: 0,
    fees: 0,
    borrow: 0,
    financing: 0,
    gross_exposure: 0,
    net_exposure: 0,
    traded_notional: 0,
    positions: positions.map((p) => (Array.isArray(p) ? { symbol: p[0], qty: p[1], avg_price: p[2], mark: p[2] } : p)),
    ...extra,
  };
}

export const signal = (atUs: number, symbol: string, value: number): Signal => ({ ts_event: atUs, ts_known: atUs, symbol, value });

/** One signal per symbol at `atUs`, symbols[i] valued values[i]. */
export const signals = (atUs: number, symbols: readonly string[], values: readonly number[]): Signal[] =>
  symbols.map((symbol, i) => signal(atUs, symbol, values[i]!));
