/**
 * A command ended by a signal takes what it made with it. SIGTERM and SIGINT end Node without running
 * its `finally` blocks: an interrupted `alpha itch convert` left its staging folder and lock beside
 * --out, and an interrupted `alpha data ingest --format itch` 146 MB of Parquet and spilled rows in a
 * folder of /tmp that nothing removed (lib/core/on-signal.ts). Each process is stopped
 * while it writes: once its staging folder is there.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable } from '../../lib/io/lake/create.ts';
import { colo } from '../../native/colo/index.ts';
import { type CliRun, startAlpha } from '../helpers/cli.ts';
import { tempLake } from '../helpers/lake.ts';

const tmp = tempLake('interrupted');
afterAll(() => tmp.remove());
const itch = join(tmp.dir, 'day.itch');
const lake = join(tmp.dir, 'lake');

beforeAll(async () => {
  // About 95 MB: the converter's second reading takes a second or so here, time enough to be stopped in it.
  writeFileSync(itch, colo().simulateItchSession({ messages: 3_000_000, symbols: 20, seed: 1 }));
  await createTable(lake, 'quotes', 'Quote');
}, 120_000);

/** Waits (at most 60 s) until `ready()`, then sends `signal`; resolves with the run once it has ended. */
async function stopWhen(
  run: ReturnType<typeof startAlpha>,
  ready: () => boolean,
  signal: NodeJS.Signals,
): Promise<CliRun & { signal: string | null }> {
  const ended = new Promise<NodeJS.Signals | null>((resolve) => run.child.once('exit', (_code, s) => resolve(s)));
  const deadline = Date.now() + 60_000;
  let done = false;
  void ended.then(() => (done = true));
  while (!done && !ready() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  expect(done, `ended before it could be stopped: ${run.output.stderr}`).toBe(false);
  expect(ready()).toBe(true);
  run.child.kill(signal);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 30_000);
  const s = await ended;
  clearTimeout(timer);
  return { ...(await run.exited), signal: s };
}

describe('a command ended by a signal while it writes', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'alpha itch convert (%s): no staging folder, no lock, no --out left',
    async (signal) => {
      const parent = join(tmp.dir, `convert-${signal}`);
      mkdirSync(parent);
      const out = join(parent, 'day');
      const run = startAlpha(['itch', 'convert', itch, '--out', out, '--date', '2024-01-02']);
      const staging = (): boolean => readdirSync(parent).some((f) => f.startsWith('.day.staging-'));
      const r = await stopWhen(run, staging, signal);
      expect(r.signal, r.stderr).toBe(signal);
      expect(readdirSync(parent)).toEqual([]);
    },
    120_000,
  );

  it('alpha data ingest --format itch (SIGTERM): nothing left in TMPDIR', async () => {
    const tmpdir = join(tmp.dir, 'tmpdir');
    mkdirSync(tmpdir);
    const run = startAlpha(['data', 'ingest', itch, '--lake', lake, '--dataset', 'quotes', '--format', 'itch', '--date', '2024-01-02'], {
      ...process.env,
      TMPDIR: tmpdir,
    });
    // The converter's staging folder inside ingest's temporary one: rows are being written.
    const writing = (): boolean =>
      readdirSync(tmpdir).some(
        (d) =>
          d.startsWith('alpha-ingest-itch-') &&
          existsSync(join(tmpdir, d)) &&
          safeList(join(tmpdir, d)).some((f) => f.startsWith('.day.staging-')),
      );
    const r = await stopWhen(run, writing, 'SIGTERM');
    expect(r.signal, r.stderr).toBe('SIGTERM');
    expect(readdirSync(tmpdir)).toEqual([]);
    rmSync(tmpdir, { recursive: true, force: true });
  }, 120_000);
});

/** The entries of a folder that may be gone meanwhile. */
function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
