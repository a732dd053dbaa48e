/** A single output file written whole or not at all. */
import { lstatSync } from 'node:fs';
import { AlphaError } from '../../lib/core/errors.ts';
import { fileKind } from '../../lib/io/file-kind.ts';
import { systemErrorText } from '../../lib/core/system-errors.ts';
import { OwnFileError, writeOwnFile } from '../../lib/io/own-file.ts';

/**
 * Writes `bytes` beside `path` and renames it into place, so a reader never sees half a file and a
 * failure leaves neither a partial file nor the temporary one; an AlphaError names `flag` and why.
 * A file the user names (`--out FILE`) replaces only a regular file: a link (even a dangling one), a
 * FIFO or a device at `path` is refused, as the rename would put a file where it stood (`--out
 * /dev/null` as root replaced the device) and write the temporary file into its folder. A file of a
 * run's own folder (`ownFolder`: live.pid, summary.json) replaces whatever was left at its name, never
 * writing through a link there.
 */
export function writeFileAtomically(flag: string, path: string, bytes: Uint8Array, o: { ownFolder?: boolean } = {}): void {
  const existing = o.ownFolder ? undefined : lstatSync(path, { throwIfNoEntry: false });
  if (existing && !existing.isFile())
    throw new AlphaError(`${flag} ${path}: exists and is ${fileKind(existing)}: expected a new file, or a regular file to replace`);
  try {
    writeOwnFile(path, bytes);
  } catch (err) {
    const code = err instanceof OwnFileError ? err.code : (err as NodeJS.ErrnoException).code;
    // The cause kept: a run's output folder gives the space back when it was a full disk.
    throw new AlphaError(`${flag} ${path}: cannot write: ${systemErrorText(code) ?? code ?? String(err)}`, { cause: err });
  }
}
