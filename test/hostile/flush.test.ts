/**
 * Hostile input to `alpha data flush` that is refused before Redis is read: every refusal is exit
 * code 1 and one line `alpha: …` naming the flag or the server, never a stack trace. (Refusals that
 * need the services' Redis — a wrong password, an unknown dataset — are in test/redis/.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runAlpha } from '../helpers/cli.ts';
import { freePort } from '../helpers/redis.ts';
import { tempLake } from '../helpers/lake.ts';

const tmp = tempLake('flush-hostile');
afterAll(() => tmp.remove());

const refused = async (args: string[], message: RegExp) => {
  const r = await runAlpha(['data', 'flush', ...args], 30_000);
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
};

describe('alpha data flush: hostile input', () => {
  it('refuses a bad date, dataset name, URL, lake and an unreachable Redis with one alpha: line', async () => {
    const file = join(tmp.dir, 'a-file');
    writeFileSync(file, 'x');
    const closed = `redis://127.0.0.1:${await freePort()}`;
    await Promise.all([
      refused(['--date', '2024-02-30', '--redis', closed], /^alpha: --date is "2024-02-30": expected a real date YYYY-MM-DD/),
      refused(['--date', '2024-01-02', '--dataset', '../etc', '--redis', closed], /^alpha: --dataset "\.\.\/etc" .*expected/),
      refused(['--date', '2024-01-02', '--redis', 'http://x'], /^alpha: data flush: "http:\/\/x": expected the redis:\/\/ scheme/),
      refused(['--date', '2024-01-02', '--redis', 'redis://u:pw@127.0.0.1:1'], /only redis:\/\/HOST:PORT\[\/DB\] is read \(no user/),
      refused(['--date', '2024-01-02', '--lake', file, '--redis', closed], /^alpha: --lake .*a-file: not a folder/),
      refused(
        ['--date', '2024-01-02', '--lake', tmp.dir, '--redis', closed],
        /^alpha: data flush: cannot connect to Redis at 127\.0\.0\.1:/,
      ),
    ]);
  }, 60_000);
});
