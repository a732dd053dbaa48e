/**
 * A reader that goes away is not an error of the command. `alpha schema | head -c 10` ended with
 * `alpha: unexpected error: write EPIPE` and exit 1 (the schema, 150 kB, is more than a pipe holds,
 * so the command is still writing when the reader closes); a sweep whose progress lines went to a closed
 * stderr stopped after its first point the same way.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.ts';
import { dataset } from '../helpers/datasets.ts';

const ALPHA = join(import.meta.dirname, '../../bin/alpha.mjs');
const dir = mkdtempSync(join(tmpdir(), 'alpha-closed-pipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// biome-ignore lint/suspicious/noTemplateCurlyInString: bash prints the first command's exit code of the pipeline.
const FIRST_STATUS = 'echo "${PIPESTATUS[0]}"';

describe('a closed pipe', () => {
  it('on stdout ends the command quietly, exit 0', () => {
    const err = join(dir, 'stderr.txt');
    const r = spawnSync('bash', ['-c', `"$0" "$1" schema 2>"$2" | head -c 10 >/dev/null; ${FIRST_STATUS}`, process.execPath, ALPHA, err], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stdout).toBe('0\n');
    expect(readFileSync(err, 'utf8')).toBe('');
  });

  it('on stderr drops the later lines and lets the run finish with its outputs', async () => {
    // A sweep writes a progress line to stderr after each point: the first found the reader gone, and
    // the sweep stopped there, exit 1, with no sweep.parquet.
    const data = await dataset({ symbols: 4, days: 2, seed: 3 });
    const out = join(dir, 'sweep');
    const r = spawnSync(
      'bash',
      [
        '-c',
        `"$0" "$1" sweep topology.yaml --data "$2" --out "$3" --grid sizing.gamma=500,1000 --jobs 1 2>&1 >/dev/null | head -c 0; ${FIRST_STATUS}`,
        process.execPath,
        ALPHA,
        data,
        out,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 150_000 },
    );
    expect(r.stdout).toBe('0\n');
    expect(existsSync(join(out, 'sweep.parquet'))).toBe(true);
  }, 180_000);
});
