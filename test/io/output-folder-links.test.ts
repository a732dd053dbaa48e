/**
 * openOutput (pipelines/io/output-folder.ts) when --out is a symbolic link: the run's folder replaces
 * the entry at --out by a rename, so a link there is refused before the run (a dangling one failed
 * with ENOTDIR after the whole run; one to an empty folder was replaced, its target left empty). A
 * link further up the path (an out/ folder on another disk) is followed as before.
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AlphaError } from '../../lib/core/errors.ts';
import { openOutput } from '../../pipelines/io/output-folder.ts';

const top = realpathSync(mkdtempSync(join(tmpdir(), 'alpha-out-links-')));
afterAll(() => rmSync(top, { recursive: true, force: true }));

describe('openOutput and symbolic links', () => {
  it.each([
    ['dangling', 'nowhere', (out: string, to: string) => `--out ${out}: is a symbolic link (to ${to}), expected a folder of its own`],
    [
      'to an empty folder',
      join(top, 'empty-target'),
      (out: string, to: string) => `--out ${out}: is a symbolic link (to ${to}), expected a folder of its own`,
    ],
    ['to a file', join(top, 'a-file'), (out: string) => `--out ${out}: is a file, expected a folder`],
  ])('refuses an --out that is a link %s, and leaves the link and its target as they were', (_name, target, message) => {
    mkdirSync(join(top, 'empty-target'), { recursive: true });
    writeFileSync(join(top, 'a-file'), 'x\n');
    const out = join(top, `link-${readdirSync(top).length}`);
    symlinkSync(target, out);
    expect(() => openOutput(out)).toThrow(AlphaError);
    expect(() => openOutput(out)).toThrow(message(out, target));
    expect(lstatSync(out).isSymbolicLink()).toBe(true);
    expect(readlinkSync(out)).toBe(target);
    expect(readdirSync(join(top, 'empty-target'))).toEqual([]);
    // Nothing of the run beside it: no lock, no staging folder.
    expect(readdirSync(top).filter((e) => e.startsWith('.'))).toEqual([]);
  });

  it('follows a link further up the path: the run lands in the folder it names', () => {
    const disk = join(top, 'other-disk');
    mkdirSync(disk);
    symlinkSync(disk, join(top, 'out'));
    const output = openOutput(join(top, 'out', 'run'));
    writeFileSync(join(output.dir, 'summary.json'), '{}\n');
    output.commit();
    expect(readdirSync(join(disk, 'run'))).toEqual(['summary.json']);
  });
});
