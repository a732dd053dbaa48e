/**
 * Writes a file of a run's own folder (its outputs, beside what an earlier run left there): whatever
 * stands at the name is replaced, never written through. A symbolic link planted where an output
 * goes (a resumed live run keeps its folder) made the run write outside it; a FIFO would have hung it.
 */
import { closeSync, constants, fstatSync, ftruncateSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * `bytes` into `path` (its folder made first). A link, FIFO, socket or device at `path` is removed
 * and a regular file made in its place; a folder there is an error.
 * @example
 * writeOwnFile('out/run/dead_letters.jsonl', '');
 */
export function writeOwnFile(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      // O_NOFOLLOW: a link at the name fails (ELOOP) instead of being followed; O_NONBLOCK: a FIFO without a reader fails (ENXIO).
      fd = openSync(path, FLAGS, 0o644);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (attempt === 0 && (code === 'ELOOP' || code === 'ENXIO')) {
        rmSync(path, { force: true });
        continue;
      }
      throw err;
    }
    try {
      if (!fstatSync(fd).isFile()) {
        if (attempt > 0) throw new Error(`${path}: not a regular file`);
        closeSync(fd);
        fd = -1;
        rmSync(path, { force: true });
        continue;
      }
      ftruncateSync(fd, 0);
      for (let at = 0; at < data.length; ) at += writeSync(fd, data, at, data.length - at);
      return;
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }
}
