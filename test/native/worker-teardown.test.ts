/**
 * A worker thread that ends with a colo feed or order client still open must not take its process
 * down: the objects' libuv handles are closed by the environment's teardown, and Node waits for
 * those closes (an async cleanup hook, native/colo/addon/loop_handles.h) before it unloads the addon.
 * With a plain cleanup hook the close callbacks ran in unloaded code: the process died (SIGSEGV).
 * Each case runs in a child process, since a crash ends the process that hosts the worker.
 */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const addon = fileURLToPath(new URL('../../native/colo/colo.node', import.meta.url));

/** A TCP listener on loopback that takes connections and says nothing (the order client's peer). */
let peer: Server;
let port = 0;
beforeAll(async () => {
  peer = createServer(() => undefined);
  await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
  port = (peer.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => peer.close(() => resolve())));

/** Runs `body` in a worker of a fresh process; the worker's exit code and the process's status. */
function inWorker(body: string) {
  const script = `
    const { Worker } = require('node:worker_threads');
    const w = new Worker(${JSON.stringify(`const colo = require(${JSON.stringify(addon)});\n${body}\nsetTimeout(() => {}, 50);`)}, { eval: true });
    w.on('error', (e) => { console.log('worker error ' + e.message); });
    w.on('exit', (code) => console.log('worker exit ' + code));
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  return { stdout: r.stdout.trim(), status: r.status, signal: r.signal };
}

describe('colo objects left open when a worker thread ends', () => {
  const cases: [string, string][] = [
    ['an ItchFeed', `globalThis.f = new colo.ItchFeed({ rerequestPort: 9 });`],
    ['a spinning ItchFeed', `globalThis.f = new colo.ItchFeed({ rerequestPort: 9, spin: true });`],
    ['an ItchFeed closed first (the usual way)', `new colo.ItchFeed({ rerequestPort: 9, spin: true }).close();`],
    ['an OuchClient, connected', `globalThis.c = new colo.OuchClient({ port: PORT, username: 'u', password: 'p', onEvents: () => {} });`],
  ];
  it.each(cases)('%s: the worker ends normally and so does its process', (_what, body) => {
    const r = inWorker(body.replace('PORT', String(port)));
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('worker exit 0');
  });
});
