/**
 * The project on the Node.js releases after the one it is developed on (22 and 24, the official
 * binaries from the registry's node-linux packages: scripts/node-versions.sh): the default backtest
 * writes the same bytes as on this Node (Math, sorting, Buffer and the addons all agree), the colo
 * addon's ITCH book gives the same tops, and every native addon loads. A release that breaks them
 * fails here, not in a user's hands.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

/** What differs between two runs of the same backtest by nature: how long it took and how much memory. */
const TIMING = new Set(['events_per_sec', 'wall_seconds', 'drive_seconds', 'peak_rss_mb']);

let nodes: string[];
let data: string;

beforeAll(async () => {
  nodes = execFileSync('bash', ['scripts/node-versions.sh'], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 }).trim().split('\n');
  data = await dataset({ symbols: 12, days: 4, seed: 3 });
}, 660_000);

/** `node bin/alpha.mjs …` on the Node binary `node`; fails the test with its stderr unless it exits 0. */
function alpha(node: string, args: string[]): string {
  const r = spawnSync(node, ['bin/alpha.mjs', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, `${node} ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** A run folder's files, summary.json without its timings. */
function outputs(dir: string): Map<string, Buffer | string> {
  const files = new Map<string, Buffer | string>();
  for (const f of readdirSync(dir).sort()) {
    if (f !== 'summary.json') files.set(f, readFileSync(join(dir, f)));
    else {
      const s = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
      for (const k of TIMING) delete s[k];
      files.set(f, JSON.stringify(s));
    }
  }
  return files;
}

describe('on Node 22 and 24', () => {
  it('refuses a version that is not MAJOR.MINOR.PATCH before it makes or removes anything', () => {
    const cache = tempDir('node-cache');
    for (const v of ['../victim', '22.23.5 ../x', '22;rm', '']) {
      const r = spawnSync('bash', ['scripts/node-versions.sh'], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, NODE_VERSIONS_CACHE: join(cache, 'c'), NODE_VERSIONS: v || ' x ' },
      });
      expect(r.status, v).toBe(1);
      expect(r.stderr).toMatch(/^node-versions: NODE_VERSIONS holds "[^"]*": expected versions MAJOR\.MINOR\.PATCH, e\.g\. 22\.23\.5\n$/);
      expect(readdirSync(cache)).toEqual([]);
    }
  });

  it('fetched the releases it names', () => {
    expect(nodes.map((n) => execFileSync(n, ['--version'], { encoding: 'utf8' }).trim())).toEqual(['v22.23.5', 'v24.22.3']);
  });

  it('the default backtest writes the same bytes as on this Node', () => {
    const here = tempDir('node-here');
    alpha(process.execPath, ['backtest', 'topology.yaml', '--data', data, '--out', here, '--overwrite', '--quiet']);
    const expected = outputs(here);
    expect([...expected.keys()]).toContain('fills.parquet');
    for (const node of nodes) {
      const out = tempDir('node-other');
      alpha(node, ['backtest', 'topology.yaml', '--data', data, '--out', out, '--overwrite', '--quiet']);
      const got = outputs(out);
      expect([...got.keys()], node).toEqual([...expected.keys()]);
      for (const [file, bytes] of expected)
        expect(Buffer.from(got.get(file) ?? '').equals(Buffer.from(bytes)), `${node}: ${file}`).toBe(true);
    }
  }, 300_000);

  it("the colo addon's ITCH book gives the same tops, and every native addon loads", () => {
    const file = join(tempDir('node-itch'), 'session.itch');
    alpha(process.execPath, ['itch', 'simulate', '--out', file, '--messages', '50000', '--symbols', '5', '--seed', '7']);
    const book = alpha(process.execPath, ['itch', 'book', file, '--format', 'json']);
    expect(book.length).toBeGreaterThan(100);
    const load =
      "for (const a of ['native/colo/colo.node', 'native/kafka/rdkafka.node', 'native/osqp/osqp.node', 'native/parquet/parquet.node']) require('./' + a); console.log('loaded')";
    for (const node of nodes) {
      expect(alpha(node, ['itch', 'book', file, '--format', 'json']), node).toBe(book);
      const r = spawnSync(node, ['-e', load], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(r.stdout.trim(), `${node}: ${r.stderr}`).toBe('loaded');
    }
  }, 300_000);
});
