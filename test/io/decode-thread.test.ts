/**
 * The decode thread (ALPHA_DECODE_THREAD=1) against decoding in-process: the same column batches
 * from a generated dataset, and the same DataError for a file that is not Parquet.
 */
import { cpSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readManifest } from '../../pipelines/data/manifest.ts';
import { openDataset } from '../../pipelines/io/dataset.ts';
import { dataset, tempDir } from '../helpers/datasets.ts';

async function readAll(dir: string, threaded: boolean): Promise<{ rows: unknown[]; hashes: Map<string, string> }> {
  process.env.ALPHA_DECODE_THREAD = threaded ? '1' : '0';
  const hashes = new Map<string, string>();
  const reader = openDataset(dir, readManifest(dir), 'quotes', 'Quote', (file, sha) => hashes.set(file, sha));
  const rows: unknown[] = [];
  for (let b = await reader.next(); b; b = await reader.next()) rows.push(...b.toRecords());
  await reader.close();
  return { rows, hashes };
}

async function failure(dir: string, threaded: boolean): Promise<string> {
  try {
    await readAll(dir, threaded);
  } catch (err) {
    return String(err);
  }
  return 'no error';
}

describe('the decode thread', () => {
  const saved = process.env.ALPHA_DECODE_THREAD;
  afterEach(() => {
    if (saved === undefined) delete process.env.ALPHA_DECODE_THREAD;
    else process.env.ALPHA_DECODE_THREAD = saved;
  });

  it('gives the rows and file hashes that decoding in-process gives', async () => {
    const dir = await dataset({ symbols: 6, days: 3, seed: 3 });
    const threaded = await readAll(dir, true);
    const inProcess = await readAll(dir, false);
    expect(threaded.rows.length).toBeGreaterThan(1000);
    expect(threaded.rows).toEqual(inProcess.rows);
    expect([...threaded.hashes]).toEqual([...inProcess.hashes]);
  });

  it('reports a file that is not Parquet as in-process decoding does', async () => {
    const dir = tempDir('decode-thread');
    cpSync(await dataset({ symbols: 6, days: 3, seed: 3 }), dir, { recursive: true });
    const manifest = readManifest(dir);
    const second = manifest.datasets.quotes!.files[1]!;
    writeFileSync(join(dir, second), 'PAR1 not really');
    // No sha256 in the manifest for this file, so the decoding itself must fail.
    const edited = JSON.parse(JSON.stringify(manifest));
    delete edited.datasets.quotes.sha256;
    delete edited.datasets.quotes.rows;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(edited));
    const threaded = await failure(dir, true);
    expect(threaded).toMatch(/not a readable Parquet file/);
    expect(threaded).toContain(second);
    expect(threaded).toBe(await failure(dir, false));
  });

  it('refuses a file outside the data folder before any decoding, on the thread as in-process', async () => {
    const root = tempDir('decode-thread-outside');
    const dir = join(root, 'data');
    cpSync(await dataset({ symbols: 6, days: 3, seed: 3 }), dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    // A symlink inside the folder that resolves outside it (the manifest's own check refuses `../` names).
    const first = manifest.datasets.quotes.files[0];
    cpSync(join(dir, first), join(root, 'outside.parquet'));
    rmSync(join(dir, first));
    symlinkSync(join(root, 'outside.parquet'), join(dir, first));
    const threaded = await failure(dir, true);
    expect(threaded).toMatch(/outside the data folder/);
    expect(threaded).toBe(await failure(dir, false));
  });
});
