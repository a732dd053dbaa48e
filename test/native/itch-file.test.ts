/**
 * ItchFile (native/colo/addon/itch.cc) maps its file and replays it front to back: the pages behind
 * the replay are dropped as it goes (MADV_DONTNEED), so a day's file does not stay resident in the
 * process as it is read (`alpha itch convert` of an 8–12 GB day showed it all in its RSS). Measured
 * as the process's file-backed RSS (Linux, /proc/self/status) while a 32 MB file is replayed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { colo } from '../../native/colo/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-itch-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The process's resident file-backed memory, KB. */
function rssFileKb(): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('RssFile:'));
  return Number(/(\d+) kB/.exec(line ?? '')?.[1]);
}

describe('ItchFile', () => {
  it('does not keep the pages it has replayed resident', () => {
    const file = join(dir, 'day.itch');
    const bytes = colo().simulateItchSession({ messages: 1_000_000, symbols: 20, seed: 5 });
    writeFileSync(file, bytes);
    expect(bytes.length).toBeGreaterThan(30e6);
    const itch = new (colo().ItchFile)(file);
    const before = rssFileKb();
    let most = 0;
    let rows = 0;
    for (;;) {
      const step = itch.next(65_536);
      rows += step.quotes.locate.length + step.trades.locate.length;
      most = Math.max(most, rssFileKb() - before);
      if (step.done) break;
    }
    expect(rows).toBeGreaterThan(200_000); // several steps
    // Without the release, the whole file: about 31,000 KB by the end.
    expect(most).toBeLessThan(4 * 1024);
    expect(itch.summary().done).toBe(true);
  });
});
