/**
 * `alpha venue start` refuses what it cannot play or serve, in one line and before it is ready: a
 * truncated or garbage flow (with the offset), an empty one, one stamped past midnight, users that are not SoupBinTCP
 * alphanumerics, a missing --flow/--data.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { colo } from '../../native/colo/index.ts';
import { runAlpha } from '../helpers/cli.ts';

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
      [['--flow', cut], 2, /alpha venue: --flow .*cut\.itch: 1 x record runs past the end of the file \(first at byte \d+\)/],
      [['--flow', garbage], 2, /alpha venue: --flow .*garbage\.itch: .*\(first at byte 0\)/],
      [['--flow', empty], 2, /alpha venue: --flow .*empty\.itch: no ITCH message in it/],
      [
        ['--flow', late],
        2,
        /alpha venue: --flow .*late\.itch: 1 x timestamp past the day's end \(first at byte 14\); an ITCH 5\.0 timestamp is ns since midnight/,
      ],
      [
        ['--flow', whole, '--users', 'ok:pw,../x:y'],
        2,
        /alpha venue: --users entry '\.\.\/x:y': names and passwords are letters and digits/,
      ],
      // 1e300 overflowed the flow clock's conversion (undefined behaviour); 1e-9 never played the flow.
      [['--flow', whole, '--speed', '1e300'], 2, /alpha venue: --speed '1e300' is not 0 or a number from 0.0001 to 1000000/],
      [['--flow', whole, '--speed', '1e-9'], 2, /alpha venue: --speed '1e-9' is not 0 or a number from 0.0001 to 1000000/],
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
});
