/**
 * The one output file written whole (pipelines/io/write-file.ts): it replaces a regular file and only
 * that. A FIFO, a link (dangling or not) or a folder at the path is refused in one line and left as
 * it was, with no temporary file beside it: the rename would have put a file where a device stood
 * (`alpha itch simulate --out /dev/null --overwrite` as root replaced the machine's /dev/null).
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AlphaError } from '../../lib/core/errors.ts';
import { writeFileAtomically } from '../../pipelines/io/write-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'alpha-write-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bytes = new TextEncoder().encode('new\n');

describe('writeFileAtomically', () => {
  it('writes a new file and replaces a regular one, leaving nothing else beside it', () => {
    const sub = join(dir, 'plain');
    mkdirSync(sub);
    writeFileAtomically('--out', join(sub, 'a.txt'), bytes);
    writeFileSync(join(sub, 'b.txt'), 'old');
    writeFileAtomically('--out', join(sub, 'b.txt'), bytes);
    expect(readFileSync(join(sub, 'a.txt'), 'utf8')).toBe('new\n');
    expect(readFileSync(join(sub, 'b.txt'), 'utf8')).toBe('new\n');
    expect(readdirSync(sub).sort()).toEqual(['a.txt', 'b.txt']);
  });

  it.each([
    ['a FIFO', (p: string) => spawnSync('mkfifo', [p]), 'a FIFO'],
    ['a dangling link', (p: string) => symlinkSync(join(dir, 'nowhere'), p), 'a symlink'],
    ['a link to a file', (p: string) => symlinkSync(join(dir, 'target.txt'), p), 'a symlink'],
    ['a folder', (p: string) => mkdirSync(p), 'a folder'],
  ])('refuses %s at the path and leaves it as it was', (_what, make, kind) => {
    writeFileSync(join(dir, 'target.txt'), 'kept');
    const sub = mkdtempSync(join(dir, 'case-'));
    const path = join(sub, 'out');
    make(path);
    const before = lstatSync(path);
    const linkBefore = before.isSymbolicLink() ? readlinkSync(path) : undefined;
    let error: unknown;
    try {
      writeFileAtomically('--out', path, bytes);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AlphaError);
    expect((error as Error).message).toBe(`--out ${path}: exists and is ${kind}: expected a new file, or a regular file to replace`);
    const after = lstatSync(path);
    expect([after.mode, after.ino]).toEqual([before.mode, before.ino]);
    if (linkBefore !== undefined) expect(readlinkSync(path)).toBe(linkBefore);
    expect(readFileSync(join(dir, 'target.txt'), 'utf8')).toBe('kept');
    expect(readdirSync(sub)).toEqual(['out']);
  });
});

describe('a command writing one file over a FIFO', () => {
  it('refuses it in one line at once (it made it a regular file before), --overwrite or not', () => {
    const fifo = join(dir, 'fifo.itch');
    spawnSync('mkfifo', [fifo]);
    const r = spawnSync(
      process.execPath,
      [join(import.meta.dirname, '../../bin/alpha.mjs'), 'itch', 'simulate', '--messages', '10', '--out', fifo, '--overwrite'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toBe(`alpha: --out ${fifo}: exists and is a FIFO: expected a new file, or a regular file to replace\n`);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('keeps the system error as the cause of its one line, so a run on a full disk can tell and give the space back', () => {
    // A folder with a file in it at the name: the rename over it fails with the system's code.
    const sub = join(dir, 'cause');
    mkdirSync(join(sub, 'summary.json'), { recursive: true });
    writeFileSync(join(sub, 'summary.json', 'x'), 'x');
    let thrown: unknown;
    try {
      writeFileAtomically('--out', join(sub, 'summary.json'), bytes, { ownFolder: true });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AlphaError);
    expect((thrown as Error).message).toMatch(/^--out .*summary\.json: cannot write: /);
    const cause = (thrown as Error).cause as { code?: string } | undefined;
    expect(cause?.code).toMatch(/^(EISDIR|ENOTEMPTY|EEXIST|ERR_FS_EISDIR)$/);
  });

  it("replaces, in a run's own folder, a link left at the name without writing through it", () => {
    writeFileSync(join(dir, 'target.txt'), 'kept');
    const sub = mkdtempSync(join(dir, 'own-'));
    const path = join(sub, 'live.pid');
    symlinkSync(join(dir, 'target.txt'), path);
    writeFileAtomically('--out', path, bytes, { ownFolder: true });
    expect(lstatSync(path).isFile()).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('new\n');
    expect(readFileSync(join(dir, 'target.txt'), 'utf8')).toBe('kept');
  });
});
