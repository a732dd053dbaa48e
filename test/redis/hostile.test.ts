/**
 * source.redis against what a broken or hostile server sends. A fake server on loopback (a hostile
 * peer: it speaks just enough RESP to let the reader open its group) that never answers XREADGROUP,
 * announces an array of 2^31-1 items and stops, or streams a 1 GiB bulk entry: each run fails with
 * one line in bounded time, and the bulk is cut off near the reply bound instead of being buffered.
 * Against the real Redis: entries that do not decode are dead letters naming stream, id and reason,
 * and decoded records that source.replay would refuse are dead letters with the replay's reasons.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { avroType } from '../../lib/io/redis/avro-type.ts';
import { MAX_ENTRY_BYTES, replyLimit } from '../../lib/io/redis/group-reader.ts';

/** The largest entry decoded (MAX_ENTRY_BYTES, checked below); spelled out so the data does not depend on the code under test. */
const ENTRY_MAX = 64 * 1024;
import { metaKey, streamKey } from '../../lib/io/redis/hot-streams.ts';
import type { Quote } from '../../schemas/types.generated.ts';
import { runInMemory, T0 } from '../helpers/memory-graph.ts';
import { quote } from '../helpers/records.ts';
import { deleteTagged, testRedis } from '../helpers/redis.ts';
import { refusedQuotes } from '../helpers/refused-quotes.ts';

type Mode = 'hang' | 'bigarray' | 'bigbulk';

/** A fake Redis on an ephemeral loopback port; `sent` counts the bulk bytes it got out before the client hung up. */
async function fakeRedis(mode: Mode): Promise<{ url: string; sent: () => number; close: () => Promise<void> }> {
  let sent = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        // A command: *N\r\n then N of $len\r\narg\r\n.
        const head = /^\*(\d+)\r\n/.exec(buf);
        if (!head) return;
        let pos = head[0].length;
        const args: string[] = [];
        for (let i = 0; i < Number(head[1]); i++) {
          const len = /^\$(\d+)\r\n/.exec(buf.slice(pos));
          if (!len) return;
          pos += len[0].length;
          if (buf.length < pos + Number(len[1]) + 2) return;
          args.push(buf.slice(pos, pos + Number(len[1])));
          pos += Number(len[1]) + 2;
        }
        buf = buf.slice(pos);
        const cmd = args[0]!.toUpperCase();
        if (cmd === 'INFO') {
          const info = '# Server\r\nredis_version:7.0.0\r\nloading:0\r\n';
          s.write(`$${info.length}\r\n${info}\r\n`);
        } else if (cmd === 'HGET') s.write('$-1\r\n');
        else if (cmd !== 'XREADGROUP') s.write('+OK\r\n');
        else if (mode === 'bigarray') s.write('*2147483647\r\n');
        else if (mode === 'bigbulk') {
          // One entry whose `v` claims 1 GiB; up to 256 MiB of it is sent, then the server waits (a
          // reader without a bound would buffer all of it, and then wait for the rest forever).
          s.write('*1\r\n*2\r\n$9\r\nalpha:x:A\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nv\r\n$1073741824\r\n');
          const chunk = Buffer.alloc(1 << 20, 0x61);
          const pump = (): void => {
            while (sent < 256 << 20 && !s.destroyed) {
              sent += chunk.length;
              if (!s.write(chunk)) {
                s.once('drain', pump);
                return;
              }
            }
          };
          pump();
        }
        // hang: XREADGROUP is never answered.
      }
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    sent: () => sent,
    close: () =>
      new Promise((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}

const sourceYaml = (url: string, ds: string, extra = '') => `name: read
nodes:
  - { name: hot, type: source.redis, params: { url: '${url}', dataset: ${ds}, block_ms: 20, idle_ms: 100${extra} } }
  - { name: probe, type: test.probe, inputs: hot }
`;
const universe = ['AAA', 'BBB'].map((symbol) => ({ symbol, sector: 'X' }));

describe('source.redis against a hostile server', () => {
  it('a server that never answers, or announces 2^31-1 items and stops: the run fails after block_ms + 5 s', async () => {
    const servers = await Promise.all((['hang', 'bigarray'] as const).map(fakeRedis));
    try {
      const started = performance.now();
      const runs = await Promise.allSettled(servers.map((f) => runInMemory(sourceYaml(f.url, 'x'), { universe })));
      // Both runs in parallel: block_ms 20 + the 5000 ms margin each, not forever.
      expect(performance.now() - started).toBeLessThan(25_000); // not hung (about 5 s; generous for a loaded CI)
      for (const [i, run] of runs.entries()) {
        expect(run.status).toBe('rejected');
        expect(String((run as PromiseRejectedResult).reason.message)).toMatch(
          new RegExp(
            `^source\\.redis hot: reading dataset "x" from ${servers[i]!.url.replace(/\./g, '\\.')} failed: no complete answer to XREADGROUP within 5020 ms`,
          ),
        );
      }
    } finally {
      await Promise.all(servers.map((f) => f.close()));
    }
  }, 40_000);

  it('a 1 GiB entry: the reply is cut off at its bound (not buffered whole), and the run fails naming the bound', async () => {
    const fake = await fakeRedis('bigbulk');
    try {
      const run = runInMemory(sourceYaml(fake.url, 'x'), { universe });
      await expect(run).rejects.toThrow(
        /^source\.redis hot: reading dataset "x" from redis:\/\/127\.0\.0\.1:\d+ failed: a reply to XREADGROUP passed 18 MiB, the bound for COUNT 1000 from 2 stream\(s\)/,
      );
      // count 1000 (the default) from the 2 streams of the universe.
      const limit = replyLimit(1000, 2);
      expect(limit).toBe(16 * 2 ** 20 + 1000 * 2 * 1024);
      // The client hung up near the bound: what the server got out is the bound plus what the
      // loopback socket buffers hold (a few MiB), far from the 256 MiB it would have sent.
      expect(fake.sent()).toBeGreaterThan(limit - 2 ** 20);
      expect(fake.sent()).toBeLessThan(limit + 32 * 2 ** 20);
    } finally {
      await fake.close();
    }
  }, 40_000);
});

describe('source.redis: entries and records it cannot use are dead letters', () => {
  const url = inject('REDIS_URL');
  let redis: Redis;
  const tag = `h${process.pid}${Date.now().toString(36)}`.replace(/[^A-Za-z0-9]/g, '');
  beforeAll(async () => {
    redis = await testRedis(url);
  });
  afterAll(async () => {
    await deleteTagged(redis, tag);
    redis.disconnect();
  });
  const type = avroType('Quote');
  const ms = Math.floor(T0 / 1000);
  /** Writes `entries` (id ms offset, fields) into the stream of AAA of a new Quote dataset. */
  async function dataset(name: string, entries: [number, (string | Buffer)[]][]): Promise<string> {
    const ds = `${name}_${tag}`;
    await redis.hset(metaKey(ds), 'schema', 'Quote');
    for (const [n, fields] of entries) await redis.xadd(streamKey(ds, 'AAA'), `${ms + n}-0`, ...fields);
    return ds;
  }
  const good = (n: number): Quote => quote('AAA', T0 + n * 1000, 10, 10.1, n + 1);

  it('an entry that does not decode: a dead letter with its stream, id and the reason, acknowledged once', async () => {
    const q = type.toBuffer(good(0));
    const ds = await dataset('undecodable', [
      [0, ['v', q]],
      [1, ['v', Buffer.from('garbage!')]], // a symbol length of 51 (zigzag 'g'), then 7 bytes
      [2, ['x', q]], // the wrong field
      [3, ['v', Buffer.concat([type.toBuffer(good(3)), Buffer.from([1, 2])])]], // trailing bytes
      [4, ['v', q.subarray(0, 10)]], // truncated
      [5, ['v', Buffer.alloc(ENTRY_MAX + 1, 2)]], // too large to be a Quote
      [6, ['v', type.toBuffer(good(6))]],
    ]);
    const run = await runInMemory(sourceYaml(url, ds, ', consumer: u1'), { universe });
    expect((run.probes.get('probe')!.records as Quote[]).map((r) => r.seq)).toEqual([1, 7]);
    expect(run.metrics.get('hot')).toMatchObject({ undecodable: 5 });
    const key = streamKey(ds, 'AAA');
    const at = (n: number) => `(entry ${ms + n}-0 of stream ${key})`;
    expect(run.deadLetters.map((d) => [d.reason, JSON.parse(d.payload)])).toEqual([
      [`undecodable entry: does not decode as Quote: truncated buffer ${at(1)}`, { stream: key, id: `${ms + 1}-0`, bytes: 8 }],
      [
        `undecodable entry: not a hot-tier entry: expected one field "v", got 1 field(s) "x" ${at(2)}`,
        { stream: key, id: `${ms + 2}-0`, bytes: 0 },
      ],
      [
        `undecodable entry: does not decode as Quote: trailing data ${at(3)}`,
        { stream: key, id: `${ms + 3}-0`, bytes: type.toBuffer(good(3)).length + 2 },
      ],
      [`undecodable entry: does not decode as Quote: truncated buffer ${at(4)}`, { stream: key, id: `${ms + 4}-0`, bytes: 10 }],
      [
        `undecodable entry: entry of ${ENTRY_MAX + 1} bytes, over the ${ENTRY_MAX} accepted (a Quote takes far less) ${at(5)}`,
        { stream: key, id: `${ms + 5}-0`, bytes: ENTRY_MAX + 1 },
      ],
    ]);
    // Acknowledged: the same reader again finds nothing, and refuses nothing twice.
    const again = await runInMemory(sourceYaml(url, ds, ', consumer: u1'), { universe });
    expect(again.probes.get('probe')?.records ?? []).toHaveLength(0);
    expect(again.deadLetters).toHaveLength(0);
    expect(MAX_ENTRY_BYTES).toBe(ENTRY_MAX);
  }, 40_000);

  it("a record source.replay would refuse: a dead letter with the replay's reason, the rest delivered", async () => {
    const bad = refusedQuotes(9_000);
    // A good record between each bad one (all in the stream of AAA: a record names its own symbol).
    const records = bad.flatMap(([change], i) => [good(2 * i), { ...good(2 * i + 1), ...change }]);
    // Then a symbol of 900,000 characters: an entry too large to be a record, refused before decoding.
    const huge = type.toBuffer({ ...good(records.length), symbol: 'X'.repeat(900_000) });
    const ds = await dataset('rows', [
      ...records.map((r, i): [number, Buffer[]] => [i, [Buffer.from('v'), type.toBuffer(r)]]),
      [99, ['v', huge]],
    ]);
    const run = await runInMemory(sourceYaml(url, ds), { universe });
    expect((run.probes.get('probe')!.records as Quote[]).map((r) => r.seq)).toEqual(bad.map((_, i) => 2 * i + 1));
    const key = streamKey(ds, 'AAA');
    expect(run.deadLetters.map((d) => d.reason)).toEqual([
      `undecodable entry: entry of ${huge.length} bytes, over the ${ENTRY_MAX} accepted (a Quote takes far less) (entry ${ms + 99}-0 of stream ${key})`,
      ...bad.map(([, why]) => why),
    ]);
    expect(run.deadLetters.slice(1).map((d) => (JSON.parse(d.payload) as Quote).seq)).toEqual(bad.map((_, i) => 2 * i + 2));
  }, 40_000);
});
