/**
 * Typed wrapper around colo.node, the Node binding of the colo C++ library (README.md): ITCH 5.0
 * files replayed through the order book, a live MoldUDP64 ITCH feed (ItchFeed), a synthetic ITCH
 * session for tests and benchmarks, and the Order → OUCH 4.2 mapping.
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

/** ItchFeed quote columns: ItchQuoteColumns plus the local receive time. */
export interface ItchFeedQuoteColumns extends ItchQuoteColumns {
  /** Exchange time as µs since the epoch: midnightUs + ts_ns / 1000 (truncated). */
  readonly ts_event_us: Float64Array;
  /** The locate as an Int32 symbol code (a dictionary indexed by locate names it). */
  readonly symbol_code: Int32Array;
  /** CLOCK_REALTIME µs (Unix epoch) when the feed thread made the row: the project's time unit, exact in a double. */
  readonly ts_known_us: Float64Array;
}
export interface ItchFeedTradeColumns extends ItchTradeColumns {
  readonly ts_event_us: Float64Array;
  readonly symbol_code: Int32Array;
  readonly ts_known_us: Float64Array;
}

export interface ItchFeedStats {
  /** The feed's own UDP port (127.0.0.1). */
  readonly port: number;
  /** Tops left out by twoSidedOnly. */
  readonly oneSided: number;
  readonly packets: number;
  readonly heartbeats: number;
  /** Times a gap was first seen. */
  readonly gaps: number;
  /** MoldUDP64 requests sent (first sends and re-sends). */
  readonly requests: number;
  readonly requestResends: number;
  readonly duplicates: number;
  /** Messages delivered to the book, once each, in sequence order. */
  readonly delivered: number;
  readonly bufferOverflow: number;
  readonly sessionChanges: number;
  /** parseErrors (malformed datagrams) + itchErrors (delivered messages that did not decode). */
  readonly errors: number;
  readonly parseErrors: number;
  readonly itchErrors: number;
  /** Messages the book could not apply (unknown reference, ...): counted, not feed errors. */
  readonly bookErrors: number;
  /** Join requests sent (until the first heartbeat names the session). */
  readonly joins: number;
  /** Times the thread stopped reading because maxRows rows were waiting for take(). */
  readonly stalls: number;
  readonly nextSequence: number;
  readonly rowsPending: number;
  readonly session: string | null;
  /** End of Session seen and everything before it delivered. */
  readonly ended: boolean;
}

/**
 * A live MoldUDP64 ITCH feed on 127.0.0.1, read by a native thread into the order book. It joins
 * the publisher's re-request port (a count-0 request), re-requests the session from sequence 1,
 * and buffers every top-of-book change and print as columns until take().
 */
export interface ItchFeed {
  /** The rows since the last take(), as typed arrays over native memory (no copy). */
  take(): { quotes: ItchFeedQuoteColumns; trades: ItchFeedTradeColumns };
  stats(): ItchFeedStats;
  /** Locate → symbol for every locate the book has seen. */
  symbols(): Readonly<Record<number, string>>;
  /** Calls `callback` when rows are waiting (at most one call pending). Once per feed. */
  onData(callback: () => void): void;
  /** Stops and joins the thread. Idempotent. */
  close(): void;
}

export interface ItchFeedOptions {
  readonly rerequestPort: number;
  /** Rows only for these symbols (the book keeps every symbol). */
  readonly symbols?: readonly string[];
  /** Rows held before the thread stops reading until take() (soft bound; default 1 048 576). */
  readonly maxRows?: number;
  /** The session date's New York midnight in µs since the epoch, for ts_event_us (default 0). */
  readonly midnightUs?: number;
  /** Leave out tops with an empty side or crossed (counted in stats().oneSided). Default false. */
  readonly twoSidedOnly?: boolean;
}

/** Tests only: a MoldUDP64 publisher on 127.0.0.1 that answers joins and re-requests. */
export interface TestMoldPublisher {
  readonly rerequestPort: number;
  /** Publishes every message (20 per packet; packets holding a dropped sequence are not sent), then End of Session. Returns the message count. */
  publish(): number;
  stats(): { subscribers: number; joins: number; packetsSent: number; packetsDropped: number; requestsRefused: number };
  stop(): void;
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
  ItchFeed: new (options: ItchFeedOptions) => ItchFeed;
  /** Tests only: publishes a length-prefixed ITCH buffer over MoldUDP64 on loopback. */
  startMoldPublisher(bytes: Uint8Array, options?: { dropSequences?: readonly number[] }): TestMoldPublisher;
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
