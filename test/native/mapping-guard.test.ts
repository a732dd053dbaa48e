/**
 * An ITCH file cut short by another process while colo has it memory-mapped raised SIGBUS at the next
 * read past its new end, and the process died without a word (Node: "Bus error", exit 135). The
 * guard of native/colo/include/colo/mapping_guard.h ends it with one line naming the file, exit 1:
 * `alpha itch book` (the addon in Node) and `alpha venue start` (colo_venue, its line relayed).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { colo } from '../../native/colo/index.ts';
import { type CliRun, ROOT, startAlpha } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-mapping-guard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ADVICE = 'leave ITCH files unchanged while a venue or a replay reads them';
const reEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** An ITCH session of 2,000 messages (64 kB: 16 pages), and its size. */
function sessionFile(name: string): { file: string; size: number } {
  const file = join(dir, name);
  writeFileSync(file, colo().simulateItchSession({ messages: 2000, symbols: 2, seed: 1 }));
  return { file, size: statSync(file).size };
}

/**
 * A preload that cuts each ITCH file to 100 bytes right after the addon has mapped it, as another
 * process could at that moment: then the replay's first read past the first page faults, every time.
 */
const PRELOAD = `
const { truncateSync } = require('node:fs');
const dlopen = process.dlopen;
process.dlopen = function (module, filename, ...rest) {
  dlopen.call(this, module, filename, ...rest);
  if (!String(filename).endsWith('colo.node')) return;
  const Base = module.exports.ItchFile;
  module.exports.ItchFile = function ItchFile(path, ...args) {
    const f = new Base(path, ...args);
    truncateSync(path, 100);
    return f;
  };
};
`;

describe('an ITCH file truncated while it is read', () => {
  it('alpha itch book and convert: one line naming the file and its sizes, exit 1, no "Bus error"', () => {
    const preload = join(dir, 'truncate-after-map.cjs');
    writeFileSync(preload, PRELOAD);
    const out = join(dir, 'dataset');
    const commands: [string, (file: string) => string[]][] = [
      ['book.itch', (file) => ['itch', 'book', file]],
      ['convert.itch', (file) => ['itch', 'convert', file, '--out', out, '--date', '2024-01-02']],
    ];
    for (const [name, args] of commands) {
      const { file, size } = sessionFile(name);
      const r = spawnSync(process.execPath, ['--require', preload, join(ROOT, 'bin/alpha.mjs'), ...args(file)], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(r.signal, r.stderr).toBeNull();
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `^alpha: ${reEscape(file)} changed while it was read \\(it is now 100 bytes, ${size} when opened: SIGBUS at byte \\d+\\): ${ADVICE}\n$`,
        ),
      );
      expect(r.stdout).toBe('');
    }
  }, 40_000);

  it('alpha venue start: the venue names its --flow file in one line, relayed as it is, exit 1', async () => {
    const { file, size } = sessionFile('flow.itch');
    // At 0.0001× the venue plays these 3 ms of flow for 30 s: it is still reading when the file is cut.
    const started = startAlpha(['venue', 'start', '--flow', file, '--speed', '0.0001']);
    try {
      const ready = Date.now() + 20_000;
      while (!started.output.stdout.includes('"ready"') && Date.now() < ready) await new Promise((r) => setTimeout(r, 20));
      expect(started.output.stdout, started.output.stderr).toContain('"ready"');
      truncateSync(file, 100);
      const run = await Promise.race([
        started.exited,
        new Promise<CliRun>((resolve) => setTimeout(() => resolve({ code: null, ...started.output }), 10_000)),
      ]);
      expect(run.code, run.stderr).toBe(1);
      // The bytes after the 100 left read as zeros up to the page's end; the next page is gone.
      expect(run.stderr).toMatch(
        new RegExp(
          `^alpha: --flow ${reEscape(file)} changed while it was read \\(it is now 100 bytes, ${size} when opened: SIGBUS at byte \\d+\\): ${ADVICE}\n$`,
        ),
      );
    } finally {
      started.child.kill('SIGKILL');
    }
  }, 40_000);
});
