/**
 * bench/kafka-edge-writer.ts (the writing process of bench:kafka's two-process edge) refuses what is
 * not a topic and four positive integers with one `alpha bench kafka-edge-writer:` line and exit 2,
 * before it connects to anything.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function run(...args: string[]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/kafka-edge-writer.ts', ...args], { encoding: 'utf8', timeout: 30_000 });
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
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^alpha bench kafka-edge-writer: arguments '.*': expected TOPIC/);
  });
});
