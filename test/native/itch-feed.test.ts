/**
 * ItchFeed (native/colo/addon/itch_feed.cc) against a real MoldUDP64 publisher on loopback: a
 * simulated ITCH session is published with packets lost on purpose; the feed must join, re-request
 * the gaps, and end with the same top of book per symbol as ItchFile's replay of the same bytes.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { colo, type ItchFeed, type ItchSummary } from '../../native/colo/index.ts';
import { PackedTaker } from '../../native/colo/take-packed.ts';
import { loopBusyShare } from '../helpers/event-loop.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-itch-feed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** Messages in a length-prefixed ITCH buffer (2-byte big-endian length, then the message). */
function countMessages(b: Uint8Array): number {
  let n = 0;
  for (let off = 0; off + 2 <= b.length; n++) off += 2 + ((b[off]! << 8) | b[off + 1]!);
  return n;
}

interface Top {
  bid: number | null;
  ask: number | null;
  bidSize: number;
  askSize: number;
}

/** Drains a feed until `done`, keeping the last quote row per locate and the row counts. */
async function drain(feed: ItchFeed, done: () => boolean) {
  const last = new Map<number, Top>();
  let quotes = 0;
  let trades = 0;
  let knownOk = true;
  const before = (Date.now() - 60_000) * 1000;
  const takeAll = () => {
    const { quotes: q, trades: t } = feed.take();
    for (let i = 0; i < q.locate.length; i++) {
      last.set(q.locate[i]!, {
        bid: Number.isNaN(q.bid[i]!) ? null : q.bid[i]!,
        ask: Number.isNaN(q.ask[i]!) ? null : q.ask[i]!,
        bidSize: q.bid_size[i]!,
        askSize: q.ask_size[i]!,
      });
      if (q.ts_known_us[i]! < before) knownOk = false;
    }
    quotes += q.locate.length;
    trades += t.locate.length;
    expect(t.ts_known_us.length).toBe(t.locate.length);
  };
  while (!done()) {
    takeAll();
    await sleep(2);
  }
  takeAll();
  return { last, quotes, trades, knownOk };
}

function summaryOf(bytes: Uint8Array, name: string): ItchSummary {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const file = new (colo().ItchFile)(path);
  file.next(1e8);
  return file.summary();
}

describe('ItchFeed: MoldUDP64 on loopback → book → columns for JS', () => {
  it('survives hostile datagrams on its port: counts them as errors and still ends with the same tops', async () => {
    const bytes = colo().simulateItchSession({ messages: 5_000, symbols: 5, seed: 21 });
    const total = countMessages(bytes);
    const pub = colo().startMoldPublisher(bytes, {});
    const feed = new (colo().ItchFeed)({ rerequestPort: pub.rerequestPort });
    const sock = createSocket('udp4');
    try {
      await until('the join', () => pub.stats().subscribers === 1);
      await until('the session named', () => feed.stats().session !== null);
      const header = (session: string, seq: bigint, count: number) => {
        const b = Buffer.alloc(20);
        b.write(session.padEnd(10), 0, 'ascii');
        b.writeBigUInt64BE(seq, 10);
        b.writeUInt16BE(count, 18);
        return b;
      };
      const hostile = [
        Buffer.alloc(0), // empty
        Buffer.from('short'), // shorter than a MoldUDP64 header
        Buffer.concat([header('ALPHATEST1', 1n, 3), Buffer.from([0x00, 0x40, 0x41])]), // a message length past the datagram
        Buffer.concat([header('ALPHATEST1', 2n ** 63n, 1), Buffer.from([0x00, 0x01, 0x53])]), // a sequence far ahead
        Buffer.concat([header('OTHERSESS1', 1n, 1), Buffer.from([0x00, 0x01, 0x53])]), // another session
        Buffer.from(Array.from({ length: 1400 }, (_, i) => (i * 37 + 11) % 251)), // noise
      ];
      const port = feed.stats().port;
      for (const d of hostile) await new Promise<void>((r) => sock.send(d, port, '127.0.0.1', () => r()));
      pub.publish();
      const got = await drain(feed, () => feed.stats().ended);
      const s = feed.stats();
      expect(s.delivered).toBe(total);
      // The four that are not MoldUDP64 are parse errors; the other session's packet is counted and dropped.
      expect([s.parseErrors, s.sessionChanges, s.bookErrors]).toEqual([4, 1, 0]);
      const summary = summaryOf(bytes, 'hostile.itch');
      for (const sym of summary.symbols) {
        if (sym.bid === null && sym.ask === null) continue;
        expect(got.last.get(sym.locate), sym.symbol).toEqual({ bid: sym.bid, ask: sym.ask, bidSize: sym.bidSize, askSize: sym.askSize });
      }
    } finally {
      sock.close();
      feed.close();
      pub.stop();
    }
  });

  it('joins, recovers lost packets by re-request, and ends with the same tops as ItchFile', async () => {
    const bytes = colo().simulateItchSession({ messages: 60_000, symbols: 25, seed: 11 });
    const total = countMessages(bytes);
    // Lost: the packet with the first directory message, two neighbours, one mid-session, and the
    // last one (only End of Session reveals it). 20 messages per packet.
    const dropSequences = [2, 1001, 1021, 30_000, total];
    const pub = colo().startMoldPublisher(bytes, { dropSequences });
    const feed = new (colo().ItchFeed)({ rerequestPort: pub.rerequestPort });
    try {
      let wakes = 0;
      feed.onData(() => {
        wakes++;
      });
      await until('the join', () => pub.stats().subscribers === 1);
      // The publisher answered the join with a heartbeat naming its session; the feed reads it on the event loop.
      await until('the session named', () => feed.stats().session !== null);
      expect(feed.stats().session).toBe('ALPHATEST1');
      expect(pub.publish()).toBe(total);
      expect(pub.stats().packetsDropped).toBe(5);
      const got = await drain(feed, () => feed.stats().ended);

      const s = feed.stats();
      expect(s.delivered).toBe(total);
      // The burst arrives before the feed reads it, so the holes are found while the first is
      // still open (gaps counts a gap when none was open): at least one. Each of the four holes
      // (packets 1, 51-52, 1500 and the last) needs a request of its own.
      expect(s.gaps).toBeGreaterThanOrEqual(1);
      expect(s.requests).toBeGreaterThanOrEqual(4);
      expect(s.errors).toBe(0);
      expect(s.joins).toBeGreaterThanOrEqual(1);
      expect(pub.stats().requestsRefused).toBe(0);
      await until('an onData call', () => wakes > 0); // called on the event loop after rows were added
      expect(got.knownOk).toBe(true);

      const summary = summaryOf(bytes, 'session.itch');
      expect(summary.frameErrors).toEqual([]);
      let compared = 0;
      for (const sym of summary.symbols) {
        if (sym.bid === null && sym.ask === null) continue;
        expect(got.last.get(sym.locate), sym.symbol).toEqual({
          bid: sym.bid,
          ask: sym.ask,
          bidSize: sym.bidSize,
          askSize: sym.askSize,
        });
        compared++;
      }
      expect(compared).toBe(25);
      expect(feed.symbols()[3]).toBe('S0003');
      // Rows: one per top change and print, as ItchFile counts them.
      const prints = summary.symbols.reduce((n, x) => n + x.trades, 0);
      expect(got.trades).toBe(prints);
    } finally {
      feed.close();
      feed.close(); // idempotent
      pub.stop();
    }
  });

  it('takePacked gives take()’s columns: packed for a few rows, handed over when JS fell behind', async () => {
    const bytes = colo().simulateItchSession({ messages: 80_000, symbols: 20, seed: 7 });
    const pub = colo().startMoldPublisher(bytes, {});
    const feeds = [0, 1, 2].map(() => new (colo().ItchFeed)({ rerequestPort: pub.rerequestPort }));
    const takers = feeds.map((f) => new PackedTaker(f));
    const arenas = new Set<ArrayBufferLike>();
    type Got = ReturnType<ItchFeed['take']>;
    const columns = new Map<string, number[]>();
    /** Every column's values by feed (ts_known_us left out: each feed stamps its own rows). */
    const keep = (f: number, got: Got): void => {
      for (const kind of ['quotes', 'trades'] as const)
        for (const [name, values] of Object.entries(got[kind])) {
          if (name === 'ts_known_us' || name === 'message') continue;
          const key = `${f} ${kind}.${name}`;
          const all = columns.get(key) ?? [];
          for (let i = 0; i < (values as ArrayLike<number>).length; i++) all.push((values as ArrayLike<number>)[i]!);
          columns.set(key, all);
        }
    };
    let packedCalls = 0;
    let handedOver = 0;
    const packed = (f: number): void => {
      const got = takers[f]!.take();
      // Packed: the columns are views of the feed's arena. Handed over: the large ones each over its own.
      if (got.quotes.bid.buffer === got.quotes.ask.buffer) {
        packedCalls++;
        if (got.quotes.bid.length > 0) arenas.add(got.quotes.bid.buffer);
      } else handedOver++;
      keep(f, got);
      // Hostile: JS detaches the arena (transfers it away); the feed must start a new one, not write into it.
      if (f === 1 && packedCalls === 3 && got.quotes.locate.length > 0) {
        structuredClone(got.quotes.bid.buffer, { transfer: [got.quotes.bid.buffer as ArrayBuffer] });
        detached = true;
      }
    };
    let detached = false;
    try {
      for (const bad of [undefined, new Float64Array(4), new Float32Array(5), [0, 0, 0, 0, 0]])
        expect(() => feeds[0]!.takePacked(bad as never)).toThrow(/takePacked\(header: Float64Array of 5 or more\)/);
      await until('the joins', () => pub.stats().subscribers === 3);
      await until('the sessions named', () => feeds.every((f) => f.stats().session !== null));
      pub.publish();
      // Feed 0 through take() and feed 1 through takePacked as rows come; feed 2 only at the end.
      while (!feeds.every((f) => f.stats().ended)) {
        keep(0, feeds[0]!.take());
        packed(1);
        await sleep(1);
      }
      keep(0, feeds[0]!.take());
      packed(1);
      packed(2);
      expect(handedOver).toBe(1);
      expect(detached).toBe(true);
      expect(packedCalls).toBeGreaterThan(1);
      // Takes fill an arena on and start another when it is full (1 MiB: ~14,000 quote rows).
      expect(arenas.size).toBeGreaterThan(1);
      const names = [...columns.keys()].filter((k) => k.startsWith('0 ')).map((k) => k.slice(2));
      expect(names.length).toBe(17);
      for (const name of names) {
        const want = columns.get(`0 ${name}`)!;
        expect(want.length, name).toBeGreaterThan(1000);
        expect(columns.get(`1 ${name}`), `${name} (packed)`).toEqual(want);
        expect(columns.get(`2 ${name}`), `${name} (handed over)`).toEqual(want);
      }
    } finally {
      for (const f of feeds) f.close();
      pub.stop();
    }
  });

  it('a late joiner rebuilds the whole session from sequence 1, rows only for the symbols asked for', async () => {
    const bytes = colo().simulateItchSession({ messages: 20_000, symbols: 10, seed: 5 });
    const total = countMessages(bytes);
    const pub = colo().startMoldPublisher(bytes, {});
    try {
      expect(pub.publish()).toBe(total); // nobody listens yet: stored, sent to no one
      const feed = new (colo().ItchFeed)({ rerequestPort: pub.rerequestPort, symbols: ['S0004'], maxRows: 50 });
      try {
        // Not taking: the feed stops reading once 50 rows wait, and resumes after take().
        await until('a stall', () => feed.stats().stalls > 0);
        expect(feed.stats().rowsPending).toBeGreaterThanOrEqual(50);
        const got = await drain(feed, () => feed.stats().delivered === total);
        const s = feed.stats();
        expect(s.requests).toBeGreaterThanOrEqual(Math.ceil(total / 4096)); // 4096 messages per request at most
        expect([...got.last.keys()]).toEqual([4]);
        const mine = summaryOf(bytes, 'late.itch').symbols.find((x) => x.symbol === 'S0004')!;
        expect(got.last.get(4)).toEqual({ bid: mine.bid, ask: mine.ask, bidSize: mine.bidSize, askSize: mine.askSize });
      } finally {
        feed.close();
      }
    } finally {
      pub.stop();
    }
  });

  it('makes only the rows asked for, and take() carries the one-sided count and the end', async () => {
    const bytes = colo().simulateItchSession({ messages: 5_000, symbols: 5, seed: 9 });
    const total = countMessages(bytes);
    const pub = colo().startMoldPublisher(bytes, {});
    const both = new (colo().ItchFeed)({ rerequestPort: pub.rerequestPort, twoSidedOnly: true });
    const quotes = new (colo().ItchFeed)({ rerequestPort: pub.rerequestPort, twoSidedOnly: true, rows: 'quotes' });
    const trades = new (colo().ItchFeed)({ rerequestPort: pub.rerequestPort, rows: 'trades' });
    try {
      await until('three joins', () => pub.stats().subscribers === 3);
      pub.publish();
      const counts = async (feed: ItchFeed) => {
        let q = 0;
        let t = 0;
        for (;;) {
          const got = feed.take();
          q += got.quotes.bid.length;
          t += got.trades.price.length;
          // ended comes with the last rows: nothing is left after it.
          if (got.ended) {
            expect(feed.stats().delivered).toBe(total);
            const after = feed.take();
            expect(after.quotes.bid.length + after.trades.price.length).toBe(0);
            return { q, t, oneSided: got.oneSided };
          }
          await sleep(2);
        }
      };
      const [b, q, t] = [await counts(both), await counts(quotes), await counts(trades)];
      expect(b.q).toBeGreaterThan(0);
      expect(b.t).toBeGreaterThan(0);
      expect(q).toEqual({ q: b.q, t: 0, oneSided: b.oneSided });
      expect(t.q).toBe(0);
      expect(t.t).toBe(b.t);
      expect(b.oneSided).toBe(both.stats().oneSided);
      expect(t.oneSided).toBe(0); // not twoSidedOnly
    } finally {
      for (const f of [both, quotes, trades]) f.close();
      pub.stop();
    }
  });

  it('spin keeps the event loop polling while the feed is open, and reads the same session', async () => {
    const bytes = colo().simulateItchSession({ messages: 20_000, symbols: 10, seed: 9 });
    const pub = colo().startMoldPublisher(bytes, { dropSequences: [40, 7000] });
    const blocking = new (colo().ItchFeed)({ rerequestPort: pub.rerequestPort });
    let spinning: ItchFeed | undefined;
    try {
      const asleep = await loopBusyShare(300);
      spinning = new (colo().ItchFeed)({ rerequestPort: pub.rerequestPort, spin: true });
      const awake = await loopBusyShare(300);
      // Spinning, the loop polls with a zero timeout and never sleeps; without, it sleeps between the 10 ms ticks.
      expect(awake).toBeGreaterThan(0.9);
      expect(asleep).toBeLessThan(0.5);
      await until('the joins', () => pub.stats().subscribers === 2);
      pub.publish();
      const [a, b] = [blocking, spinning].map((f) => drain(f, () => f.stats().ended));
      const [got, spun] = [await a!, await b!];
      expect(spun.quotes).toBe(got.quotes);
      expect(spun.trades).toBe(got.trades);
      expect([...spun.last]).toEqual([...got.last]);
      spinning.close();
      expect(await loopBusyShare(300)).toBeLessThan(0.5); // closed: the loop sleeps again
    } finally {
      blocking.close();
      spinning?.close();
      pub.stop();
    }
  });

  it('refuses bad options', () => {
    expect(() => new (colo().ItchFeed)({ rerequestPort: 9, spin: 'yes' as never })).toThrow(/spin must be a boolean/);
    const Feed = colo().ItchFeed;
    expect(() => new Feed({ rerequestPort: 9, rows: 'bars' as never })).toThrow(/rows must be 'quotes', 'trades' or 'both'/);
    expect(() => new Feed({} as never)).toThrow(/rerequestPort is required/);
    expect(() => new Feed({ rerequestPort: 70_000 })).toThrow(/rerequestPort must be an integer/);
    expect(() => new Feed({ rerequestPort: 9, symbols: 'S0001' as never })).toThrow(/symbols must be an array/);
    expect(() => new Feed({ rerequestPort: 9, liveOrders: -1 })).toThrow(/liveOrders must be an integer from 0 to 100000000/);
    expect(() => new Feed({ rerequestPort: 9, liveOrders: 1.5 })).toThrow(/liveOrders must be an integer/);
  });

  it("sizes the book's order table for liveOrders before the first datagram: a whole market's by default", () => {
    // The table has twice as many slots as the orders it is sized for, a power of two from 2^18 to
    // 2^22 (colo/order_index.h); the default, 2^21 orders, takes the largest.
    const slots = (liveOrders?: number) => {
      const feed = new (colo().ItchFeed)({ rerequestPort: 9, ...(liveOrders === undefined ? {} : { liveOrders }) });
      try {
        expect(feed.stats().liveOrders).toBe(0);
        return feed.stats().orderSlots;
      } finally {
        feed.close();
      }
    };
    expect(slots()).toBe(2 ** 22);
    expect(slots(300_000)).toBe(2 ** 20); // 600,000 slots wanted: 2^20 is the first power of two past it
    expect(slots(0)).toBe(2 ** 18); // no reservation: the smallest table, mapped at the first add
    expect(slots(100_000_000)).toBe(2 ** 22);
  });
});
