/**
 * Parsers of flag values, shared by the commands. Numbers on the command line are written in plain digits: `Number()` alone read '' and ' ' as 0
 * (`alpha data generate --alpha ""` made a pure-noise market), '0x10' as 16 and '1e3' as 1000. These
 * parsers refuse all of those in one `alpha: …` line; each command then checks its own range.
 */
import { isIP } from 'node:net';
import { AlphaError } from '../../lib/core/errors.ts';
import { isoMicros, parseInstant } from '../../lib/core/instant.ts';
import type { Micros } from '../../lib/core/time.ts';
import type { ListenAddress } from '../runtime/metrics-server.ts';

const DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/;
const WHOLE = /^\d+$/;

/** A decimal such as 0.03, -1 or .5, else an AlphaError naming `flag`. */
export function decimal(flag: string, value: string): number {
  if (!DECIMAL.test(value)) throw new AlphaError(`${flag} is "${value}": expected a number in plain digits (e.g. 40 or 0.03)`);
  return Number(value);
}

/** A commander parser: a whole number from `lo` to `hi` written in digits. */
export const whole =
  (flag: string, lo: number, hi: number) =>
  (value: string): number => {
    const n = WHOLE.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < lo || n > hi)
      throw new AlphaError(`${flag} is "${value}": expected an integer from ${lo} to ${hi.toLocaleString('en-US')}`);
    return n;
  };

/**
 * A parser refusing an empty value: `--data ""` would otherwise fall back to the topology's data
 * folder (or `--from ""` to the first day) without a word, as if the flag were not given.
 */
export const given =
  (flag: string, accepted: string) =>
  (value: string): string => {
    if (value.trim() === '') throw new AlphaError(`${flag} is empty: expected ${accepted}`);
    return value;
  };

/** `--data DIR` of the commands that read a dataset (its default: the topology's "data:"). */
export const dataFolder = given('--data', 'a dataset folder (manifest.json), or no --data for the topology\'s "data:"');
/** `--from DATE` and `--to DATE` of the commands that replay a window of days. */
export const fromDay = given('--from', 'a date YYYY-MM-DD, or no --from for the first day');
export const toDay = given('--to', 'a date YYYY-MM-DD, or no --to for the last day');

const DAY_US = 86_400e6;

/**
 * `--open-at` of `alpha venue start` and `alpha live`: the wall instant their --date's open (09:30 New
 * York) maps to, so the venue and every run at a --speed read the same session time at the same moment.
 * Within a day of `now`: a session playing now opens within a day of it.
 *
 * @example
 * openAt('2024-01-02T14:30:00Z', 1704205790000000); // 1704205800000000
 */
export function openAt(value: string, now: Micros = Date.now() * 1000): Micros {
  const at = parseInstant('--open-at', value);
  if (Math.abs(at - now) > DAY_US)
    throw new AlphaError(
      `--open-at ${value} is ${isoMicros(at)}, more than a day from now (${isoMicros(now)}): expected the instant the session opens, e.g. the venue's ready line "open_at", or a few seconds from now for the venue and the runs alike`,
    );
  return at;
}

/** A run id ends topic and consumer group names. */
export const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** `--run-id` of the commands that name a run's topics (alpha run, alpha live). */
export function checkRunId(value: string): void {
  if (!RUN_ID.test(value))
    throw new AlphaError(`--run-id ${JSON.stringify(value)}: expected 1–64 letters, digits, "_" or "-" (it ends topic names)`);
}

/**
 * `--metrics HOST:PORT`: a loopback IP literal, never a name to resolve (the endpoint binds to exactly
 * what is given, and a name that resolves to several addresses, or to none, is no address to bind),
 * and a port from 0 (any free one) to 65535. IPv6 goes in brackets: `[::1]:9464`. The endpoint has no
 * authentication or TLS, so it is not offered to the network.
 *
 * @example
 * metricsAddress('127.0.0.1:9464'); // { host: '127.0.0.1', port: 9464 }
 * metricsAddress('[::1]:0'); // { host: '::1', port: 0 }
 */
export function metricsAddress(value: string): ListenAddress {
  const refuse = (why: string): never => {
    throw new AlphaError(
      `--metrics ${JSON.stringify(value)}: expected HOST:PORT, an IP address and a port from 0 (any free one) to 65535, e.g. 127.0.0.1:9464 or [::1]:9464${why ? ` (${why})` : ''}`,
    );
  };
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/.exec(value);
  if (!m) {
    if (value.trim() === '') return refuse('it is empty');
    if (isIP(value) === 6) return refuse('an IPv6 address goes in brackets, then the port');
    if (/^\d+$/.test(value)) return refuse('no address: give the one to listen on, e.g. 127.0.0.1');
    if (!value.includes(':')) return refuse('no port');
    return refuse('');
  }
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port > 65535) refuse(`port ${m[3]} is over 65535`);
  if (m[1] !== undefined ? isIP(host) !== 6 : isIP(host) !== 4)
    refuse(
      host === ''
        ? 'no address: give the one to listen on, e.g. 127.0.0.1'
        : host === 'localhost'
          ? 'a host name: give 127.0.0.1 or [::1]'
          : `${JSON.stringify(host)} is not an IP${m[1] !== undefined ? 'v6' : 'v4'} address; host names are not resolved`,
    );
  if (!isLoopback(host))
    refuse(
      `${host} is not a loopback address: the endpoint has no authentication, so it listens on this machine only; a Prometheus elsewhere reaches it through a tunnel`,
    );
  return { host, port };
}

/** 127.0.0.0/8, ::1, or ::ffff:127.x.y.z (an IPv4 loopback address written as IPv6). */
function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.split('.')[0] === '127';
  // The URL parser writes an IPv6 address in its one short form (::ffff:127.0.0.1 as ::ffff:7f00:1).
  const canonical = new URL(`http://[${host}]/`).hostname;
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}
