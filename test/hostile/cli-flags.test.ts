/**
 * Flags of the replaying commands given hostile values: each is refused in one `alpha: …` line with
 * exit 1 before anything runs, never taken as if the flag were absent. Through the real CLI, the
 * launches side by side; none reaches a dataset, a broker or an output folder.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataset, tempDir } from '../helpers/datasets.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function alpha(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin/alpha.mjs'), ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    );
  });
}

let top: string;
const cases: [string, string[], string][] = [];
let runs: Run[];

beforeAll(async () => {
  top = tempDir('cli-flags');
  const out = (name: string) => join(top, name);
  // An empty value fell back to the default: `--data ""` ran the topology's own data folder.
  const empty = 'a dataset folder (manifest.json), or no --data for the topology\'s "data:"';
  cases.push(
    ['backtest --data ""', ['backtest', 'topology.yaml', '--data', '', '--out', out('a')], `--data is empty: expected ${empty}`],
    [
      'backtest --from " "',
      ['backtest', 'topology.yaml', '--from', ' ', '--out', out('b')],
      '--from is empty: expected a date YYYY-MM-DD, or no --from for the first day',
    ],
    [
      'backtest --to=',
      ['backtest', 'topology.yaml', '--to=', '--out', out('c')],
      '--to is empty: expected a date YYYY-MM-DD, or no --to for the last day',
    ],
    [
      'sweep --data ""',
      ['sweep', 'topology.yaml', '--data', '', '--grid', 'sizing.gamma=1', '--out', out('d')],
      `--data is empty: expected ${empty}`,
    ],
    ['live --data ""', ['live', 'topology.yaml', '--data', '', '--out', out('e')], `--data is empty: expected ${empty}`],
  );
  // alpha run's run id ends topic names and reached the broker unchecked; its counts went through Number().
  const run = (name: string, ...more: string[]) => ['run', 'examples/kafka-split.yaml', '--group', 'features', '--out', out(name), ...more];
  const runId = 'expected 1–64 letters, digits, "_" or "-" (it ends topic names)';
  cases.push(
    ['run --run-id ../x', run('f', '--run-id', '../x'), `--run-id "../x": ${runId}`],
    ['run --run-id ""', run('g', '--run-id', ''), `--run-id "": ${runId}`],
    ['run --attempt NaN', run('h', '--attempt', 'NaN'), '--attempt "NaN": expected a count of earlier starts, a whole number from 0'],
    ['run --replica 0x1', run('i', '--replica', '0x1'), '--replica "0x1": expected a replica index, a whole number from 0'],
  );
  runs = await Promise.all(cases.map(([, args]) => alpha(args)));
}, 60_000);

describe('hostile flag values', () => {
  it('refuses each in one alpha: line, exit 1, nothing written', () => {
    cases.forEach(([name, , message], i) => {
      const r = runs[i]!;
      expect({ name, code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({
        name,
        code: 1,
        stderr: `alpha: ${message}\n`,
        stdout: '',
      });
    });
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']) expect(existsSync(join(top, name))).toBe(false);
  });

  it('alpha run refused for its group leaves no --out behind (it made an empty one)', async () => {
    const data = await dataset({ symbols: 2, days: 1, seed: 3 });
    const out = join(top, 'no-group');
    const r = await alpha(['run', 'examples/kafka-split.yaml', '--group', 'nosuch', '--data', data, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no group "nosuch" — groups: features, trading');
    expect(existsSync(out)).toBe(false);
  });
});
