/**
 * Hostile input: a file the run reads whole (a dataset manifest, a model card, a model, a risk problem)
 * that is a pipe, a folder or larger than its limit is refused with the file's name, at once: a plain
 * read of a pipe nobody writes blocked the command for ever, and one of /dev/zero read until memory ran out.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../lib/core/errors.ts';
import { ModelCardError, readModelCard } from '../../lib/model/model-card.ts';
import { readManifest } from '../../pipelines/data/manifest.ts';
import { runAlpha } from '../helpers/cli.ts';
import { tempDir } from '../helpers/datasets.ts';

/** A folder holding `name` as a named pipe nobody writes to. */
function withFifo(name: string): string {
  const dir = tempDir('fifo');
  execFileSync('mkfifo', [join(dir, name)]);
  return dir;
}

describe('files read whole', () => {
  it('a dataset manifest that is a pipe, a device or a folder is refused, not waited on', () => {
    expect(() => readManifest(withFifo('manifest.json'))).toThrow(/manifest\.json: not a regular file \(a device, pipe or socket\)/);
    const zero = tempDir('zero');
    symlinkSync('/dev/zero', join(zero, 'manifest.json'));
    expect(() => readManifest(zero)).toThrow(DataError);
    const folder = tempDir('folder');
    mkdirSync(join(folder, 'manifest.json'));
    expect(() => readManifest(folder)).toThrow(/manifest\.json: not a regular file \(a folder\)/);
    // A missing one still says how to make one.
    expect(() => readManifest(tempDir('none'))).toThrow(/dataset manifest not found — create a dataset with `alpha data generate/);
  });

  it('a card.json given as the model folder still says there is no model card there', () => {
    const dir = tempDir('card-as-folder');
    writeFileSync(join(dir, 'card.json'), '{}');
    expect(() => readModelCard(join(dir, 'card.json'))).toThrow(/card\.json\/card\.json: no model card \(train a model with/);
  });

  it('a model card that is a pipe is refused, and one over 1 MiB', () => {
    expect(() => readModelCard(withFifo('card.json'))).toThrow(/card\.json: not a regular file/);
    const big = tempDir('big-card');
    writeFileSync(join(big, 'card.json'), ' '.repeat(1024 * 1024 + 1));
    expect(() => readModelCard(big)).toThrow(ModelCardError);
    expect(() => readModelCard(big)).toThrow(/larger than the limit of 1048576 bytes for a model card/);
  });

  it('alpha risk solve of a pipe exits 2 naming it, within seconds', async () => {
    const dir = withFifo('problem.json');
    const run = await runAlpha(['risk', 'solve', join(dir, 'problem.json')], 30_000);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`${join(dir, 'problem.json')}: not a regular file (a device, pipe or socket)\n`);
  });
});
