/**
 * bench:kafka's flags, and bench/kafka-edge-writer.ts (the writing process of its two-process edge):
 * what is not accepted gets one `alpha bench…` line and exit 2, before anything connects to a
 * service or starts one.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function run(script: string, ...args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('bench/kafka-edge-writer.ts on bad arguments', () => {
  it.each([
    [[]],
    [['t', '10', '10', '6']],
    [['t', '10', '10', '6', '5', 'extra']],
    [['../t', '10', '10', '6', '5']],
    [['t', '-1', '10', '6', '5']],
    [['t', '10', '0', '6', '5']],
    [['t', '10', '10', '1.5', '5']],
    [['t', '10', '10', '6', 'x']],
  ])('%j', (args) => {
    const r = run('bench/kafka-edge-writer.ts', ...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^alpha bench kafka-edge-writer: arguments '.*': expected TOPIC/);
  });
});

describe('bench/kafka.ts on bad flags', () => {
  it.each([
    [['--records', 'abc'], /--records 'abc': expected a whole number from 1 to 50,000,000/],
    [['--records', '0'], /--records '0'/],
    [['--partitions', '-3'], /Option '--partitions' argument is ambiguous/],
    [['--partitions=-3'], /--partitions '-3': expected a whole number/],
    [['--batch', '1e3'], /--batch '1e3'/],
    [['--rounds', '101'], /--rounds '101': expected a whole number from 1 to 100/],
    [['--only', 'adapter,bogus'], /--only: 'bogus' is not one of adapter, adapter2, ops, kcat, split/],
    [['--bogus'], /Unknown option '--bogus'.*\(flags: --records/],
  ])('%j', (args, text) => {
    const r = run('bench/kafka.ts', ...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^alpha bench:kafka: /);
    expect(lines[0]).toMatch(text);
  });
});
