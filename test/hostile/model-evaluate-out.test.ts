/**
 * Where `alpha model evaluate` and `alpha model train` write: evaluate replaces unasked only a folder
 * an earlier evaluate wrote (it replaced any run's folder, a backtest's or a training's features,
 * without --overwrite), and train's features run names its folder by the flag that gave it (--work),
 * not as --out.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAlpha } from '../helpers/cli.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

let data: string;
let top: string;

beforeAll(async () => {
  data = await dataset({ symbols: 8, days: 3, seed: 11 });
  top = tempDir('model-evaluate-out');
}, 60_000);

describe('alpha model evaluate --out', () => {
  it("refuses another run's folder without --overwrite, and leaves it as it was", async () => {
    const other = join(top, 'a-backtest');
    mkdirSync(other);
    for (const f of ['summary.json', 'topology.resolved.yaml', 'fills.parquet']) writeFileSync(join(other, f), 'kept\n');
    const r = await runAlpha(['model', 'evaluate', '--data', data, '--out', other, '--quiet'], 120_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^alpha: --out .*a-backtest: not empty \(3 entries: .*\), expected a new or empty folder, or --overwrite/m);
    expect(readdirSync(other).sort()).toEqual(['fills.parquet', 'summary.json', 'topology.resolved.yaml']);
  });

  it('writes evaluation.json beside the run, and replaces its own folder the next time unasked', async () => {
    const out = join(top, 'evaluated');
    const first = await runAlpha(['model', 'evaluate', '--data', data, '--out', out, '--quiet', '--format', 'json'], 120_000);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(readdirSync(out)).toContain('evaluation.json');
    const second = await runAlpha(['model', 'evaluate', '--data', data, '--out', out, '--quiet', '--format', 'json'], 120_000);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
  });
});

describe('alpha model train --work', () => {
  it('is named as --work when its folder is refused', async () => {
    const work = join(top, 'work');
    mkdirSync(work);
    writeFileSync(join(work, 'mine.txt'), 'x\n');
    const r = await runAlpha(
      [
        'model',
        'train',
        '--data',
        data,
        '--from',
        '2024-01-02',
        '--to',
        '2024-01-03',
        '--out',
        join(top, 'model'),
        '--work',
        work,
        '--quiet',
      ],
      120_000,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^alpha: --work \S+\/work: not empty \(1 entry: mine\.txt\)/m);
    expect(r.stderr).not.toMatch(/^alpha: --out /m);
  });
});
