/** Reading colo_venue's audit trail for tick-to-trade: bench:venue and bench:live measure the same way. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Dist {
  n: number;
  p50: number;
  p99: number;
  p999?: number;
  max?: number;
}
export const dist = (xs: number[]): Dist => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
  return { n: s.length, p50: q(0.5), p99: q(0.99), p999: q(0.999), max: s[s.length - 1] ?? Number.NaN };
};

/** The audit: packets (first sequence, count, send_ns) in sending order, and Enter Orders by token (read_ns, times seen). */
export function readAudit(auditPath: string) {
  const firsts: number[] = [];
  const counts: number[] = [];
  const sent: number[] = [];
  const enter = new Map<string, number>();
  const seen = new Map<string, number>();
  for (const line of readFileSync(auditPath, 'utf8').split('\n')) {
    if (line.includes('"proto":"moldudp64"')) {
      const j = JSON.parse(line) as { seq: number; count: number; send_ns: number };
      firsts.push(j.seq);
      counts.push(j.count);
      sent.push(j.send_ns);
    } else if (line.includes('"dir":"in"') && line.includes('"name":"EnterOrder"')) {
      // CLOCK_MONOTONIC ns stay below 2^53 (exact in a double) for the first ~104 days of uptime.
      const token = /"order_token":"([^"]*)"/.exec(line)?.[1] ?? '';
      const read = /"read_ns":(\d+)/.exec(line)?.[1];
      seen.set(token, (seen.get(token) ?? 0) + 1);
      if (read) enter.set(token, Number(read));
    }
  }
  return { firsts, counts, sent, enter, seen };
}

/** The index of the packet holding MoldUDP64 sequence `seq` (binary search over the packets' first sequences), or -1. */
export function packetFinder(firsts: readonly number[], counts: readonly number[]): (seq: number) => number {
  return (seq) => {
    let lo = 0;
    let hi = firsts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const first = firsts[mid] ?? 0;
      if (first > seq) hi = mid - 1;
      else if (first + (counts[mid] ?? 0) <= seq) lo = mid + 1;
      else return mid;
    }
    return -1;
  };
}

/**
 * One run of colo_pingpong (the binary at `pingpong`): `rounds` UDP-out/TCP-back round trips, back to
 * back, or with both sides asleep for `gapUs` before each round.
 */
export function pingpongRun(pingpong: string, rounds: number, gapUs = 0): Dist & { gap_us: number } {
  const pp = JSON.parse(execFileSync(pingpong, ['--rounds', String(rounds), '--gap-us', String(gapUs)], { encoding: 'utf8' })) as {
    p50_ns: number;
    p99_ns: number;
    p999_ns: number;
    max_ns: number;
  };
  return { n: rounds, gap_us: gapUs, p50: pp.p50_ns, p99: pp.p99_ns, p999: pp.p999_ns, max: pp.max_ns };
}
