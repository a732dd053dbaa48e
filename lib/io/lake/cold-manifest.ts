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
 *
 * Each entry also says from which table version it is cold (`cold_from`, the archive's commit) and,
 * once restored, until which (`restored_at`, kept until the next move): a reader pins the table
 * version V it reads and takes the entries cold at V, so a read that runs while a move commits sees
 * each file once too.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AlphaError } from '../../core/errors.ts';
import { readJsonFile } from '../data-file.ts';
import { isCommitted } from './delta-commit.ts';
import type { TablePath } from './layout.ts';
import { tableFile } from './table-files.ts';

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
  /** The table version whose commit archived it. */
  cold_from?: number;
  /** The table version whose commit restored it (the entry is dropped by the next move). */
  restored_at?: number;
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

/** A manifest this large names millions of files (an entry is about 600 bytes). */
const MAX_COLD_MANIFEST_BYTES = 1024 * 1024 * 1024;

export function readColdManifest(table: TablePath): ColdManifest | undefined {
  const f = coldManifestPath(table);
  if (!existsSync(f)) return undefined;
  const unreadable = (why: string): AlphaError =>
    new AlphaError(`dataset "${table.dataset}": the cold tier's manifest ${f} is unreadable (${why})`);
  // Bounded and never blocking (a pipe or a device there is refused, not read for ever).
  const parsed = readJsonFile(f, { bytes: MAX_COLD_MANIFEST_BYTES, of: "a cold tier's manifest" });
  if ('error' in parsed) throw unreadable(parsed.error);
  const m = parsed.value as ColdManifest | null;
  if (m === null || typeof m !== 'object' || m.format !== 1 || !Array.isArray(m.entries)) throw unreadable('not a manifest of format 1');
  // Its paths are the table's files (decoded): a move deletes and writes them, so none may lead outside.
  m.entries.forEach((e, i) => {
    tableFile(table, (e as Partial<ColdEntry> | null)?.path, `the cold tier's manifest ${f} (entry ${i + 1})`, false);
  });
  return m;
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

/** The table versions [from, until) in which the entry's file is cold (see the module's comment). */
function coldRange(table: TablePath, e: ColdEntry): [number, number] {
  const p = e.pending;
  const committed = p !== undefined && isCommitted(table, p.version, p.txn);
  const from = p?.op === 'archive' ? (committed ? p.version : Number.POSITIVE_INFINITY) : (e.cold_from ?? -1);
  const until = e.restored_at ?? (p?.op === 'restore' && committed ? p.version : Number.POSITIVE_INFINITY);
  return [from, until];
}

/** Whether the entry's file is cold in table version `version`. */
export function isColdAt(table: TablePath, e: ColdEntry, version: number): boolean {
  const [from, until] = coldRange(table, e);
  return from <= version && version < until;
}

export interface ColdView {
  entries: ColdEntry[];
  /** The version of the latest move that has committed. */
  sinceVersion: number;
}

/** The files the cold tier holds in table version `version`, or undefined when the dataset never had a cold tier. */
export function coldView(table: TablePath, version: number): ColdView | undefined {
  const m = readColdManifest(table);
  if (!m) return undefined;
  let since = m.since_version;
  for (const e of m.entries) {
    if (e.restored_at !== undefined) since = Math.max(since, e.restored_at);
    if (e.pending && isCommitted(table, e.pending.version, e.pending.txn)) since = Math.max(since, e.pending.version);
  }
  return { entries: m.entries.filter((e) => isColdAt(table, e, version)), sinceVersion: since };
}
