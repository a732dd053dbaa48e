/**
 * OuchClient (native/colo/addon/ouch_client.cc) against the venue executable on loopback: messages sent
 * before the login wait and go out after it; every outbound message arrives decoded by field name;
 * a connection reset from the client's side is followed by a login at last received + 1, so the
 * sequenced stream has no gap and no repeat and equals the venue's audit trail.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { colo, type OuchClientEvent, type OuchOrderInput } from '../../native/colo/index.ts';
import { startVenue, until, type VenueProcess, venueTops } from '../helpers/venue-process.ts';

const addonPath = fileURLToPath(new URL('../../native/colo/colo.node', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'alpha-ouch-client-'));
let venue: VenueProcess;
let tops: Awaited<ReturnType<typeof venueTops>>;

beforeAll(async () => {
  venue = await startVenue(dir, { users: ['alice:pwa', 'bob:pwb'] });
  tops = await venueTops(venue);
});
afterAll(async () => {
  await venue?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const order = (o: Partial<OuchOrderInput> & { order_id: string }): Uint8Array => {
  const r = colo().orderToOuch({
    symbol: 'S0001',
    side: 'BUY',
    qty: 100,
    order_type: 'LIMIT',
    limit_price: 1,
    ref_price: 1,
    time_in_force: 'DAY',
    action: 'NEW',
    target_order_id: null,
    ...o,
  });
  if (!r.ok) throw new Error(r.error);
  return r.bytes;
};

/** A client of the venue's user bob. */
const bob = (onEvents: (events: readonly OuchClientEvent[]) => void, nextSequence?: number) =>
  new (colo().OuchClient)({
    port: venue.ouchPort,
    username: 'bob',
    password: 'pwb',
    ...(nextSequence === undefined ? {} : { nextSequence }),
    onEvents,
  });

/** Keeps JS busy, with no turn of the event loop, until the venue's audit has an answer to each order id (5 s at most). */
function busyUntilAnswered(ids: readonly string[]): number {
  const tokens = new Set(ids.map((id) => colo().ouchToken(id)));
  const answered = () =>
    venue
      .audit()
      .filter(
        (l) => l.dir === 'out' && l.proto === 'ouch' && tokens.has((l.fields as { order_token?: string } | undefined)?.order_token ?? ''),
      ).length;
  const start = Date.now();
  while (answered() < ids.length && Date.now() - start < 5000) {}
  return answered();
}

describe('OuchClient', () => {
  it('refuses bad arguments with a TypeError naming the field', () => {
    const Client = colo().OuchClient;
    const onEvents = () => {};
    expect(() => new Client({ port: 0, username: 'a', password: 'b', onEvents })).toThrow(/port must be an integer/);
    expect(() => new Client({ port: 1, username: 'toolongname', password: 'b', onEvents })).toThrow(/username must be/);
    expect(() => new Client({ port: 1, username: 'a', password: '', onEvents })).toThrow(/password must be/);
    expect(() => new Client({ port: 1, username: 'a', password: 'b', session: 'x'.repeat(11), onEvents })).toThrow(/session must be/);
    expect(() => new Client({ port: 1, username: 'a', password: 'b', onEvents: 3 as never })).toThrow(/onEvents must be a function/);
    const c = new Client({ port: 1, username: 'a', password: 'b', onEvents });
    try {
      expect(() => c.send(new Uint8Array(3))).toThrow(/one OUCH 4.2 inbound message/);
      expect(() => c.send('O' as never)).toThrow(/Uint8Array/);
    } finally {
      c.close();
      c.close();
    }
    expect(c.send(order({ order_id: 'late' }))).toBe(false);
    expect(c.send(order({ order_id: 'late-held' }), true)).toBe(false);
    expect(c.flush()).toBeUndefined(); // after close: nothing to write, no error
  });

  it('names the Order Token of each message still queued: an Enter, a Cancel, a Replace by its replacement', () => {
    // A port nothing listens on after this: the client never logs in, so everything stays queued.
    const c = new (colo().OuchClient)({ port: 1, username: 'bob', password: 'pwb', onEvents: () => {} });
    try {
      expect(c.unsentTokens()).toEqual([]);
      c.send(order({ order_id: 'e1' }), true);
      c.send(order({ order_id: 'x1', action: 'CANCEL', target_order_id: 'e1', qty: 0 }), true);
      c.send(order({ order_id: 'r1', action: 'REPLACE', target_order_id: 'e1', qty: 50 }), true);
      const token = colo().ouchToken;
      expect(c.unsentTokens()).toEqual([token('e1'), token('e1'), token('r1')]);
      expect(c.stats().waiting).toBe(3);
    } finally {
      c.close();
    }
  });

  it('sends from the calling thread while logged in, and every message reaches the venue once', async () => {
    const events: OuchClientEvent[] = [];
    const client = bob((b) => events.push(...b));
    try {
      await until('the login', () => events.some((e) => e.kind === 'login'));
      const ids = Array.from({ length: 20 }, (_, i) => `direct-${i}`);
      for (const id of ids) {
        expect(client.send(order({ order_id: id, symbol: 'S0002', limit_price: 0.01 }))).toBe(true);
        await new Promise((r) => setTimeout(r, 3));
      }
      await until('20 answers', () => events.filter((e) => e.kind === 'message').length >= 20);
      const stats = client.stats();
      expect(stats).toMatchObject({ queued: 20, sent: 20, waiting: 0 });
      // Logged in, every send() writes at once from the calling thread: there is no other thread.
      expect(stats).toMatchObject({ sentDirect: 20, directWrites: 20 });
      const tokens = new Set(ids.map((id) => colo().ouchToken(id)));
      const audited = venue.audit().filter((l) => l.dir === 'in' && l.session === 'bob' && l.name === 'EnterOrder');
      expect(audited.map((l) => (l.fields as { order_token: string }).order_token).sort()).toEqual([...tokens].sort());
    } finally {
      client.close();
    }
  });

  it('send(bytes, true) holds a message for flush(): one step’s orders reach the venue in one read', async () => {
    const events: OuchClientEvent[] = [];
    const client = bob((b) => events.push(...b));
    try {
      await until('the login', () => events.some((e) => e.kind === 'login'));
      expect(() => client.send(order({ order_id: 'x' }), 1 as never)).toThrow(/hold must be a boolean/);
      const bursts = Array.from({ length: 20 }, (_, b) => [0, 1, 2].map((i) => `burst-${b}-${i}`));
      const writesBefore = client.stats().directWrites;
      for (const burst of bursts) {
        for (const id of burst) expect(client.send(order({ order_id: id, symbol: 'S0003', limit_price: 0.01 }), true)).toBe(true);
        client.flush();
        await new Promise((r) => setTimeout(r, 5));
      }
      await until('60 answers', () => events.filter((e) => e.kind === 'message').length >= 60);
      const readAt = new Map(
        venue
          .audit()
          .filter((l) => l.dir === 'in' && l.session === 'bob' && l.name === 'EnterOrder')
          .map((l) => [(l.fields as { order_token: string }).order_token, l.read_ns as number]),
      );
      expect(bursts.flat().every((id) => readAt.has(colo().ouchToken(id)))).toBe(true);
      // One write per burst, from flush(): nothing else runs between the sends and the flush.
      expect(client.stats().directWrites - writesBefore).toBe(20);
      // Written at once, a burst is read at once.
      const together = bursts.filter((burst) => new Set(burst.map((id) => readAt.get(colo().ouchToken(id)))).size === 1);
      expect(together.length).toBe(20);
    } finally {
      client.close();
    }
  });

  it('can be closed from inside onEvents, and goes with a worker that ends without closing it', async () => {
    const seen: OuchClientEvent[] = [];
    const c = bob((batch) => {
      seen.push(...batch);
      c.close(); // re-entrant: the round that called us is over with the client
      c.close();
    });
    await until('the login', () => seen.some((e) => e.kind === 'login'));
    expect(c.stats().closed).toBe(true);
    expect(c.send(order({ order_id: 'after-close' }))).toBe(false);

    // A worker thread's event loop owns its client's handles: the worker ends, and so do they.
    const { Worker } = await import('node:worker_threads');
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const c = new (require(workerData.addon).OuchClient)({ port: workerData.port, username: 'bob', password: 'pwb', onEvents: (b) => {
        if (b.some((e) => e.kind === 'login')) parentPort.postMessage('login');
      } });
      setInterval(() => {}, 1000);
    `;
    const w = new Worker(code, { eval: true, workerData: { addon: addonPath, port: venue.ouchPort } });
    await new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
    expect(await w.terminate()).toBe(1);
  });

  it('close() reads and delivers the answers that waited in the socket while JS was busy, and a throw from onEvents comes out of it', async () => {
    // Nothing is read while JS runs: the venue's answers wait in the socket until close() reads them.
    const seen: OuchClientEvent[] = [];
    const c = bob((b) => seen.push(...b), 0);
    await until('the login', () => seen.some((e) => e.kind === 'login'));
    const ids = Array.from({ length: 5 }, (_, i) => `busy-${i}`);
    for (const id of ids) c.send(order({ order_id: id, symbol: 'NOPE' })); // each rejected at once
    expect(busyUntilAnswered(ids)).toBe(5);
    expect(seen.filter((e) => e.kind === 'message')).toHaveLength(0);
    c.close();
    const got = seen.flatMap((e) => (e.kind === 'message' && e.message ? [e.message] : []));
    expect(got.map((m) => [m.type, m.order_token]).sort()).toEqual(ids.map((id) => ['J', colo().ouchToken(id)]).sort());

    // A throw from onEvents while close() delivers reaches close()'s caller.
    let armed = false;
    const logins: OuchClientEvent[] = [];
    const t = bob((b) => {
      logins.push(...b);
      if (armed) throw new Error('thrown by onEvents');
    }, 0);
    await until('the second login', () => logins.some((e) => e.kind === 'login'));
    t.send(order({ order_id: 'busy-throw', symbol: 'NOPE' }));
    expect(busyUntilAnswered(['busy-throw'])).toBe(1);
    armed = true;
    expect(() => t.close()).toThrow('thrown by onEvents');
    expect(t.stats().closed).toBe(true);
  });

  it('against a hostile peer (garbage, silence, a close mid-login) counts failed connects, backs off, and never logs in or throws', async () => {
    for (const peer of ['garbage', 'silent', 'close'] as const) {
      const sockets: Socket[] = [];
      const server = createServer((sock) => {
        sockets.push(sock);
        sock.on('error', () => {});
        if (peer === 'garbage') sock.write(Buffer.from('\x00\x05Zjunk-that-is-not-soupbintcp\xff\xff\xff'));
        if (peer === 'close') sock.once('data', () => sock.destroy());
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      const events: OuchClientEvent[] = [];
      const c = new (colo().OuchClient)({ port, username: 'bob', password: 'pwb', onEvents: (b) => events.push(...b) });
      try {
        expect(c.send(order({ order_id: `${peer}-1` }))).toBe(true); // waits for a login that never comes
        await until(`a connection from the client (${peer})`, () => sockets.length >= 1);
        if (peer !== 'silent') await until(`a failed connect (${peer})`, () => c.stats().failedConnects >= 1);
        await new Promise((r) => setTimeout(r, 100));
        const stats = c.stats();
        expect(stats.logins).toBe(0);
        expect(stats).toMatchObject({ queued: 1, sent: 0, waiting: 1 });
        // Backing off (20 ms doubling): a handful of attempts in 100 ms, not one per 5 ms round.
        expect(stats.connects).toBeLessThanOrEqual(peer === 'silent' ? 1 : 6);
        expect(events.filter((e) => e.kind === 'login' || e.kind === 'message')).toEqual([]);
        // Bytes that are no SoupBinTCP answer to a login are said (they were only counted).
        const failed = events.filter((e) => e.kind === 'loginFailed');
        if (peer === 'garbage')
          expect(failed[0]).toMatchObject({ reason: expect.stringMatching(/^protocol error: bad SoupBinTCP packet: /) });
        else expect(failed).toEqual([]);
      } finally {
        c.close();
        for (const sock of sockets) sock.destroy();
        await new Promise((r) => server.close(r));
      }
    }
  });

  it('keeps backing off from a peer that accepts the login and then breaks the session (it reconnected 45 times a second)', async () => {
    const sockets: Socket[] = [];
    const server = createServer((sock) => {
      sockets.push(sock);
      sock.on('error', () => {});
      sock.once('data', () => {
        // Login Accepted (SoupBinTCP 'A': session of 10, sequence number of 20, both padded), then bytes that are no packet.
        const body = Buffer.from(`A${'S1'.padEnd(10)}${'1'.padStart(20)}`, 'latin1');
        sock.write(Buffer.concat([Buffer.from([0, body.length]), body, Buffer.from('\x00\x05Zjunk\xff\xff', 'latin1')]));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const c = new (colo().OuchClient)({ port, username: 'bob', password: 'pwb', onEvents: () => {} });
    try {
      await until('two logins', () => c.stats().logins >= 2);
      await new Promise((r) => setTimeout(r, 600));
      // 20, 40, 80, 160, 320 ms between attempts: about six in the 0.6 s, where each login had reset the wait to 20 ms.
      expect(c.stats().connects).toBeLessThanOrEqual(9);
    } finally {
      c.close();
      for (const sock of sockets) sock.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('queues before the login, reconnects at last received + 1 after a reset, and agrees with the audit', async () => {
    const events: OuchClientEvent[] = [];
    const client = new (colo().OuchClient)({
      port: venue.ouchPort,
      username: 'alice',
      password: 'pwa',
      onEvents: (batch) => events.push(...batch),
    });
    const messages = () => events.flatMap((e) => (e.kind === 'message' && e.message ? [e.message] : []));
    const sym = 'S0001';
    const top = tops.get(sym)!;
    // Sent before the connection exists: waits for the login.
    expect(client.send(order({ order_id: 'q1', symbol: sym, qty: top.askSize + 100, limit_price: top.ask }))).toBe(true);
    expect(client.send(order({ order_id: 'q2', symbol: 'NOPE' }))).toBe(true);
    await until('the accepted order and the rejection', () => messages().some((m) => m.type === 'J'));
    client.dropConnection();
    await until('a second login', () => events.filter((e) => e.kind === 'login').length === 2);
    expect(client.send(order({ order_id: 'q3', action: 'CANCEL', target_order_id: 'q1' }))).toBe(true);
    await until('the cancel', () => messages().some((m) => m.type === 'C'));
    client.close();

    const token = (id: string) => colo().ouchToken(id);
    const seqs = events.flatMap((e) => (e.kind === 'message' ? [e.sequence] : []));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // no gap, no repeat across the reconnect
    const logins = events.filter((e) => e.kind === 'login');
    expect(logins).toEqual([
      { kind: 'login', session: venue.session, nextSequence: 1 },
      { kind: 'login', session: venue.session, nextSequence: expect.any(Number) },
    ]);
    const second = events.indexOf(logins[1]!);
    const before = events.slice(0, second).filter((e) => e.kind === 'message').length;
    expect((logins[1] as { nextSequence: number }).nextSequence).toBe(before + 1);
    expect(events.some((e) => e.kind === 'disconnected' && /dropConnection/.test(e.reason))).toBe(true);

    const accepted = messages().find((m) => m.type === 'A')!;
    expect(accepted).toMatchObject({ order_token: token('q1'), side: 'B', stock: sym, shares: top.askSize + 100 });
    expect(accepted.price).toBe(Math.round(top.ask! * 1e4));
    const executed = messages().filter((m) => m.type === 'E');
    expect(executed.reduce((s, m) => s + (m.executed_shares as number), 0)).toBe(top.askSize);
    expect(messages().find((m) => m.type === 'J')).toMatchObject({ order_token: token('q2'), reason: 'S' });
    expect(messages().find((m) => m.type === 'C')).toMatchObject({ order_token: token('q1'), decrement_shares: 100, reason: 'U' });

    // The venue's audit of alice's stream: the same messages, field for field, at the same sequences.
    const stats = client.stats();
    expect(stats).toMatchObject({ connects: 2, logins: 2, disconnects: 1, queued: 3, sent: 3, waiting: 0, closed: true });
    // q1 and q2 waited for the login: the login's round sent them; q3 went out from send().
    expect(stats.sentDirect).toBe(1);
    await until('the logout in the audit', () => venue.audit().some((l) => l.session === 'alice' && l.event === 'logged out'));
    const audited = venue.audit().filter((l) => l.dir === 'out' && l.proto === 'ouch' && l.session === 'alice');
    const got = events.flatMap((e) => (e.kind === 'message' ? [e] : []));
    expect(got.map((e) => ({ seq: e.sequence, type: e.message!.type, fields: { ...e.message, type: undefined } }))).toEqual(
      audited.slice(0, got.length).map((l) => ({ seq: l.seq, type: l.type, fields: { ...l.fields, type: undefined } })),
    );
  });
});
