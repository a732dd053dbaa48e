/** Generated datasets for tests, in a temporary folder, cached per options within one test file. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset, type GenerateOptions } from '../../pipelines/data/generate.ts';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `alpha-${prefix}-`));
}

const cache = new Map<string, Promise<string>>();

export function dataset(options: Omit<GenerateOptions, 'out'>): Promise<string> {
  const key = JSON.stringify(options);
  let dir = cache.get(key);
  if (!dir) {
    const out = tempDir('data');
    dir = generateDataset({ ...options, out }).then(() => out);
    cache.set(key, dir);
  }
  return dir;
}
