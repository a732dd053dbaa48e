/** `alpha live --metrics HOST:PORT` (pipelines/cli/flag-values.ts): what it takes, and each refusal's line. */
import { describe, expect, it } from 'vitest';
import { AlphaError } from '../../lib/core/errors.ts';
import { metricsAddress } from '../../pipelines/cli/flag-values.ts';

describe('--metrics HOST:PORT', () => {
  it.each([
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['127.0.0.1:65535', { host: '127.0.0.1', port: 65535 }],
    ['127.1.2.3:09464', { host: '127.1.2.3', port: 9464 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    ['[0:0:0:0:0:0:0:1]:9464', { host: '0:0:0:0:0:0:0:1', port: 9464 }],
    ['[::ffff:127.0.0.1]:9464', { host: '::ffff:127.0.0.1', port: 9464 }],
  ])('takes %s', (value, address) => {
    expect(metricsAddress(value)).toEqual(address);
  });

  const expected = 'expected HOST:PORT, an IP address and a port from 0 (any free one) to 65535, e.g. 127.0.0.1:9464 or [::1]:9464';
  it.each([
    ['', 'it is empty'],
    ['  ', 'it is empty'],
    ['9464', 'no address: give the one to listen on, e.g. 127.0.0.1'],
    [':9464', 'no address: give the one to listen on, e.g. 127.0.0.1'],
    ['127.0.0.1', 'no port'],
    ['127.0.0.1:', ''],
    ['127.0.0.1:70000', 'port 70000 is over 65535'],
    ['127.0.0.1:123456789012345678901', 'port 123456789012345678901 is over 65535'],
    ['127.0.0.1:-1', ''],
    ['127.0.0.1:0x10', ''],
    ['127.0.0.1:1e3', ''],
    [
      '0.0.0.0:9464',
      `0.0.0.0 is not a loopback address: the endpoint has no authentication, so it listens on this machine only; a Prometheus elsewhere reaches it through a tunnel`,
    ],
    [
      '10.1.2.3:9464',
      `10.1.2.3 is not a loopback address: the endpoint has no authentication, so it listens on this machine only; a Prometheus elsewhere reaches it through a tunnel`,
    ],
    [
      '224.0.0.1:0',
      `224.0.0.1 is not a loopback address: the endpoint has no authentication, so it listens on this machine only; a Prometheus elsewhere reaches it through a tunnel`,
    ],
    [
      '255.255.255.255:0',
      `255.255.255.255 is not a loopback address: the endpoint has no authentication, so it listens on this machine only; a Prometheus elsewhere reaches it through a tunnel`,
    ],
    [
      '[::]:9464',
      `:: is not a loopback address: the endpoint has no authentication, so it listens on this machine only; a Prometheus elsewhere reaches it through a tunnel`,
    ],
    [
      '[::2]:9464',
      `::2 is not a loopback address: the endpoint has no authentication, so it listens on this machine only; a Prometheus elsewhere reaches it through a tunnel`,
    ],
    [
      '[::ffff:10.0.0.1]:0',
      `::ffff:10.0.0.1 is not a loopback address: the endpoint has no authentication, so it listens on this machine only; a Prometheus elsewhere reaches it through a tunnel`,
    ],
    [
      '[fe80::1]:0',
      `fe80::1 is not a loopback address: the endpoint has no authentication, so it listens on this machine only; a Prometheus elsewhere reaches it through a tunnel`,
    ],
    ['localhost:9464', 'a host name: give 127.0.0.1 or [::1]'],
    ['no-such-host.invalid:9464', '"no-such-host.invalid" is not an IPv4 address; host names are not resolved'],
    ['127.1:9464', '"127.1" is not an IPv4 address; host names are not resolved'],
    ['256.0.0.1:9464', '"256.0.0.1" is not an IPv4 address; host names are not resolved'],
    ['::1:9464', 'an IPv6 address goes in brackets, then the port'],
    ['[::1]', ''],
    ['[127.0.0.1]:9464', '"127.0.0.1" is not an IPv6 address; host names are not resolved'],
    ['[]:9464', 'no address: give the one to listen on, e.g. 127.0.0.1'],
    ['http://127.0.0.1:9464', ''],
    ['127.0.0.1:9464/metrics', ''],
  ])('refuses %j', (value, why) => {
    let err: unknown;
    try {
      metricsAddress(value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AlphaError);
    expect((err as Error).message).toBe(`--metrics ${JSON.stringify(value)}: ${expected}${why ? ` (${why})` : ''}`);
  });
});
