/**
 * colo_pingpong (native/colo/bench/pingpong.cc), bench:venue's reference: its flags are whole
 * numbers in range or one `alpha:` line and exit 2; a paced run (--gap-us) measures every round.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../native/colo/build/colo_pingpong', import.meta.url));
const run = (...args: string[]) => spawnSync(bin, args, { encoding: 'utf8', timeout: 30_000 });

describe('colo_pingpong', () => {
  it.each([
    [['--rounds', '10x'], /--rounds must be a whole number, 1 \.\. 60000 \(got '10x'\)/],
    [['--rounds', '0'], /--rounds must be a whole number/],
    [['--size', '70000'], /--size must be a whole number/],
    [['--gap-us', 'abc'], /--gap-us must be a whole number, 0 \.\. 1000000 µs \(got 'abc'\)/],
    [['--gap-us', '-1'], /--gap-us must be a whole number/],
    [['--gap-us', '1e3'], /--gap-us must be a whole number/],
    [['--gap-us'], /--gap-us needs a value/],
    [['--spin'], /unknown flag --spin \(accepted: --rounds N --size BYTES --gap-us US\)/],
  ])('refuses %j with one line and exit 2', (args, message) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^alpha: colo_pingpong: /);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('paces its rounds with --gap-us and times each one', () => {
    const started = process.hrtime.bigint();
    const r = run('--rounds', '200', '--gap-us', '500');
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { rounds: number; gap_us: number; p50_ns: number; p99_ns: number; max_ns: number };
    expect(j).toMatchObject({ rounds: 200, gap_us: 500 });
    // 200 gaps of 0.5 ms: the run takes at least 100 ms; the gap is not part of a round's time.
    expect(elapsedMs).toBeGreaterThanOrEqual(100);
    expect(j.p50_ns).toBeGreaterThan(0);
    expect(j.p50_ns).toBeLessThanOrEqual(j.p99_ns);
    expect(j.p99_ns).toBeLessThanOrEqual(j.max_ns);
    expect(j.p50_ns).toBeLessThan(500_000);
  });
});
