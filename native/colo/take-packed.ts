/**
 * ItchFeed.takePacked → take()'s columns: views over the arena the feed copies its rows into, in
 * the order the native side writes them (itch_feed.cc, TakePacked). A live feed's take is a few
 * rows; making these views here costs a fraction of what twenty typed arrays and two objects made
 * through N-API cost, and the feed makes no buffer per take.
 */
import type { ItchFeed } from './index.ts';

export type ItchFeedTake = ReturnType<ItchFeed['take']>;

const NONE = { f64: new Float64Array(0), i32: new Int32Array(0), u16: new Uint16Array(0), u8: new Uint8Array(0) };

/** Reads the packed columns in order from `at`; each column starts at an 8-byte boundary. */
class Columns {
  private buffer = new ArrayBuffer(0);
  private at = 0;
  /** Reads on from byte `at` of `buffer` (one reader per feed, reused by every take). */
  from(buffer: ArrayBuffer, at: number): this {
    this.buffer = buffer;
    this.at = at;
    return this;
  }
  private start(bytes: number): number {
    const at = (this.at + 7) & ~7;
    this.at = at + bytes;
    return at;
  }
  // A kind with no rows (a feed of quotes only has no trades) shares empty arrays: no views made.
  f64(n: number): Float64Array {
    return n === 0 ? NONE.f64 : new Float64Array(this.buffer, this.start(n * 8), n);
  }
  i32(n: number): Int32Array {
    return n === 0 ? NONE.i32 : new Int32Array(this.buffer, this.start(n * 4), n);
  }
  u16(n: number): Uint16Array {
    return n === 0 ? NONE.u16 : new Uint16Array(this.buffer, this.start(n * 2), n);
  }
  u8(n: number): Uint8Array {
    return n === 0 ? NONE.u8 : new Uint8Array(this.buffer, this.start(n), n);
  }
}

/** One feed's takes: `take()` gives what ItchFeed.take() gives, through takePacked. */
export class PackedTaker {
  /** [quote rows, trade rows, oneSided, ended, byte offset], written by each takePacked. */
  private readonly header = new Float64Array(5);
  private arena: ArrayBuffer | undefined;
  private readonly columns = new Columns();
  constructor(private readonly feed: ItchFeed) {}

  take(): ItchFeedTake {
    const header = this.header;
    const got = this.feed.takePacked(header);
    if (got instanceof ArrayBuffer) this.arena = got;
    else if (got !== undefined) return got; // large columns, handed over as take() hands them
    const nq = header[0]!;
    const nt = header[1]!;
    const c = this.columns.from(this.arena!, header[4]!);
    // Property order is evaluation order: the native side's column order.
    const quotes = {
      ts_ns: c.f64(nq),
      ts_known_us: c.f64(nq),
      ts_event_us: c.f64(nq),
      mold_seq: c.f64(nq),
      bid: c.f64(nq),
      ask: c.f64(nq),
      bid_size: c.f64(nq),
      ask_size: c.f64(nq),
      locate: c.u16(nq),
      symbol_code: c.i32(nq),
      message: NONE.f64,
    };
    const trades = {
      ts_ns: c.f64(nt),
      ts_known_us: c.f64(nt),
      ts_event_us: c.f64(nt),
      mold_seq: c.f64(nt),
      price: c.f64(nt),
      shares: c.f64(nt),
      locate: c.u16(nt),
      symbol_code: c.i32(nt),
      aggressor: c.u8(nt),
      message: NONE.f64,
    };
    return { quotes, trades, oneSided: header[2]!, ended: header[3] === 1 };
  }
}
