/**
 * `npx alpha …`, as the README and docs/cli.md run it, finds the project's own command in
 * node_modules/.bin (scripts/link-bin.sh, from postinstall). Without it, npx installed the clone
 * itself into npm's _npx cache, ran its postinstall again (the native builds) and, interrupted, left
 * an entry that broke every later `npx alpha`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npx alpha', () => {
  it('is the project’s bin/alpha.mjs, linked into node_modules/.bin by the install', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string; bin: { alpha: string } };
    expect(realpathSync(`${root}node_modules/.bin/alpha`)).toBe(realpathSync(`${root}${pkg.bin.alpha}`));
    const out = execFileSync(`${root}node_modules/.bin/alpha`, ['--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(out.trim()).toBe(pkg.version);
  });
});
