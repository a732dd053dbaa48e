/** What tests compare to show that a folder was left alone. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every file and folder under `dir` with its size and mtime: equal snapshots mean nothing there changed. */
export function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .sort()
    .map((p) => {
      const s = statSync(join(dir, p));
      return `${p} ${s.isDirectory() ? 'dir' : s.size} ${s.mtimeMs}`;
    });
}
