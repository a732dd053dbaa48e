/**
 * Files of a run's own folder (its outputs, beside what an earlier run left there): whatever stands
 * at the name is replaced, never written through. A symbolic or hard link planted where an output
 * goes (a resumed live run keeps its folder) made the run write outside it; a FIFO would have hung it.
 */
import { mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AlphaError } from '../core/errors.ts';
import { systemErrorText } from '../core/system-errors.ts';

/**
 * `bytes` into `path` (in a folder that exists), written beside it and renamed into place: a reader
 * never sees half of it, and a link, FIFO or file at `path` is replaced, its target untouched. A
 * folder there is an error (EISDIR).
 * @example
 * writeOwnFile('out/run/dead_letters.jsonl', '');
 */
export function writeOwnFile(path: string, bytes: Uint8Array | string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    // A file or link already at the temporary name (a crashed run's, a planted link) is removed, not written through.
    rmSync(tmp, { force: true });
    writeFileSync(tmp, bytes, { flag: 'wx' });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new OwnFileError(path, err);
  }
}

/**
 * Opens `path` as a new file for writing (its folder made first), whatever stood at the name removed
 * first: the name only, so a link's target is untouched. For a file written as it grows (a tap).
 * @example
 * const fd = openOwnFile('out/run/taps/bars.jsonl');
 */
export function openOwnFile(path: string): number {
  try {
    mkdirSync(dirname(path), { recursive: true });
    rmSync(path, { force: true });
    // 'wx': should anything appear at the name meanwhile, this fails instead of writing through it.
    return openSync(path, 'wx');
  } catch (err) {
    throw new OwnFileError(path, err);
  }
}

/** A run's own file that could not be written: one line naming it and why, the system's code kept. */
export class OwnFileError extends AlphaError {
  override readonly name = 'OwnFileError';
  readonly code: string | undefined;
  constructor(path: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException).code;
    const folder = code === 'EISDIR' || code === 'ERR_FS_EISDIR' || code === 'ENOTEMPTY';
    const system = systemErrorText(code);
    super(
      system
        ? `${path}: cannot write it: ${system}`
        : `${path}: cannot write it (${code ?? String(cause)}${folder ? ': a folder stands at that name' : ''}): expected a file of the run's own, or nothing, at that name`,
    );
    this.code = code;
  }
}
