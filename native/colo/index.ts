/**
 * Typed wrapper around colo.node, the Node binding of the colo C++ library (README.md): ITCH 5.0
 * files replayed through the order book, a synthetic ITCH session for tests and benchmarks, and the
 * Order → OUCH 4.2 mapping.
 */
import { addonLoader } from '../load.ts';

/** Columns of top-of-book changes; prices in dollars (NaN for an empty side), sizes in shares. */
export interface ItchQuoteColumns {
  readonly locate: Uint16Array;
  /** Exchange time, ns since midnight (Eastern). */
  readonly ts_ns: Float64Array;
  readonly bid: Float64Array;
  readonly ask: Float64Array;
  readonly bid_size: Float64Array;
  readonly ask_size: Float64Array;
}

export interface ItchTradeColumns {
  readonly locate: Uint16Array;
  readonly ts_ns: Float64Array;
  readonly price: Float64Array;
  readonly shares: Float64Array;
  /** Character codes: 'B' (66) buyer crossed, 'S' (83) seller crossed, ' ' (32) unknown (crosses). */
  readonly aggressor: Uint8Array;
}

export interface ItchSymbolSummary {
  readonly locate: number;
  readonly symbol: string;
  readonly bid: number | null;
  readonly ask: number | null;
  readonly bidSize: number;
  readonly askSize: number;
  /** Shares printed (executions of displayed orders, hidden prints and crosses). */
  readonly volume: number;
  readonly trades: number;
  /** Messages of this locate by ITCH type letter. */
  readonly messages: Readonly<Record<string, number>>;
}

export interface ItchSummary {
  readonly bytes: number;
  readonly offset: number;
  readonly done: boolean;
  readonly messages: number;
  readonly frameErrors: readonly { kind: string; count: number; firstOffset: number }[];
  readonly bookErrors: readonly { kind: string; count: number }[];
  readonly symbols: readonly ItchSymbolSummary[];
}

export interface ItchFile {
  /** Replays until `maxRows` quote and trade rows were collected, or the file ends. */
  next(maxRows: number): { quotes: ItchQuoteColumns; trades: ItchTradeColumns; done: boolean };
  /** Replays the rest of the file off the main thread, collecting no rows. */
  run(): Promise<void>;
  summary(): ItchSummary;
}

/** The Order fields the OUCH mapping reads (schemas/Order.avsc). */
export interface OuchOrderInput {
  readonly order_id: string;
  readonly symbol: string;
  readonly side: 'BUY' | 'SELL';
  readonly qty: number;
  readonly order_type: 'MARKET' | 'LIMIT';
  readonly limit_price: number | null;
  readonly ref_price: number;
  readonly time_in_force: 'DAY' | 'IOC';
  readonly action: 'NEW' | 'CANCEL' | 'REPLACE';
  readonly target_order_id: string | null;
}

interface ColoBinding {
  ItchFile: new (path: string, symbols?: readonly string[]) => ItchFile;
  itchMessageNames: Readonly<Record<string, string>>;
  simulateItchSession(options: { messages: number; symbols: number; seed: number }): Buffer;
  /** Every message of a length-prefixed ITCH buffer, each field by name (raw integers: Price(4) not scaled). */
  decodeItch(
    bytes: Uint8Array,
    maxMessages?: number,
  ): {
    messages: Record<string, string | number | bigint>[];
    errors: { kind: string; offset: number }[];
    truncated: boolean;
  };
  /** A length-prefixed ITCH file of these messages, each field by name (as decodeItch gives them). */
  encodeItch(messages: readonly Readonly<Record<string, string | number | bigint>>[]): Buffer;
  /** The OUCH 4.2 inbound message of an order (Enter, Replace or Cancel Order), or why it cannot be sent. */
  orderToOuch(order: OuchOrderInput, config?: { market_collar?: number }): { ok: true; bytes: Buffer } | { ok: false; error: string };
  /** The 14-character Order Token of an order id: base-36 of the first 72 bits of its SHA-256. */
  ouchToken(orderId: string): string;
}

export const colo = addonLoader<ColoBinding>(
  new URL('./colo.node', import.meta.url),
  'the colo binding (native/colo)',
  'needs cmake, ninja, g++, GoogleTest and Abseil: native/colo/build.sh installs them with apt-get',
);
