/**
 * Decoded data files kept for the life of the process, for a process that runs the same data many
 * times (a worker of `alpha sweep`): each file is read and decoded once, and later runs get the same
 * column batches (never written to: operators read columns, they do not change them). Off unless
 * `keepDecodedFiles()` was called. A kept file is checked again on every open (inside the data folder
 * after symlinks, a regular file of bounded size), and decoded again when its size or modification
 * time changed.
 */
import { realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkDataFile } from '../../lib/io/data-file.ts';
import type { DecodedFile } from './decode-file.ts';

let cache: Map<string, Promise<DecodedFile>> | undefined;

/** Keeps every decoded data file from now on (called once, at a sweep worker's start). */
export function keepDecodedFiles(): void {
  cache ??= new Map();
}

/**
 * `file` of data folder `dir` decoded by `decode(hash)`: once per process when the cache is on (then
 * always hashed, since a later run may want the hash), else each time, hashed when `hash` says so.
 */
export function decodedOnce(
  dir: string,
  file: string,
  schema: string,
  hash: boolean,
  decode: (hash: boolean) => Promise<DecodedFile>,
): Promise<DecodedFile> {
  if (!cache || checkDataFile(dir, file) !== undefined) return decode(hash); // the decode reports the problem
  const real = realpathSync(join(dir, file));
  const s = statSync(real);
  const key = `${real}\0${schema}\0${s.size}\0${s.mtimeMs}`;
  let found = cache.get(key);
  if (!found) {
    found = decode(true);
    const kept = cache;
    kept.set(key, found);
    // A failure is not kept: the next run reads the file again and reports it.
    found.then(
      (d) => d.failure && kept.delete(key),
      () => kept.delete(key),
    );
  }
  return found;
}
