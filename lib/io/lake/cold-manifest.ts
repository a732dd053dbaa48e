/**
 * The cold tier's manifest of a dataset, `LAKE/.cold/DATASET.json`: each data file that left the
 * Delta table for the object store — its table path, date, bucket and key, size, MD5, storage class,
 * rows and the `add` action that had named it — and the moves under way.
 *
 * The Delta log and the manifest together say where each file is, exactly once. A move writes the
 * manifest with the entries marked `pending` (the commit's version and transaction id) before the
 * commit, and settles them after it. So an entry counts as cold when it is settled, when it is a
 * pending archive whose commit exists, or a pending restore whose commit does not: whatever step a
 * crash stopped at, a file is in the table's latest version or in the cold list, never both, never
 * neither (docs/decisions.md).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AlphaError } from '../../core/errors.ts';
import { isCommitted } from './delta-commit.ts';
import type { TablePath } from './layout.ts';

export interface ColdEntry {
  /** The file's path in the table (`date=YYYY-MM-DD/NAME.parquet`), which the key ends with. */
  path: string;
  date: string;
  bucket: string;
  key: string;
  size: number;
  md5: string;
  storage_class: string;
  rows: number;
  /** The `add` action the table had for it, put back by a restore. */
  add: Record<string, unknown>;
  pending?: { op: 'archive' | 'restore'; version: number; txn: string };
}

export interface ColdManifest {
  format: 1;
  dataset: string;
  /**
   * The table version of the latest move: an earlier version is not read with the cold tier (its
   * log names files that have moved since).
   */
  since_version: number;
  entries: ColdEntry[];
  /** Objects a finished restore no longer needs, deleted by the next step (or the next run). */
  released: { bucket: string; key: string }[];
}

export const coldManifestPath = (table: TablePath): string => join(table.lake, '.cold', `${table.dataset}.json`);

export function readColdManifest(table: TablePath): ColdManifest | undefined {
  const f = coldManifestPath(table);
  if (!existsSync(f)) return undefined;
  try {
    const m = JSON.parse(readFileSync(f, 'utf8')) as ColdManifest;
    if (m.format !== 1 || !Array.isArray(m.entries)) throw new Error('not a manifest of format 1');
    return m;
  } catch (err) {
    throw new AlphaError(`dataset "${table.dataset}": the cold tier's manifest ${f} is unreadable (${(err as Error).message})`);
  }
}

export function writeColdManifest(table: TablePath, m: ColdManifest): void {
  const f = coldManifestPath(table);
  mkdirSync(join(table.lake, '.cold'), { recursive: true });
  const tmp = `${f}.${process.pid}.tmp`;
  writeFileSyncDurable(tmp, `${JSON.stringify(m, null, 1)}\n`);
  renameSync(tmp, f);
}

function writeFileSyncDurable(file: string, text: string): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Whether the entry's file is in the cold tier now (see the module's comment). */
export function isCold(table: TablePath, e: ColdEntry): boolean {
  if (!e.pending) return true;
  const committed = isCommitted(table, e.pending.version, e.pending.txn);
  return e.pending.op === 'archive' ? committed : !committed;
}

export interface ColdView {
  entries: ColdEntry[];
  /** The version of the latest move that has committed. */
  sinceVersion: number;
}

/** The files the cold tier holds now, or undefined when it holds none. */
export function coldView(table: TablePath): ColdView | undefined {
  const m = readColdManifest(table);
  if (!m) return undefined;
  let since = m.since_version;
  for (const e of m.entries)
    if (e.pending && isCommitted(table, e.pending.version, e.pending.txn)) since = Math.max(since, e.pending.version);
  const entries = m.entries.filter((e) => isCold(table, e));
  return entries.length > 0 || since >= 0 ? { entries, sinceVersion: since } : undefined;
}
