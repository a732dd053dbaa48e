/**
 * bench/decode-steps.ts on what a user may hand it: a folder without a manifest, a dataset it lacks,
 * a bad --runs and a manifest naming a file outside its folder each get one `alpha bench
 * decode-steps:` line and exit 2, never a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataset } from '../helpers/datasets.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function run(...args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/decode-steps.ts', ...args], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

/** A generated dataset whose manifest names `file` as its quotes' only file (no hashes, no row count). */
async function pointingAt(file: string): Promise<string> {
  const d = mkdtempSync(join(tmpdir(), 'alpha-decode-steps-'));
  dirs.push(d);
  cpSync(await dataset({ symbols: 2, days: 1, seed: 5 }), d, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
  manifest.datasets.quotes = { schema: 'Quote', files: [file] };
  writeFileSync(join(d, 'manifest.json'), JSON.stringify(manifest));
  return d;
}

const oneLine = (stderr: string, text: RegExp): void => {
  const lines = stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^alpha bench decode-steps: /);
  expect(lines[0]).toMatch(text);
  expect(stderr).not.toMatch(/\n\s+at /);
};

describe('bench/decode-steps.ts refuses hostile input in one line', () => {
  it('a folder without a manifest, and a bad --runs', () => {
    const missing = run(join(tmpdir(), 'alpha-no-such-folder'));
    expect(missing.status).toBe(2);
    oneLine(missing.stderr, /manifest not found/);
    const runs = run(join(tmpdir(), 'alpha-no-such-folder'), '--runs', 'x');
    expect(runs.status).toBe(2);
    oneLine(runs.stderr, /--runs 'x': expected an integer >= 1/);
  });

  it('a manifest whose file leaves the folder', async () => {
    const d = await pointingAt('../../etc/passwd');
    const r = run(d);
    expect(r.status).toBe(2);
    oneLine(r.stderr, /outside the data folder/);
  });
});
