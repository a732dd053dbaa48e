/**
 * writeOwnFile: a file of a run's own folder replaces whatever was left at its name. A link planted
 * there (a resumed live run keeps its folder) was written through, outside the folder; a FIFO would
 * have hung the run.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeOwnFile } from '../../../lib/io/own-file.ts';
import { tempDir } from '../../helpers/datasets.ts';

const dir = tempDir('own-file');
afterAll(() => execFileSync('rm', ['-rf', dir]));

describe('writeOwnFile', () => {
  it('writes a new file, and replaces a longer one whole', () => {
    const path = join(dir, 'sub', 'a.txt');
    writeOwnFile(path, 'a much longer first text');
    writeOwnFile(path, 'short');
    expect(readFileSync(path, 'utf8')).toBe('short');
  });

  it('replaces a link at the name, leaving its target as it was (also a dangling one)', () => {
    const outside = join(dir, 'outside.txt');
    writeFileSync(outside, 'not yours');
    const link = join(dir, 'orders.parquet');
    symlinkSync(outside, link);
    writeOwnFile(link, 'mine');
    expect(readFileSync(outside, 'utf8')).toBe('not yours');
    expect(lstatSync(link).isFile()).toBe(true);
    expect(readFileSync(link, 'utf8')).toBe('mine');
    const dangling = join(dir, 'fills.parquet');
    symlinkSync(join(dir, 'nowhere', 'x'), dangling);
    writeOwnFile(dangling, 'mine too');
    expect(lstatSync(dangling).isFile()).toBe(true);
  });

  it('replaces a FIFO at the name instead of waiting for a reader', () => {
    const fifo = join(dir, 'dead_letters.jsonl');
    execFileSync('mkfifo', [fifo]);
    writeOwnFile(fifo, 'x');
    expect(lstatSync(fifo).isFile()).toBe(true);
  });

  it('refuses a folder at the name, and leaves it', () => {
    const folder = join(dir, 'summary.json');
    mkdirSync(folder);
    expect(() => writeOwnFile(folder, 'x')).toThrow(/EISDIR/);
    expect(lstatSync(folder).isDirectory()).toBe(true);
  });
});
