/**
 * Hostile `alpha live --metrics` values, through the command line: each is one `alpha:` line and a
 * non-zero exit before the run starts (no --out made), never a stack trace.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAlpha } from '../helpers/cli.ts';
import { dataset } from '../helpers/datasets.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-hostile-metrics-'));
const holder = createServer();
let taken = 0;
let data = '';
beforeAll(async () => {
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  taken = (holder.address() as AddressInfo).port;
  data = await dataset({ symbols: 2, days: 1, seed: 5 });
}, 60_000);
afterAll(() => {
  holder.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('alpha live --metrics refuses', () => {
  it.each([
    ['an empty value', () => '', /^alpha: --metrics "": expected HOST:PORT, .* \(it is empty\)$/m],
    [
      'a port alone',
      () => '9464',
      /^alpha: --metrics "9464": expected HOST:PORT, .*\(no address: give the one to listen on, e\.g\. 127\.0\.0\.1\)$/m,
    ],
    ['no port', () => '127.0.0.1', /^alpha: --metrics "127\.0\.0\.1": expected HOST:PORT, .*\(no port\)$/m],
    ['port 70000', () => '127.0.0.1:70000', /^alpha: --metrics "127\.0\.0\.1:70000": .*\(port 70000 is over 65535\)$/m],
    [
      'a host name that does not resolve',
      () => 'no-such-host.invalid:9464',
      /^alpha: --metrics "no-such-host\.invalid:9464": .*host names are not resolved\)$/m,
    ],
    ['IPv6 without brackets', () => '::1:9464', /^alpha: --metrics "::1:9464": .*\(an IPv6 address goes in brackets, then the port\)$/m],
    [
      'a port in use',
      () => `127.0.0.1:${taken}`,
      /^alpha: --metrics 127\.0\.0\.1:\d+: the port is in use: choose another, or port 0 for any free one$/m,
    ],
    [
      'an address of another machine',
      () => '192.0.2.1:9464',
      /^alpha: --metrics "192\.0\.2\.1:9464": .*\(192\.0\.2\.1 is not a loopback address: the endpoint has no authentication/m,
    ],
    [
      'every address of this machine',
      () => '0.0.0.0:9464',
      /^alpha: --metrics "0\.0\.0\.0:9464": .*\(0\.0\.0\.0 is not a loopback address/m,
    ],
  ])('%s', async (what, value, message) => {
    const out = join(dir, what.replaceAll(' ', '-'));
    const r = await runAlpha(
      ['live', 'examples/live-venue.yaml', '--data', data, '--seconds', '1', '--out', out, '--metrics', value()],
      30_000,
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out), 'refused before --out is made').toBe(false);
  });
});
