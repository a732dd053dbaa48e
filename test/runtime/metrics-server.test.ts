/**
 * The metrics endpoint (pipelines/runtime/metrics-server.ts) on loopback: /metrics answers the
 * exposition, other paths 404 and other methods 405; a port in use and an address this machine does
 * not have are one AlphaError each; `close` lets a scrape in flight finish, cuts one that hangs after
 * its grace, and never waits on an idle keep-alive connection.
 */
import { createServer, request } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AlphaError } from '../../lib/core/errors.ts';
import { MAX_CONNECTIONS, serveMetrics } from '../../pipelines/runtime/metrics-server.ts';

const TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const loopback = { host: '127.0.0.1', port: 0 };

describe('the metrics endpoint', () => {
  it('answers GET /metrics, 404 elsewhere, 405 for another method', async () => {
    const ep = await serveMetrics(loopback, async () => 'x_total 1\n', TEXT);
    try {
      expect(ep.url).toBe(`http://127.0.0.1:${ep.port}/metrics`);
      const ok = await fetch(ep.url);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe(TEXT);
      expect(await ok.text()).toBe('x_total 1\n');
      expect((await fetch(`${ep.url}?name[]=x`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${ep.port}/`)).status).toBe(404);
      expect((await fetch(ep.url, { method: 'POST', body: 'x' })).status).toBe(405);
    } finally {
      await ep.close();
    }
  });

  it('refuses a port in use, naming it', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as AddressInfo).port;
    try {
      const err = await serveMetrics({ host: '127.0.0.1', port }, async () => '', TEXT).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AlphaError);
      expect((err as Error).message).toBe(`--metrics 127.0.0.1:${port}: the port is in use: choose another, or port 0 for any free one`);
    } finally {
      holder.close();
    }
  });

  it('refuses an address that is not this machine’s', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine.
    const err = await serveMetrics({ host: '192.0.2.1', port: 0 }, async () => '', TEXT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AlphaError);
    expect((err as Error).message).toMatch(/^--metrics 192\.0\.2\.1:0: 192\.0\.2\.1 is not an address of this machine/);
  });

  it('serves on IPv6 loopback, or says this machine has none', async () => {
    const ep = await serveMetrics({ host: '::1', port: 0 }, async () => 'x 1\n', TEXT).catch((e: unknown) => e);
    if (ep instanceof Error) {
      expect(ep).toBeInstanceOf(AlphaError);
      expect(ep.message).toMatch(/^--metrics \[::1\]:0: /);
      return;
    }
    const endpoint = ep as Awaited<ReturnType<typeof serveMetrics>>;
    try {
      expect(endpoint.url).toBe(`http://[::1]:${endpoint.port}/metrics`);
      expect(await (await fetch(endpoint.url)).text()).toBe('x 1\n');
    } finally {
      await endpoint.close();
    }
  });

  it('lets a scrape in flight finish when closed, and does not wait on an idle keep-alive client', async () => {
    let release: () => void = () => {};
    const slow = new Promise<void>((r) => (release = r));
    const ep = await serveMetrics(
      loopback,
      async () => {
        await slow;
        return 'late 1\n';
      },
      TEXT,
    );
    // An idle keep-alive connection (Prometheus keeps its own open between scrapes).
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: ep.port, path: '/nothing', headers: { connection: 'keep-alive' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.end();
    });
    const inFlight = fetch(ep.url).then(async (r) => [r.status, await r.text()] as const);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    const closed = ep.close();
    setTimeout(release, 200);
    expect(await inFlight).toEqual([200, 'late 1\n']);
    await closed;
    expect(performance.now() - t0).toBeLessThan(900);
    await expect(fetch(ep.url)).rejects.toThrow();
  });

  it('cuts a scrape that hangs past its grace', async () => {
    const ep = await serveMetrics(loopback, () => new Promise<string>(() => {}), TEXT);
    const hung = fetch(ep.url).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await ep.close();
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThan(900);
    expect(waited).toBeLessThan(3000);
    expect(await hung).toBeInstanceOf(Error);
  });

  it('rebuilds once for the scrapes that wait on the same rebuild', async () => {
    let calls = 0;
    let release: () => void = () => {};
    const ep = await serveMetrics(
      loopback,
      async () => {
        calls++;
        await new Promise<void>((r) => (release = r));
        return `x ${calls}\n`;
      },
      TEXT,
    );
    try {
      const scrapes = Array.from({ length: 10 }, () => fetch(ep.url).then((r) => r.text()));
      await new Promise((r) => setTimeout(r, 200));
      release();
      expect(await Promise.all(scrapes)).toEqual(new Array(10).fill('x 1\n'));
      expect(calls).toBe(1);
    } finally {
      await ep.close();
    }
  });

  it('closes a connection that pipelines requests without reading, after one rebuild', async () => {
    let calls = 0;
    const ep = await serveMetrics(
      loopback,
      async () => {
        calls++;
        return 'x 1\n';
      },
      TEXT,
    );
    try {
      const socket = connect(ep.port, '127.0.0.1');
      const closed = new Promise<void>((r) => socket.on('close', () => r()));
      socket.on('error', () => {});
      let answers = '';
      socket.on('data', (d: Buffer) => (answers += d.toString('latin1'))); // drained, so its close is seen
      socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(500));
      await closed;
      expect(calls).toBe(1);
      expect(answers.split('HTTP/1.1 200').length - 1).toBeLessThanOrEqual(1);
      expect(await (await fetch(ep.url)).text()).toBe('x 1\n');
    } finally {
      await ep.close();
    }
  });

  it(`takes ${MAX_CONNECTIONS} connections at once and closes the ones past them`, async () => {
    const ep = await serveMetrics(loopback, async () => 'x 1\n', TEXT);
    const open = (): Promise<Socket> =>
      new Promise((resolve) => {
        const s = connect(ep.port, '127.0.0.1', () => resolve(s));
        s.on('error', () => {});
      });
    const idle: Socket[] = [];
    try {
      for (let i = 0; i < MAX_CONNECTIONS; i++) idle.push(await open());
      const extra = await open();
      await new Promise<void>((r) => extra.on('close', () => r()));
      for (const s of idle.splice(0)) s.destroy();
      await new Promise((r) => setTimeout(r, 50));
      expect(await (await fetch(ep.url)).text()).toBe('x 1\n');
    } finally {
      for (const s of idle) s.destroy();
      await ep.close();
    }
  });
});
