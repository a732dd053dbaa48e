/**
 * ITCH 5.0 messages written in TypeScript from the spec's field tables, independently of the C++
 * encoder, for tests that check the native feed handler against bytes they made themselves.
 * Each message is framed as in NASDAQ's files: a 2-byte big-endian length, then the message.
 */

/** A message's bytes after its type, header included (locate, tracking, 48-bit timestamp). */
class Fields {
  readonly bytes: number[] = [];
  constructor(type: string, locate: number, ts: bigint) {
    this.char(type).u16(locate).u16(0).u48(ts);
  }
  char(c: string): this {
    this.bytes.push(c.charCodeAt(0));
    return this;
  }
  u16(v: number): this {
    this.bytes.push((v >> 8) & 0xff, v & 0xff);
    return this;
  }
  u32(v: number): this {
    this.bytes.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    return this;
  }
  u48(v: bigint): this {
    for (let shift = 40n; shift >= 0n; shift -= 8n) this.bytes.push(Number((v >> shift) & 0xffn));
    return this;
  }
  u64(v: bigint): this {
    for (let shift = 56n; shift >= 0n; shift -= 8n) this.bytes.push(Number((v >> shift) & 0xffn));
    return this;
  }
  alpha(s: string, width: number): this {
    for (let i = 0; i < width; i++) this.bytes.push(i < s.length ? s.charCodeAt(i) : 0x20);
    return this;
  }
}

export class ItchWriter {
  private readonly chunks: number[][] = [];

  private put(f: Fields, expectedLength: number): void {
    if (f.bytes.length !== expectedLength)
      throw new Error(`test writer: ${String.fromCharCode(f.bytes[0]!)} is ${f.bytes.length} bytes, spec ${expectedLength}`);
    this.chunks.push([(f.bytes.length >> 8) & 0xff, f.bytes.length & 0xff, ...f.bytes]);
  }

  /** Raw framed bytes (for malformed records). */
  raw(bytes: number[]): void {
    this.chunks.push(bytes);
  }

  systemEvent(ts: bigint, code: string): void {
    this.put(new Fields('S', 0, ts).char(code), 12);
  }

  stockDirectory(locate: number, ts: bigint, stock: string): void {
    const f = new Fields('R', locate, ts).alpha(stock, 8).char('Q').char('N').u32(100).char('N').char('C').alpha('Z', 2);
    this.put(f.char('P').char('N').char('N').char('1').char('N').u32(0).char('N'), 39);
  }

  /**
   * The start of a day of one stock: the market open at `at`, the stock at `locate`, and a two-sided
   * book of 100 shares a side (orders 1 and 2: bid $100.00, ask $100.10).
   */
  openTwoSided(locate: number, at: bigint, stock: string): void {
    this.systemEvent(at, 'O');
    this.stockDirectory(locate, at, stock);
    this.add(locate, at, 1n, 'B', 100, stock, 1_000_000);
    this.add(locate, at + 1n, 2n, 'S', 100, stock, 1_001_000);
  }

  add(locate: number, ts: bigint, ref: bigint, side: 'B' | 'S', shares: number, stock: string, price: number, mpid?: string): void {
    const f = new Fields(mpid ? 'F' : 'A', locate, ts).u64(ref).char(side).u32(shares).alpha(stock, 8).u32(price);
    if (mpid) this.put(f.alpha(mpid, 4), 40);
    else this.put(f, 36);
  }

  executed(locate: number, ts: bigint, ref: bigint, shares: number, match: bigint): void {
    this.put(new Fields('E', locate, ts).u64(ref).u32(shares).u64(match), 31);
  }

  executedWithPrice(locate: number, ts: bigint, ref: bigint, shares: number, match: bigint, printable: boolean, price: number): void {
    this.put(
      new Fields('C', locate, ts)
        .u64(ref)
        .u32(shares)
        .u64(match)
        .char(printable ? 'Y' : 'N')
        .u32(price),
      36,
    );
  }

  cancel(locate: number, ts: bigint, ref: bigint, shares: number): void {
    this.put(new Fields('X', locate, ts).u64(ref).u32(shares), 23);
  }

  delete(locate: number, ts: bigint, ref: bigint): void {
    this.put(new Fields('D', locate, ts).u64(ref), 19);
  }

  replace(locate: number, ts: bigint, ref: bigint, newRef: bigint, shares: number, price: number): void {
    this.put(new Fields('U', locate, ts).u64(ref).u64(newRef).u32(shares).u32(price), 35);
  }

  trade(locate: number, ts: bigint, side: 'B' | 'S', shares: number, stock: string, price: number, match: bigint): void {
    this.put(new Fields('P', locate, ts).u64(0n).char(side).u32(shares).alpha(stock, 8).u32(price).u64(match), 44);
  }

  bytes(): Buffer {
    return Buffer.from(this.chunks.flat());
  }
}
