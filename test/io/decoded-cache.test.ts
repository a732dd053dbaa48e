/**
 * The decoded-file cache of sweep workers: off by default; once on, a file is decoded once while it
 * stays the same, again when it changes, and a file that has become unsafe to read (a symlink out of
 * the data folder) goes back to the reader, which refuses it, rather than being served from memory.
 */
import { mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DecodedFile } from '../../pipelines/io/decode-file.ts';
import { decodedOnce, keepDecodedFiles } from '../../pipelines/io/decoded-cache.ts';
import { tempDir } from '../helpers/datasets.ts';

describe('decodedOnce', () => {
  const dir = tempDir('decoded-cache');
  mkdirSync(join(dir, 'quotes'));
  writeFileSync(join(dir, 'quotes', 'a.parquet'), 'first');
  const calls: boolean[] = [];
  const decode = (hash: boolean): Promise<DecodedFile> => {
    calls.push(hash);
    return Promise.resolve({ rows: calls.length, sha256: hash ? 'h' : undefined });
  };

  it('decodes each time, hashing as asked, until the cache is on', async () => {
    await decodedOnce(dir, 'quotes/a.parquet', 'Quote', false, decode);
    await decodedOnce(dir, 'quotes/a.parquet', 'Quote', false, decode);
    expect(calls).toEqual([false, false]);
  });

  it('then decodes a file once (hashed, for any later reader), per schema, until it changes', async () => {
    keepDecodedFiles();
    calls.length = 0;
    const first = await decodedOnce(dir, 'quotes/a.parquet', 'Quote', false, decode);
    const again = await decodedOnce(dir, 'quotes/a.parquet', 'Quote', true, decode);
    expect(again).toBe(first);
    expect(calls).toEqual([true]);
    await decodedOnce(dir, 'quotes/a.parquet', 'Trade', false, decode);
    expect(calls).toHaveLength(2);
    writeFileSync(join(dir, 'quotes', 'a.parquet'), 'second, longer');
    utimesSync(join(dir, 'quotes', 'a.parquet'), new Date(2030, 0, 1), new Date(2030, 0, 1));
    const changed = await decodedOnce(dir, 'quotes/a.parquet', 'Quote', false, decode);
    expect(changed).not.toBe(first);
    expect(calls).toHaveLength(3);
  });

  it('does not keep a failure, and hands an unsafe file back to the reader', async () => {
    calls.length = 0;
    writeFileSync(join(dir, 'quotes', 'bad.parquet'), 'x');
    const failing = (): Promise<DecodedFile> => {
      calls.push(true);
      return Promise.resolve({ failure: { file: 'bad.parquet', message: 'not a readable Parquet file' } });
    };
    await decodedOnce(dir, 'quotes/bad.parquet', 'Quote', true, failing);
    await new Promise((r) => setImmediate(r));
    await decodedOnce(dir, 'quotes/bad.parquet', 'Quote', true, failing);
    expect(calls).toHaveLength(2);
    // a.parquet is kept; replaced by a symlink to a file outside the folder, it is no longer served.
    const outside = join(tempDir('outside'), 'x.parquet');
    writeFileSync(outside, 'outside');
    rmSync(join(dir, 'quotes', 'a.parquet'));
    symlinkSync(outside, join(dir, 'quotes', 'a.parquet'));
    calls.length = 0;
    await decodedOnce(dir, 'quotes/a.parquet', 'Quote', false, decode);
    expect(calls).toEqual([false]);
  });
});
