/** `alpha live --metrics HOST:PORT` (pipelines/cli/flag-values.ts): what it takes, and each refusal's line. */
import { describe, expect, it } from 'vitest';
import { AlphaError } from '../../lib/core/errors.ts';
import { metricsAddress } from '../../pipelines/cli/flag-values.ts';

describe('--metrics HOST:PORT', () => {
  it.each([
    ['127.0.0.1:9464', { host: '127.0.0.1', port: 9464 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['0.0.0.0:65535', { host: '0.0.0.0', port: 65535 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    ['[::]:9464', { host: '::', port: 9464 }],
    ['10.1.2.3:09464', { host: '10.1.2.3', port: 9464 }],
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
