/**
 * A live run holds its --out as a backtest holds its own (pipelines/io/output-folder.ts holdOutput):
 * while `alpha live` trades against colo_venue, a second `alpha live`, a backtest and a sweep on its
 * --out are refused in one line naming it, --overwrite or not, and its capture is left whole. A lock
 * of a process that has ended is taken over; a symbolic link given as --out is refused, as a
 * backtest refuses it, and so is, before anything else, an --out that holds the topology.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCapture } from '../../pipelines/io/capture-log.ts';
import { type CliRun, runAlpha, startAlpha } from '../helpers/cli.ts';
import { liveVenueArgs, startVenueDay, until, type VenueDay } from '../helpers/venue-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-live-lock-'));
let day: VenueDay;

beforeAll(async () => {
  day = await startVenueDay(dir, { symbols: 4, seed: 9, users: ['alpha:alpha', 'other:other'], args: ['--speed', '600'] });
}, 60_000);
afterAll(async () => {
  await day?.venue.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One `alpha:` line and exit 1, no stack. */
function refused(r: CliRun): string {
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^alpha: /);
  return lines[0]!;
}

describe('alpha live holds its --out', () => {
  it('refuses another live run, a backtest and a sweep on it while it runs, --overwrite or not', async () => {
    const out = join(dir, 'live');
    const first = startAlpha([...liveVenueArgs(day, 600, out, '--seconds', '60', '--status-every', '0')]);
    const pid = first.child.pid!;
    await until('its lock', () => readdirSync(dir).includes('.live.lock'), 20_000);
    // The lock names the process: its pid and what it is.
    expect(readFileSync(join(dir, '.live.lock'), 'utf8')).toBe(`${pid} alpha live\n`);
    const inUse = `--out ${out}: in use by alpha live (process ${pid}, lock ${join(dir, '.live.lock')}), expected one run per folder: wait for it or stop it (alpha kill, or SIGTERM), or choose another --out`;
    const others = await Promise.all([
      runAlpha(liveVenueArgs(day, 600, out, '--seconds', '1', '--overwrite'), 30_000),
      runAlpha(liveVenueArgs(day, 600, out, '--seconds', '1'), 30_000),
      runAlpha(['backtest', 'topology.yaml', '--data', day.data, '--out', out, '--overwrite', '--quiet'], 30_000),
      runAlpha(
        ['sweep', 'topology.yaml', '--data', day.data, '--grid', 'orders.min_notional=1000,2000', '--out', out, '--overwrite', '--quiet'],
        30_000,
      ),
    ]);
    for (const r of others) expect(refused(r)).toContain(inUse);
    first.child.kill('SIGINT'); // its clean stop, once the others were refused
    const done = await first.exited;
    expect(done.code, done.stderr).toBe(0);
    // Its capture is whole (ended), and the one its summary counts.
    const capture = readCapture(join(out, 'capture.alog'));
    expect(capture.ended).toBe(true);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { captured: number };
    expect(summary.captured).toBe(capture.arrivals.length);
    expect(readdirSync(dir)).not.toContain('.live.lock');
  }, 60_000);

  it('takes over the lock of a process that has ended', async () => {
    const out = join(dir, 'stale');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(dir, '.stale.lock'), `${gone} alpha live\n`);
    // Another venue user: the first test's run may still be logged in as its own, as far as the venue saw.
    const user = ['--set', 'broker.username=other', '--set', 'broker.password=other'];
    const r = await runAlpha(liveVenueArgs(day, 600, out, '--seconds', '1', '--status-every', '0', ...user), 30_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`taking over the stale lock ${join(dir, '.stale.lock')} (process ${gone} is not running)`);
    expect(readCapture(join(out, 'capture.alog')).ended).toBe(true);
    expect(readdirSync(dir)).not.toContain('.stale.lock');
  }, 40_000);

  it('refuses a symbolic link as --out, --overwrite or not, and leaves the link and what it names alone', async () => {
    const target = join(dir, 'target');
    const link = join(dir, 'link');
    mkdirSync(target);
    symlinkSync(target, link);
    for (const more of [[], ['--overwrite']]) {
      const r = await runAlpha(liveVenueArgs(day, 600, link, '--seconds', '1', ...more), 30_000);
      expect(refused(r)).toBe(
        `alpha: --out ${link}: is a symbolic link (to ${target}), expected a folder of its own: give the folder it names if the run should write there`,
      );
    }
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readdirSync(target)).toEqual([]);
  }, 40_000);

  it('says first that an --out holding the topology holds it, not that it is not empty', async () => {
    const r = await runAlpha(liveVenueArgs(day, 600, 'examples', '--seconds', '1'), 30_000);
    expect(refused(r)).toBe(
      'alpha: --out examples: holds the topology examples/live-venue.yaml, which this run reads; expected a folder of its own outside it (e.g. out/NAME)',
    );
  }, 40_000);
});
