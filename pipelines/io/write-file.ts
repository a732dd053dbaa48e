/** A single output file written whole or not at all. */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { AlphaError } from '../../lib/core/errors.ts';

/**
 * Writes `bytes` beside `path` and renames it into place, so a reader never sees half a file and a
 * failure leaves neither a partial file nor the temporary one; an AlphaError names `flag` and why.
 */
export function writeFileAtomically(flag: string, path: string, bytes: Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    // A file or link already at the temporary name (a crashed run's, a planted link) is removed, not written through.
    rmSync(tmp, { force: true });
    writeFileSync(tmp, bytes, { flag: 'wx' });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new AlphaError(`${flag} ${path}: cannot write: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
