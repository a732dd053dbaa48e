/**
 * Which versions of a table can still be read whole: a version needs every data file its log names as
 * live at that version, and a vacuum deletes those that only older versions need. Read from the JSON
 * commits alone (no DuckDB), for the message of a read that failed; undefined when the log no longer
 * starts at version 0 (cleaned up behind a checkpoint), where the commits cannot tell.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitFile } from './delta-commit.ts';
import type { TablePath } from './layout.ts';

export interface VersionFiles {
  /** The files `version` needs that are gone from the table folder (paths as the log names them, decoded). */
  missing: string[];
  /** How many files `version` needs. */
  needed: number;
  /** The first version from which every later one, up to `latest`, has all its files; undefined when `latest` does not. */
  readableFrom: number | undefined;
  /** Whether a vacuum ran on the table (its commits say so). */
  vacuumed: boolean;
}

/** A data file of the table from the version that added it to the one that removed it (exclusive). */
interface Span {
  path: string;
  from: number;
  to: number;
}

/** The files of `version` that are gone, and which versions up to `latest` can still be read. */
export function versionFiles(table: TablePath, version: number, latest: number): VersionFiles | undefined {
  const spans: Span[] = [];
  const live = new Map<string, number>();
  let vacuumed = false;
  for (let v = 0; v <= latest; v++) {
    const file = commitFile(table, v);
    if (!existsSync(file)) return undefined;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const action = JSON.parse(line) as {
        add?: { path?: unknown };
        remove?: { path?: unknown };
        commitInfo?: { operation?: unknown };
      };
      if (typeof action.commitInfo?.operation === 'string' && action.commitInfo.operation.startsWith('VACUUM')) vacuumed = true;
      const added = action.add?.path;
      const removed = action.remove?.path;
      if (typeof added === 'string') live.set(decodeURIComponent(added), v);
      if (typeof removed === 'string') {
        const path = decodeURIComponent(removed);
        const from = live.get(path);
        if (from !== undefined) spans.push({ path, from, to: v });
        live.delete(path);
      }
    }
  }
  for (const [path, from] of live) spans.push({ path, from, to: latest + 1 });
  const gone = spans.filter((s) => !existsSync(join(table.dir, s.path)));
  const needs = (s: Span): boolean => s.from <= version && version < s.to;
  const lastUnreadable = gone.reduce((last, s) => Math.max(last, s.to - 1), -1);
  return {
    missing: gone.filter(needs).map((s) => s.path),
    needed: spans.filter(needs).length,
    readableFrom: lastUnreadable < latest ? lastUnreadable + 1 : undefined,
    vacuumed,
  };
}
