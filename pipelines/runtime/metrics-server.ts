/**
 * The HTTP endpoint of `alpha live --metrics HOST:PORT`: `GET /metrics` answers the registry's
 * exposition (Prometheus text format), anything else 404 (405 for another method). It binds to the
 * address given and nothing else; a port in use or an address this machine does not have is one
 * AlphaError before the run starts. Clients cannot slow the run down or starve it: at most
 * MAX_CONNECTIONS at once, none idle or half-sent past 5 s, one rebuild of the registry shared by the
 * scrapes that wait on it, and a request pipelined behind an unanswered one closes its connection. `close` stops it for good: no new connection, idle keep-alive
 * connections (Prometheus keeps its own) closed at once, a scrape in flight given up to a second to
 * finish, so the process never waits on a client.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { AlphaError } from '../../lib/core/errors.ts';

export interface MetricsEndpoint {
  /** `http://HOST:PORT/metrics`, with the port bound (the free one chosen for port 0). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Where the endpoint listens: a loopback IP address (`::1` without brackets) and a port, 0 for any free one. */
export interface ListenAddress {
  host: string;
  port: number;
}

/** How long `close` lets a scrape in flight finish before its connection is cut. */
const CLOSE_GRACE_MS = 1000;
/**
 * Connections at once (Prometheus keeps one; a few people with curl): past it new ones are closed at
 * once, so clients can never take the file descriptors the run's sessions and outputs need.
 */
export const MAX_CONNECTIONS = 32;
/** How long a client may take to send a request, and a connection may sit idle, before it is cut. */
const REQUEST_TIMEOUT_MS = 5000;

/** Serves `exposition` at `http://host:port/metrics`; `flag` names the address in errors (`--metrics 127.0.0.1:9464`). */
export async function serveMetrics(
  address: ListenAddress,
  exposition: () => Promise<string>,
  contentType: string,
  flag = `--metrics ${hostPort(address.host, address.port)}`,
): Promise<MetricsEndpoint> {
  let closing: Promise<void> | undefined;
  // One rebuild serves every scrape that asks while it runs: clients set the pace of the answers, not
  // of the registry's rebuilds on the run's event loop.
  let inflight: Promise<string> | undefined;
  const shared = (): Promise<string> =>
    (inflight ??= exposition().finally(() => {
      inflight = undefined;
    }));
  /** Sockets with an answer not yet written: a request pipelined behind one closes the connection. */
  const answering = new WeakSet<Socket>();
  const server = createServer(
    { requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS },
    (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      // Prometheus asks once per connection at a time; a client that pipelines requests without reading
      // the answers would have each one rebuild the registry and queue its text in memory.
      if (answering.has(socket)) {
        socket.destroy();
        return;
      }
      answering.add(socket);
      res.once('close', () => answering.delete(socket));
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: the metrics are at /metrics\n');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
        return;
      }
      shared().then(
        // Answered while closing: the client is told, so its connection ends with this answer.
        (text) =>
          res
            .writeHead(200, { 'content-type': contentType, ...(closing ? { connection: 'close' } : {}) })
            .end(req.method === 'HEAD' ? undefined : text),
        (err: unknown) =>
          res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`${err instanceof Error ? err.message : String(err)}\n`),
      );
    },
  );
  server.maxConnections = MAX_CONNECTIONS;
  server.keepAliveTimeout = REQUEST_TIMEOUT_MS;
  // A connection that never sends a request is cut too (headersTimeout counts from its first byte).
  server.setTimeout(REQUEST_TIMEOUT_MS, (socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(bindError(flag, address.host, err)));
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => resolve());
  });
  // A socket error after the start (a client that went away) is the client's business, not the run's.
  server.on('error', () => {});
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${hostPort(address.host, port)}/metrics`,
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      })),
  };
}

/** `127.0.0.1:9464`, `[::1]:9464`. */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function bindError(flag: string, host: string, err: NodeJS.ErrnoException): AlphaError {
  switch (err.code) {
    case 'EADDRINUSE':
      return new AlphaError(`${flag}: the port is in use: choose another, or port 0 for any free one`);
    case 'EADDRNOTAVAIL':
      return new AlphaError(`${flag}: ${host} is not an address of this machine: give one of its own (127.0.0.1 for this machine alone)`);
    case 'EACCES':
      return new AlphaError(`${flag}: not allowed to listen there (a port under 1024 needs privileges): choose a port from 1024, or 0`);
    case 'EAFNOSUPPORT':
      return new AlphaError(`${flag}: this machine has no IPv6 (give an IPv4 address such as 127.0.0.1)`);
    default:
      return new AlphaError(`${flag}: cannot listen (${err.code ?? err.message})`);
  }
}
