/**
 * `npx alpha …`, as the README and docs/cli.md run it, runs the project's bin/alpha.mjs from
 * node_modules/.bin (linked by scripts/link-bin.sh at install) and installs nothing. With a "bin"
 * of its own in package.json, npm exec installed the clone itself into its _npx cache first (its
 * postinstall, the native builds, run again) and, interrupted, left an entry that broke every later
 * `npx alpha`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npx alpha', () => {
  it('runs bin/alpha.mjs, linked into node_modules/.bin by the install, and puts nothing in npm’s _npx cache', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; bin?: unknown };
    expect(realpathSync(join(root, 'node_modules/.bin/alpha'))).toBe(realpathSync(join(root, 'bin/alpha.mjs')));
    // A cache of its own, so what npx would install there is seen (and the user's is left alone).
    const cache = mkdtempSync(join(tmpdir(), 'alpha-npx-cache-'));
    try {
      const out = execFileSync('npx', ['alpha', '--version'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, npm_config_cache: cache, npm_config_yes: 'true', npm_config_loglevel: 'error' },
      });
      expect(out.trim()).toBe(pkg.version);
      expect(existsSync(join(cache, '_npx'))).toBe(false);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
