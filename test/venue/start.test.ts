/**
 * `alpha venue start` refuses what it cannot play or serve, in one line and before it is ready: a
 * truncated or garbage flow (with the offset), an empty one, one stamped past midnight, users that are not SoupBinTCP
 * alphanumerics, a missing --flow/--data; a flow or an audit file it would hang on, destroy or write
 * through; numbers strtod alone would take. Its temporary flow and its native process go with it.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { colo } from '../../native/colo/index.ts';
import { runAlpha, startAlpha } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-venue-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('alpha venue start', () => {
  it('refuses a damaged flow, bad users and a missing flow, before printing ready', async () => {
    const good = colo().simulateItchSession({ messages: 200, symbols: 2, seed: 1 });
    const cut = join(dir, 'cut.itch');
    writeFileSync(cut, good.subarray(0, good.length - 5));
    const garbage = join(dir, 'garbage.itch');
    writeFileSync(garbage, 'not ITCH at all');
    const empty = join(dir, 'empty.itch');
    writeFileSync(empty, '');
    const whole = join(dir, 'whole.itch');
    writeFileSync(whole, good);
    // System Event messages (length 12): the second is stamped 5 ns past midnight, which the venue's
    // clock (stopping at 23:59:59.999999999) never reaches: it waited for it forever.
    const systemEvent = (ns: bigint): Buffer => {
      const b = Buffer.alloc(14);
      b.writeUInt16BE(12, 0);
      b.write('S', 2, 'latin1');
      b.writeUIntBE(Number(ns), 7, 6);
      b.write('O', 13, 'latin1');
      return b;
    };
    const late = join(dir, 'late.itch');
    writeFileSync(late, Buffer.concat([systemEvent(1000n), systemEvent(86_400_000_000_005n)]));
    const cases: [string[], number, RegExp][] = [
      [['--flow', cut], 1, /^alpha: --flow .*cut\.itch: 1 x record runs past the end of the file \(first at byte \d+\)/],
      [['--flow', garbage], 1, /^alpha: --flow .*garbage\.itch: .*\(first at byte 0\)/],
      [['--flow', empty], 1, /^alpha: --flow .*empty\.itch: no ITCH message in it/],
      [
        ['--flow', late],
        1,
        /^alpha: --flow .*late\.itch: 1 x timestamp past the day's end \(first at byte 14\); an ITCH 5\.0 timestamp is ns since midnight/,
      ],
      [['--flow', whole, '--users', 'ok:pw,../x:y'], 1, /^alpha: --users entry '\.\.\/x:y': names and passwords are letters and digits/],
      // 1e300 overflowed the flow clock's conversion (undefined behaviour); 1e-9 never played the flow.
      [['--flow', whole, '--speed', '1e300'], 1, /^alpha: --speed '1e300' is not 0 or a number from 0.0001 to 1000000/],
      [['--flow', whole, '--speed', '1e-9'], 1, /^alpha: --speed '1e-9' is not 0 or a number from 0.0001 to 1000000/],
      [[], 1, /alpha: give the flow as --flow FILE \(an ITCH file\) or as --data DIR --date DATE/],
    ];
    for (const [args, code, pattern] of cases) {
      const run = await runAlpha(['venue', 'start', ...args], 20_000);
      expect(run.code, args.join(' ')).toBe(code);
      expect(run.stderr, args.join(' ')).toMatch(pattern);
      expect(run.stdout).not.toContain('"ready"');
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  }, 60_000);

  it('refuses a flow or an audit file it would hang on, destroy or write through, and numbers in other spellings', async () => {
    const whole = join(dir, 'flow2.itch');
    writeFileSync(whole, colo().simulateItchSession({ messages: 200, symbols: 2, seed: 1 }));
    const size = statSync(whole).size;
    const fifo = join(dir, 'fifo');
    spawnSync('mkfifo', [fifo]);
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'kept');
    const link = join(dir, 'audit-link');
    symlinkSync(victim, link);
    const existing = join(dir, 'old-audit.jsonl');
    writeFileSync(existing, 'old');
    const cases: [string[], number, string | RegExp][] = [
      // A FIFO as the flow hung the venue for ever; a folder said "mmap …: No such device".
      [['--flow', fifo], 1, `alpha: --flow ${fifo}: is a FIFO, not a regular file; expected an ITCH 5.0 file\n`],
      [['--flow', folder], 1, `alpha: --flow ${folder}: is a folder, not a regular file; expected an ITCH 5.0 file\n`],
      // The venue truncated its own flow and died of SIGBUS, exit 1 without a word.
      [
        ['--flow', whole, '--audit', whole],
        1,
        `alpha: --audit ${whole}: is the flow file (--flow): expected another file for the audit trail\n`,
      ],
      [
        ['--flow', whole, '--audit', link],
        1,
        `alpha: --audit ${link}: exists and is a symlink: expected a new file, or a regular file to replace\n`,
      ],
      [
        ['--flow', whole, '--audit', fifo],
        1,
        `alpha: --audit ${fifo}: exists and is a FIFO: expected a new file, or a regular file to replace\n`,
      ],
      [['--flow', whole, '--audit', existing], 1, `alpha: --audit ${existing}: exists: give --overwrite to replace it, or another file\n`],
      [['--flow', whole, '--audit', ''], 1, 'alpha: --audit is empty: expected the file to write the audit trail to\n'],
      [['--flow', whole, '--date', '2024-01-02'], 1, /^alpha: --date goes with --data/],
      // strtod took these: 16×, real time and "as fast as possible".
      [['--flow', whole, '--speed', '0x10'], 1, /^alpha: --speed '0x10' is not 0 or a number/],
      [['--flow', whole, '--speed', ' 1'], 1, /^alpha: --speed ' 1' is not 0 or a number/],
      [['--flow', whole, '--speed', '-0'], 1, /^alpha: --speed '-0' is not 0 or a number/],
      [['--flow', whole, '--users', 'a:b,a:c'], 1, /^alpha: --users names 'a' twice/],
      // The open on the wall clock, shared with alpha live --open-at.
      [['--flow', whole, '--open-at', 'soon'], 1, /^alpha: --open-at is "soon": expected µs since the epoch/],
      [['--flow', whole, '--open-at', '2000-01-01T00:00:00Z'], 1, /^alpha: --open-at 2000-01-01T00:00:00Z is .*, more than a day from now/],
      [['--flow', whole, '--speed', '0', '--open-at', new Date().toISOString()], 1, /^alpha: --open-at needs a clock: a --speed above 0/],
      // An open an hour ago at 600×: the day's session ended long before; played, it came out in one burst.
      [
        ['--flow', whole, '--speed', '600', '--open-at', new Date(Date.now() - 3_600_000).toISOString()],
        1,
        /^alpha: --open-at .*: at --speed 600 the day's regular session \(09:30 to 16:00\) would be over before the venue starts/,
      ],
      [['--flow', whole, '--speed', '', '--open-at', new Date().toISOString()], 1, /^alpha: --speed '' is not 0 or a number/],
      // Ten bytes but five characters, which the venue's ready line then escaped.
      [['--flow', whole, '--session', 'ééééé'], 1, /^alpha: --session 'ééééé' must be 1\.\.10 letters and digits/],
    ];
    for (const [args, code, expected] of cases) {
      const run = await runAlpha(['venue', 'start', ...args], 20_000);
      expect(run.code, args.join(' ')).toBe(code);
      if (typeof expected === 'string') expect(run.stderr, args.join(' ')).toBe(expected);
      else expect(run.stderr, args.join(' ')).toMatch(expected);
      expect(run.stdout).not.toContain('"ready"');
    }
    expect(statSync(whole).size).toBe(size);
    expect(readFileSync(victim, 'utf8')).toBe('kept');
    expect(readFileSync(existing, 'utf8')).toBe('old');
    // With --overwrite the audit file is replaced by the session's trail.
    const run = await runAlpha(
      ['venue', 'start', '--flow', whole, '--speed', '0', '--exit-at-end', '--audit', existing, '--overwrite'],
      30_000,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(existing, 'utf8')).toMatch(/^\{.*"dir"/);
  }, 120_000);

  it('leaves no temporary flow behind when the dataset day cannot be made into one', async () => {
    const tmp = mkdtempSync(join(dir, 'tmp-'));
    const env = { ...process.env, TMPDIR: tmp };
    const started = startAlpha(['venue', 'start', '--data', join(dir, 'no-such-dataset'), '--date', '2024-01-02'], env);
    const run = await started.exited;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^alpha: /);
    expect(readdirSync(tmp)).toEqual([]);
  }, 60_000);

  it('ends its venue when it is killed outright (SIGKILL), instead of leaving it to play on', async () => {
    const whole = join(dir, 'flow3.itch');
    writeFileSync(whole, colo().simulateItchSession({ messages: 2000, symbols: 2, seed: 1 }));
    // At 0.001× the flow lasts for hours.
    const started = startAlpha(['venue', 'start', '--flow', whole, '--speed', '0.001']);
    const deadline = Date.now() + 20_000;
    while (!started.output.stdout.includes('"ready"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(started.output.stdout, started.output.stderr).toContain('"ready"');
    const pid = started.child.pid!;
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    const venue = children.find(
      (c) => existsSync(`/proc/${c}/cmdline`) && readFileSync(`/proc/${c}/cmdline`, 'latin1').includes('colo_venue'),
    );
    expect(venue, 'the colo_venue child').toBeDefined();
    started.child.kill('SIGKILL');
    await started.exited;
    const gone = Date.now() + 10_000;
    // A process that ended but is not reaped yet (its parent, init, reaps it) shows state Z.
    const alive = () => existsSync(`/proc/${venue}/stat`) && !/\) Z /.test(readFileSync(`/proc/${venue}/stat`, 'latin1'));
    while (alive() && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    expect(alive()).toBe(false);
  }, 60_000);

  it('names the flag of a port already in use', async () => {
    const whole = join(dir, 'flow4.itch');
    writeFileSync(whole, colo().simulateItchSession({ messages: 200, symbols: 2, seed: 1 }));
    const tcp = createServer();
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
    try {
      const tcpPort = (tcp.address() as AddressInfo).port;
      const udpPort = udp.address().port;
      const a = await runAlpha(['venue', 'start', '--flow', whole, '--ouch-port', String(tcpPort)], 20_000);
      expect(a.code).toBe(1);
      expect(a.stderr).toBe(
        `alpha: bind TCP 127.0.0.1:${tcpPort}: Address already in use (--ouch-port): choose a free port, or 0 for any\n`,
      );
      const b = await runAlpha(['venue', 'start', '--flow', whole, '--rerequest-port', String(udpPort)], 20_000);
      expect(b.code).toBe(1);
      expect(b.stderr).toBe(
        `alpha: bind UDP 127.0.0.1:${udpPort}: Address already in use (--rerequest-port): choose a free port, or 0 for any\n`,
      );
    } finally {
      tcp.close();
      udp.close();
    }
  }, 60_000);

  it('says so when its venue is killed mid-session, instead of exiting 1 without a word', async () => {
    const whole = join(dir, 'flow5.itch');
    writeFileSync(whole, colo().simulateItchSession({ messages: 2000, symbols: 2, seed: 1 }));
    const started = startAlpha(['venue', 'start', '--flow', whole, '--speed', '0.001']);
    const deadline = Date.now() + 20_000;
    while (!started.output.stdout.includes('"ready"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const pid = started.child.pid!;
    const venue = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    process.kill(venue, 'SIGKILL');
    const run = await started.exited;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `^alpha: the venue \\(.*colo_venue, pid ${venue}\\) was ended by SIGKILL: its session stopped without an End of Session\n$`,
      ),
    );
  }, 60_000);
});
