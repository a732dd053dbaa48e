/**
 * Typed wrapper around colo.node, the Node binding of the colo C++ library (README.md): ITCH 5.0
 * files replayed through the order book, a live MoldUDP64 ITCH feed (ItchFeed), a synthetic ITCH
 * session for tests and benchmarks, the Order → OUCH 4.2 mapping, and an OUCH 4.2 / SoupBinTCP order
 * entry client (OuchClient).
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
  /** ItchFile: the 1-based number of the (well-formed) message in the file that made the row; empty from ItchFeed. */
  readonly message: Float64Array;
}

export interface ItchTradeColumns {
  readonly locate: Uint16Array;
  readonly ts_ns: Float64Array;
  readonly price: Float64Array;
  readonly shares: Float64Array;
  /** Character codes: 'B' (66) buyer crossed, 'S' (83) seller crossed, ' ' (32) unknown (crosses). */
  readonly aggressor: Uint8Array;
  /** ItchFile: as ItchQuoteColumns.message. */
  readonly message: Float64Array;
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
  /**
   * Messages after End of Messages (System Event 'C', the day's last message by the ITCH 5.0 spec):
   * how many, and the byte offset of the first one's length prefix. Counted, not applied to the book. Null when none.
   */
  readonly afterEnd: { count: number; firstOffset: number } | null;
  readonly symbols: readonly ItchSymbolSummary[];
}

export interface ItchFile {
  /** Replays until `maxRows` quote and trade rows were collected, or the file ends. */
  next(maxRows: number): { quotes: ItchQuoteColumns; trades: ItchTradeColumns; done: boolean; afterEnd: number };
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
  /** MoldUDP64 sequence number of the ITCH message that made the row. */
  readonly mold_seq: Float64Array;
  /** CLOCK_REALTIME µs (Unix epoch) when the feed thread made the row: the project's time unit, exact in a double. */
  readonly ts_known_us: Float64Array;
}
export interface ItchFeedTradeColumns extends ItchTradeColumns {
  readonly ts_event_us: Float64Array;
  readonly symbol_code: Int32Array;
  readonly mold_seq: Float64Array;
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
  /** Messages after End of Messages (System Event 'C', the day's last message by the ITCH 5.0 spec): counted, not applied to the book. */
  readonly afterEnd: number;
  /** The MoldUDP64 sequence of the first of them; null when none. */
  readonly afterEndFirstSequence: number | null;
  /** Join requests sent (until the first heartbeat names the session). */
  readonly joins: number;
  /** Times the feed stopped reading because maxRows rows were waiting for take(). */
  readonly stalls: number;
  readonly nextSequence: number;
  readonly rowsPending: number;
  /** Orders live in the book now. */
  readonly liveOrders: number;
  /** Slots in the book's order table (2^18 to 2^22: sized by liveOrders, then grown as needed). */
  readonly orderSlots: number;
  readonly session: string | null;
  /** End of Session seen and everything before it delivered. */
  readonly ended: boolean;
}

/**
 * A live MoldUDP64 ITCH feed on 127.0.0.1, read into the order book on Node's event loop (no
 * thread: the socket is read when it is readable). It joins the publisher's re-request port (a
 * count-0 request), re-requests the session from sequence 1, and buffers every top-of-book change
 * and print as columns until take().
 */
export interface ItchFeed {
  /**
   * The rows since the last take() as typed arrays (large columns over native memory, no copy;
   * small ones copied, which is cheaper than an external buffer), the tops left out by twoSidedOnly
   * so far, and `ended`: End of Session seen and everything before it delivered (these are the
   * last rows). A kind left out by the `rows` option comes back as empty columns.
   */
  take(): { quotes: ItchFeedQuoteColumns; trades: ItchFeedTradeColumns; oneSided: number; ended: boolean };
  /**
   * take() with nothing made per call (take-packed.ts reads it): `header` gets [quote rows, trade
   * rows, oneSided, ended ? 1 : 0, byte offset] and the columns are copied into an arena that later
   * takes fill on; it is returned when this take started a new one, undefined otherwise. take()'s
   * object when a column is large enough to hand over without a copy.
   */
  takePacked(header: Float64Array): ArrayBuffer | undefined | ReturnType<ItchFeed['take']>;
  stats(): ItchFeedStats;
  /** Locate → symbol for every locate the book has seen. */
  symbols(): Readonly<Record<number, string>>;
  /** Calls `callback` on the event loop after rows were added, and when End of Session was reached. Once per feed. */
  onData(callback: () => void): void;
  /** Stops reading and closes the socket's watchers. Idempotent. */
  close(): void;
}

export interface ItchFeedOptions {
  readonly rerequestPort: number;
  /** Rows only for these symbols (the book keeps every symbol). */
  readonly symbols?: readonly string[];
  /** Rows held before the feed stops reading until take() (soft bound; default 1 048 576). */
  readonly maxRows?: number;
  /** The session date's New York midnight in µs since the epoch, for ts_event_us (default 0). */
  readonly midnightUs?: number;
  /** Leave out tops with an empty side or crossed (counted in stats().oneSided). Default false. */
  readonly twoSidedOnly?: boolean;
  /** Which rows to make: 'quotes', 'trades' or 'both' (default). */
  readonly rows?: 'quotes' | 'trades' | 'both';
  /**
   * Busy-poll: while the feed is open, Node's event loop never sleeps (it polls with a zero
   * timeout), so a datagram is read at the loop's next turn instead of after a wake-up. Takes a
   * whole core. Default false.
   */
  readonly spin?: boolean;
  /**
   * Live orders to size the book's order table for before the first datagram (0..100 000 000), so
   * that no datagram waits while the table grows and every order is placed again (up to 140 ms at
   * a million orders). Default 2 097 152, a whole market's (the table's largest: 64 MiB, its pages
   * mapped as the feed's order numbers reach them); 0: the table starts at 4 MiB and grows as needed.
   */
  readonly liveOrders?: number;
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

/**
 * An outbound OUCH 4.2 message (venue to firm), every field by its name in native/colo/include/colo/ouch42.h
 * (`order_token`, `executed_shares`, `execution_price`, `liquidity_flag`, `match_number`, `reason`, ...)
 * plus `type` (the message type letter: S A U C D E B J P I T M). Integers are numbers (prices Price(4)
 * integers, `timestamp` ns since midnight New York; a value above 2^53 would be a BigInt), one-character
 * fields and alphanumerics strings without their padding.
 */
export type OuchOutboundMessage = { readonly type: string } & Readonly<Record<string, string | number | bigint>>;

/** What an OuchClient reports, in order, batched per onEvents call. */
export type OuchClientEvent =
  /** Logged in (also after each reconnect): the session and the next sequenced message expected. */
  | { readonly kind: 'login'; readonly session: string; readonly nextSequence: number }
  /**
   * Login Rejected: 'A' not authorized, 'S' session not available. The client stops. `refusedForMs`:
   * how long logins again had been refused 'S' when it gave up (0 for any other rejection).
   */
  | { readonly kind: 'rejectedLogin'; readonly reason: string; readonly text: string; readonly refusedForMs: number }
  /**
   * A login again after a dropped connection refused 'S' (the venue may still hold the dropped
   * connection): tried again after the backoff, for `loginRetryMs` from the first refusal. What is
   * queued stays queued.
   */
  | { readonly kind: 'loginRetry'; readonly reason: string; readonly text: string; readonly refusedForMs: number }
  /** A logged-in connection ended; the client reconnects after a short backoff. */
  | { readonly kind: 'disconnected'; readonly reason: string }
  /**
   * A connection ended before it logged in because the venue broke SoupBinTCP: a Login Accepted whose
   * sequence number does not parse, a bad packet (`reason`: "protocol error: …"). The client tries
   * again after the backoff, which doubles on to 4 s as after a login dropped at once.
   */
  | { readonly kind: 'loginFailed'; readonly reason: string }
  /** A sequenced message; `message` is null (and `error` says why) when it does not decode. */
  | { readonly kind: 'message'; readonly sequence: number; readonly message: OuchOutboundMessage | null; readonly error?: string }
  /** End of Session: the venue ended the session; the client stops. */
  | { readonly kind: 'end' };

export interface OuchClientStats {
  readonly port: number;
  /** TCP connections opened, logins accepted, logged-in connections lost, attempts that never logged in. */
  readonly connects: number;
  readonly logins: number;
  readonly disconnects: number;
  readonly failedConnects: number;
  /** Logins again refused 'S' and tried again (see `loginRetryMs`). */
  readonly refusedLogins: number;
  /** Messages accepted by send(), written to the socket, and still waiting for a login. */
  readonly queued: number;
  readonly sent: number;
  /** Of `sent`, the messages send() or flush() wrote at once (logged in); the rest waited for a login. */
  readonly sentDirect: number;
  /** Their socket writes: one per send(), or one per flush() of held messages. */
  readonly directWrites: number;
  readonly waiting: number;
  /** Sequenced messages received. */
  readonly received: number;
  /** Errors the event loop reported on the socket (the round after each one reads what is wrong). */
  readonly pollErrors: number;
  readonly session: string | null;
  readonly closed: boolean;
}

export interface OuchClientOptions {
  /** The venue's OUCH (SoupBinTCP) port on 127.0.0.1. */
  readonly port: number;
  /** SoupBinTCP username, 1..6 characters. */
  readonly username: string;
  /** SoupBinTCP password, 1..10 characters. */
  readonly password: string;
  /** The session to log in to; blank or absent: the venue's current one. */
  readonly session?: string;
  /**
   * The first sequenced message wanted at login (default 1: the session's whole history, each
   * message again); 0: only what the venue sends after the login (its Login Accepted names the next).
   */
  readonly nextSequence?: number;
  /**
   * How long a login again after a dropped connection is tried again when the venue refuses it 'S'
   * (it may not have seen the dropped connection go), from the first refusal; default 16,000 (a
   * SoupBinTCP peer calls a silent connection dead after 15 s), 0: never. The first login is never
   * tried again.
   */
  readonly loginRetryMs?: number;
  /** Called on the event loop with each round's events (one call per round that had any). */
  readonly onEvents: (events: readonly OuchClientEvent[]) => void;
}

/**
 * An OUCH 4.2 order entry connection over SoupBinTCP 3.0 to 127.0.0.1, run on Node's event loop (a
 * poll handle on the socket and a 5 ms timer; no thread): it logs in, sends queued messages as
 * Unsequenced Data, heartbeats, and on a dropped connection or a dead peer (15 s of silence)
 * reconnects after a short backoff (20 ms doubling to 0.5 s) and logs in to the same session at last
 * received + 1, so no sequenced message is lost or repeated. It does not keep the process alive.
 */
export interface OuchClient {
  /**
   * Queues one OUCH inbound message (the bytes of `orderToOuch`); false after close() or once the
   * client has read the end of the session (End of Session, a rejected login): an End of Session
   * that arrived while JS was busy is read at the next turn of the event loop, and a message sent
   * before then goes unanswered (OuchSession reports it with the orders the venue never answered).
   * While disconnected it waits and goes out after the next login. A message already
   * written to a socket that then dropped is not sent again: its fate is in the venue's answers (an
   * Enter Order the venue already has is rejected as a duplicate token, never filled twice). With
   * `hold` it is only queued, for flush() to write with the messages after it.
   */
  send(bytes: Uint8Array, hold?: boolean): boolean;
  /** Writes what `send(bytes, true)` queued: the messages of one step in one write. */
  flush(): void;
  stats(): OuchClientStats;
  /**
   * The Order Token each message still waiting in the queue names (an Enter, Cancel or Modify Order's,
   * a Replace Order's replacement), in queue order: never written to a socket, so the venue cannot
   * have them.
   */
  unsentTokens(): string[];
  /** Tests only: resets the TCP connection (RST) from this side; the client reconnects at once. */
  dropConnection(): void;
  /**
   * Logs out (after sending what is queued, if logged in), closes the connection, and hands the events
   * not yet delivered to onEvents before returning. Idempotent; it may be called from onEvents.
   */
  close(): void;
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
  /**
   * orderToOuch with the order's fields as arguments (enums as their index: side BUY 0 SELL 1; action
   * NEW 0 CANCEL 1 REPLACE 2; time_in_force DAY 0 IOC 1; order_type MARKET 0 LIMIT 1; -1 for anything
   * else; no limit price: null): the bytes written to `out` (64 bytes or more), or why it cannot be
   * sent. For the live path (lib/execution/order-encoder.ts): nothing is made per call but the result.
   */
  encodeOrder(
    out: Uint8Array,
    orderId: string,
    symbol: string,
    side: number,
    action: number,
    timeInForce: number,
    orderType: number,
    qty: number,
    refPrice: number,
    limitPrice: number | null | undefined,
    targetOrderId: string | null,
    marketCollar: number | undefined,
  ): number | string;
  /** The 14-character Order Token of an order id: base-36 of the first 72 bits of its SHA-256. */
  ouchToken(orderId: string): string;
  OuchClient: new (options: OuchClientOptions) => OuchClient;
}

export const colo = addonLoader<ColoBinding>(
  new URL('./colo.node', import.meta.url),
  'the colo binding (native/colo)',
  'needs cmake, ninja, g++, GoogleTest and Abseil: native/colo/build.sh installs them with apt-get',
);
