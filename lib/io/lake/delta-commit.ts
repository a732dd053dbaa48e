/**
 * Writes one Delta commit of the tier moves (lib/io/lake/archive.ts): `_delta_log/NNN.json` with a
 * commitInfo naming the move's transaction id, then its `remove` or `add` actions, all with
 * `dataChange: false` — the rows do not change, they change tier, as an OPTIMIZE's rewrite does not
 * change them (and `delta.appendOnly` allows it). The file is written aside and linked into place,
 * which fails when the version exists: the log's put-if-absent, so a commit is whole or absent.
 */
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AlphaError } from '../../core/errors.ts';
import type { TablePath } from './layout.ts';

export const commitFile = (table: TablePath, version: number): string =>
  join(table.dir, '_delta_log', `${String(version).padStart(20, '0')}.json`);

/** Whether commit `version` exists and is the move `txn` (another writer may have taken the number). */
export function isCommitted(table: TablePath, version: number, txn: string): boolean {
  const f = commitFile(table, version);
  if (!existsSync(f)) return false;
  const first = readFileSync(f, 'utf8').split('\n', 1)[0] ?? '';
  return first.includes(`"txnId":"${txn}"`);
}

export interface MoveCommit {
  version: number;
  txn: string;
  operation: string;
  parameters: Record<string, string>;
  actions: readonly Record<string, unknown>[];
}

export function writeCommit(table: TablePath, c: MoveCommit): void {
  const lines = [
    { commitInfo: { timestamp: Date.now(), operation: c.operation, operationParameters: c.parameters, engineInfo: 'alpha', txnId: c.txn } },
    ...c.actions,
  ];
  const target = commitFile(table, c.version);
  const tmp = `${target}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw new AlphaError(`dataset "${table.dataset}": version ${c.version} was committed by another writer: run the command again`);
    throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * The `add` actions of the JSON commits by path (decoded), the latest for each, so a restored file
 * gets its statistics back; a path only a checkpoint names is missing (the caller makes a plain add).
 */
export function addActions(table: TablePath, latest: number): Map<string, Record<string, unknown>> {
  const adds = new Map<string, Record<string, unknown>>();
  for (let v = 0; v <= latest; v++) {
    const f = commitFile(table, v);
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!line.startsWith('{"add"')) continue;
      const action = (JSON.parse(line) as { add: Record<string, unknown> }).add;
      adds.set(decodeURIComponent(String(action['path'])), action);
    }
  }
  return adds;
}
