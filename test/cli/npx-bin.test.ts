/**
 * `npx alpha …`, as the README and docs/cli.md run it, in the project. npm exec installs a project's
 * own bin into its _npx cache first, as a link to the project, running its postinstall again: that
 * must be this project (the registry has an unrelated package named "alpha", with an `alpha` bin),
 * and the postinstall must not build the native code again there (scripts/postinstall.sh): it made
 * the first `npx alpha` take minutes where the builds were missing, and interrupted, it left a cache
 * entry that broke every later `npx alpha`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('npx alpha', () => {
  it('runs this project, linked into npm’s _npx cache, without building its native code again', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
    expect(pkg.bin['alpha']).toBe('bin/alpha.mjs');
    // A cache of its own, so what npx installs there is seen (and the user's is left alone).
    const cache = mkdtempSync(join(tmpdir(), 'alpha-npx-cache-'));
    try {
      const out = execFileSync('npx', ['alpha', '--version'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, npm_config_cache: cache, npm_config_yes: 'true', npm_config_loglevel: 'error' },
      });
      expect(out.trim()).toBe(pkg.version);
      const [entry, ...more] = readdirSync(join(cache, '_npx'));
      expect(more).toEqual([]);
      const linked = JSON.parse(readFileSync(join(cache, '_npx', entry!, 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>;
      };
      expect(Object.keys(linked.dependencies)).toEqual(['alpha-factory']);
      expect(realpathSync(join(cache, '_npx', entry!, 'node_modules', 'alpha-factory'))).toBe(realpathSync(root));
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('has the postinstall leave the native builds as they are when npm exec runs it', () => {
    const out = execFileSync('bash', [join(root, 'scripts/postinstall.sh')], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, npm_command: 'exec' },
    });
    expect(out).toMatch(/^postinstall: run by npm exec \(npx\) linking the project: its native builds are used as they are/);
  });
});
