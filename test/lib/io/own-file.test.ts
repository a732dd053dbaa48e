/**
 * writeOwnFile and openOwnFile: a file of a run's own folder replaces whatever was left at its name.
 * A symbolic or hard link planted there (a resumed live run keeps its folder) was written through,
 * outside the folder; a FIFO would have hung the run.
 */
import { closeSync, linkSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openOwnFile, writeOwnFile } from '../../../lib/io/own-file.ts';
import { tempDir } from '../../helpers/datasets.ts';

const dir = tempDir('own-file');
afterAll(() => execFileSync('rm', ['-rf', dir]));

/** A file outside the run's folder, and names in the folder planted with links to it. */
function planted(name: string): { outside: string; symbolic: string; hard: string } {
  const outside = join(dir, `${name}-outside.txt`);
  writeFileSync(outside, 'not yours');
  const symbolic = join(dir, `${name}-symbolic`);
  symlinkSync(outside, symbolic);
  const hard = join(dir, `${name}-hard`);
  linkSync(outside, hard);
  return { outside, symbolic, hard };
}

describe.each([
  ['writeOwnFile', (path: string, text: string) => writeOwnFile(path, text)],
  [
    'openOwnFile',
    (path: string, text: string) => {
      const fd = openOwnFile(path);
      writeSync(fd, text);
      closeSync(fd);
    },
  ],
])('%s', (name, write) => {
  it('writes a new file, and replaces a longer one whole', () => {
    const path = join(dir, `${name}-a.txt`);
    write(path, 'a much longer first text');
    write(path, 'short');
    expect(readFileSync(path, 'utf8')).toBe('short');
  });

  it('replaces a symbolic or a hard link at the name, leaving the file it named as it was', () => {
    const { outside, symbolic, hard } = planted(name);
    write(symbolic, 'mine');
    write(hard, 'mine too');
    expect(readFileSync(outside, 'utf8')).toBe('not yours');
    for (const [path, text] of [
      [symbolic, 'mine'],
      [hard, 'mine too'],
    ] as const) {
      expect(lstatSync(path).isFile()).toBe(true);
      expect(lstatSync(path).nlink).toBe(1);
      expect(readFileSync(path, 'utf8')).toBe(text);
    }
  });

  it('replaces a FIFO at the name instead of waiting for a reader', () => {
    const fifo = join(dir, `${name}-fifo`);
    execFileSync('mkfifo', [fifo]);
    write(fifo, 'x');
    expect(lstatSync(fifo).isFile()).toBe(true);
  });

  it('refuses a folder at the name, and leaves it', () => {
    const folder = join(dir, `${name}-summary.json`);
    mkdirSync(folder);
    expect(() => write(folder, 'x')).toThrow(/EISDIR|ENOTEMPTY|EPERM/);
    // In one line that says what stands there and what would do (a resumed live run said "unexpected error: EISDIR: … rename").
    expect(() => write(folder, 'x')).toThrow(
      new RegExp(
        `^${folder}: cannot write it \\([A-Z_]*EISDIR: a folder stands at that name\\): expected a file of the run's own, or nothing, at that name$`,
      ),
    );
    expect(lstatSync(folder).isDirectory()).toBe(true);
  });
});
