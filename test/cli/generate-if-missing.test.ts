/**
 * `alpha backtest --generate-if-missing` writes the sample into the data folder, so a refusal of that
 * folder names --data (it named --out, the run's own folder), and never suggests the
 * run's --overwrite, which replaces --out, not the data.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, runAlpha } from '../helpers/cli.ts';
import { tempDir } from '../helpers/datasets.ts';

let root: string;
let filled: CliRun;
let file: CliRun;

beforeAll(async () => {
  root = tempDir('generate-if-missing');
  mkdirSync(join(root, 'notes'));
  writeFileSync(join(root, 'notes', 'todo.txt'), 'mine');
  writeFileSync(join(root, 'a-file'), 'x');
  const backtest = (data: string, out: string): Promise<CliRun> =>
    runAlpha(['backtest', 'topology.yaml', '--generate-if-missing', '--data', data, '--out', join(root, out), '--quiet'], 60_000);
  [filled, file] = await Promise.all([backtest(join(root, 'notes'), 'out1'), backtest(join(root, 'a-file'), 'out2')]);
}, 90_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('alpha backtest --generate-if-missing', () => {
  it('refuses a non-empty folder without a manifest as --data, in one line, leaving it as it was', () => {
    expect(filled.code, filled.stderr).toBe(1);
    expect(filled.stderr).toBe(
      `alpha: --data ${join(root, 'notes')}: has no manifest.json and is not empty (1 entry: todo.txt), so --generate-if-missing will not write the sample there: expected a dataset folder, or a new or empty folder to generate it into\n`,
    );
    expect(readdirSync(join(root, 'notes'))).toEqual(['todo.txt']);
    expect(existsSync(join(root, 'out1'))).toBe(false);
  });

  it('names --data when the data folder is a file', () => {
    expect(file.code, file.stderr).toBe(1);
    expect(file.stderr).toMatch(
      /^no dataset at .*a-file: generating the default sample…\nalpha: --data .*a-file: is a file, expected a folder\n$/,
    );
    expect(existsSync(join(root, 'out2'))).toBe(false);
  });
});
