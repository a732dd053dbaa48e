/**
 * Which files the cold manifest counts as cold in a table version, from the entries' states and the
 * commits that exist: the rule that keeps each file in exactly one tier across a crash and while a
 * move commits under a reader (lib/io/lake/cold-manifest.ts). Commit files are written by hand.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AlphaError } from '../../../../lib/core/errors.ts';
import { type ColdEntry, coldView, isColdAt, readColdManifest, writeColdManifest } from '../../../../lib/io/lake/cold-manifest.ts';
import type { TablePath } from '../../../../lib/io/lake/layout.ts';

const lake = mkdtempSync(join(tmpdir(), 'alpha-cold-manifest-'));
afterAll(() => rmSync(lake, { recursive: true, force: true }));
const table: TablePath = { lake, dataset: 't', dir: join(lake, 't') };
mkdirSync(join(table.dir, '_delta_log'), { recursive: true });
const commit = (version: number, txn: string): void =>
  writeFileSync(
    join(table.dir, '_delta_log', `${String(version).padStart(20, '0')}.json`),
    `${JSON.stringify({ commitInfo: { operation: 'X', txnId: txn } })}\n`,
  );
commit(0, 'create');
commit(1, 'append');
commit(2, 'archive-a'); // the archive "a" committed as version 2
commit(3, 'someone-else'); // version 3 was taken by another writer, not by the archive "b" that wanted it

const entry = (path: string, extra: Partial<ColdEntry>): ColdEntry => ({
  path,
  date: '2024-01-02',
  bucket: 'b',
  key: `k/${path}`,
  size: 1,
  md5: '0',
  storage_class: 'STANDARD',
  rows: 1,
  add: { path },
  ...extra,
});

describe('isColdAt', () => {
  it('a pending archive is cold from its commit on, only if that commit is its own', () => {
    const a = entry('a', { pending: { op: 'archive', version: 2, txn: 'archive-a' } });
    const b = entry('b', { pending: { op: 'archive', version: 3, txn: 'archive-b' } });
    const c = entry('c', { pending: { op: 'archive', version: 4, txn: 'archive-c' } });
    expect([1, 2, 3].map((v) => isColdAt(table, a, v))).toEqual([false, true, true]);
    expect([2, 3, 4].map((v) => isColdAt(table, b, v))).toEqual([false, false, false]);
    expect(isColdAt(table, c, 4)).toBe(false);
  });

  it('a pending restore stays cold until its own commit exists', () => {
    const done = entry('d', { cold_from: 1, pending: { op: 'restore', version: 2, txn: 'archive-a' } });
    const taken = entry('e', { cold_from: 1, pending: { op: 'restore', version: 3, txn: 'restore-e' } });
    expect([0, 1, 2].map((v) => isColdAt(table, done, v))).toEqual([false, true, false]);
    expect([1, 3, 9].map((v) => isColdAt(table, taken, v))).toEqual([true, true, true]);
  });

  it('a settled entry is cold from its archive to its restore', () => {
    const f = entry('f', { cold_from: 2, restored_at: 5 });
    expect([1, 2, 4, 5, 6].map((v) => isColdAt(table, f, v))).toEqual([false, true, true, false, false]);
  });
});

describe('coldView', () => {
  it('gives the entries cold at a version and the latest committed move', () => {
    writeColdManifest(table, {
      format: 1,
      dataset: 't',
      since_version: 1,
      entries: [
        entry('a', { pending: { op: 'archive', version: 2, txn: 'archive-a' } }),
        entry('b', { pending: { op: 'archive', version: 3, txn: 'archive-b' } }),
        entry('f', { cold_from: 1, restored_at: 5 }),
      ],
      released: [],
    });
    expect(coldView(table, 3)).toEqual({
      entries: [expect.objectContaining({ path: 'a' }), expect.objectContaining({ path: 'f' })],
      sinceVersion: 5,
    });
    expect(coldView(table, 1)!.entries.map((e) => e.path)).toEqual(['f']);
    expect(coldView({ ...table, dataset: 'none' }, 3)).toBeUndefined();
  });
});

describe('a damaged cold manifest is refused in one line, never read for ever', () => {
  const damaged = (name: string, make: (file: string) => void): TablePath => {
    const own = { lake: join(lake, name), dataset: 't', dir: join(lake, name, 't') };
    mkdirSync(join(own.lake, '.cold'), { recursive: true });
    make(join(own.lake, '.cold', 't.json'));
    return own;
  };
  it.each([
    [
      'a pipe',
      (f: string) => execFileSync('mkfifo', [f]),
      /manifest .*t\.json is unreadable \(not a regular file \(a device, pipe or socket\)\)$/,
    ],
    [
      'a link to /dev/zero',
      (f: string) => symlinkSync('/dev/zero', f),
      /is unreadable \(not a regular file \(a device, pipe or socket\)\)$/,
    ],
    [
      'not JSON, with line breaks',
      (f: string) => writeFileSync(f, '{\n"a":\n x\nalpha: all good'),
      /is unreadable \(Unexpected token .*\\nalpha: /,
    ],
    ['JSON null', (f: string) => writeFileSync(f, 'null'), /is unreadable \(not a manifest of format 1\)$/],
  ])('%s', (name, make, message) => {
    const t = damaged(name.replace(/\W+/g, '-'), make);
    let error: unknown;
    try {
      readColdManifest(t);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AlphaError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});
