/** What a file that is not a regular one is, for a message: `a symlink`, `a FIFO`, … */
import type { Dirent, Stats } from 'node:fs';

export function fileKind(st: Stats | Dirent): string {
  if (st.isSymbolicLink()) return 'a symlink';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}
