/**
 * Moves a dataset's partitions between the warm tier (the Delta table's folder) and the cold tier (a
 * bucket of the object store), and back, crash-safe and idempotent (docs/lake.md, docs/decisions.md).
 *
 * Archive (partitions whose date, the UTC date of ts_known, is before D): upload each file of the
 * table's latest version, checking size and MD5 → write the manifest with the entries pending →
 * commit the `remove` of the files (dataChange false) → settle the manifest → delete the local copies.
 * Restore: download each chosen file (checked) → manifest pending → commit its original `add` →
 * settle → delete the objects. Every run first finishes what an interrupted run left (`settle`), so
 * a rerun after a kill at any step leaves each row readable exactly once; a second run does nothing.
 *
 * `killAt` names a step at which the process kills itself with SIGKILL: the crash tests' fault point.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { AlphaError } from '../../core/errors.ts';
import { type ColdEntry, type ColdManifest, readColdManifest, writeColdManifest } from './cold-manifest.ts';
import { addActions, isCommitted, writeCommit } from './delta-commit.ts';
import { runLakeTool } from './lake-tool.ts';
import { lockPath, PARTITION, type TablePath, tablePath } from './layout.ts';
import { withLock } from './lock.ts';
import { inParallel } from '../../core/in-parallel.ts';
import type { ObjectStore } from './object-store.ts';
import { tableVersion } from './table.ts';
import { tableFile } from './table-files.ts';

export interface MoveResult {
  dataset: string;
  files: number;
  bytes: number;
  rows: number;
  /** The table version of the move's commit (unchanged when nothing moved). */
  version: number;
  /** Steps an earlier, interrupted run had left and this one finished. */
  finished: number;
}

interface MoveOptions {
  store: ObjectStore;
  /** The step at which to SIGKILL this process (crash tests). */
  killAt?: string;
  onProgress?: (line: string) => void;
}

export interface ArchiveOptions extends MoveOptions {
  /** Partitions (UTC dates of ts_known) strictly before this date move. */
  before: string;
  bucket: string;
  storageClass: string;
}

export interface RestoreOptions extends MoveOptions {
  from?: string;
  to?: string;
}

interface TableFile {
  path: string;
  size: number;
  modification_time: number;
  num_records: number | null;
  date: string;
}

/** Transfers in flight at once: one file at a time leaves the server and the link idle between requests. */
const UPLOADS_IN_FLIGHT = 4;

const emptyManifest = (dataset: string): ColdManifest => ({ format: 1, dataset, since_version: -1, entries: [], released: [] });

function fault(options: MoveOptions, step: string): void {
  if (options.killAt === step) process.kill(process.pid, 'SIGKILL');
}

/** The lake's id, made once: object keys start with it, so two lakes never share a key in one bucket. */
function lakeId(table: TablePath): string {
  const f = join(table.lake, '.cold', 'lake-id');
  if (!existsSync(f)) {
    mkdirSync(dirname(f), { recursive: true });
    const tmp = `${f}.${process.pid}.tmp`;
    writeFileSync(tmp, `${randomUUID()}\n`);
    try {
      linkSync(tmp, f);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  return readFileSync(f, 'utf8').trim();
}

export async function archiveDataset(lake: string, dataset: string, o: ArchiveOptions): Promise<MoveResult> {
  const table = tablePath(lake, dataset, true);
  return withLock(lockPath(table), `dataset "${dataset}"`, async () => {
    let m = readColdManifest(table) ?? emptyManifest(dataset);
    const finished = await settle(table, m, o);
    m = readColdManifest(table) ?? m;
    const latest = tableVersion(table);
    const { files } = await runLakeTool<{ files: TableFile[] }>('files', ['--table', table.dir]);
    const moving = files.filter((f) => f.date < o.before);
    const result = { dataset, files: 0, bytes: 0, rows: 0, version: latest, finished };
    if (moving.length === 0) return result;
    await o.store.checkBucket(o.bucket);
    const id = lakeId(table);
    const version = latest + 1;
    const txn = randomUUID();
    const adds = addActions(table, latest);
    const entries = await inParallel(moving, UPLOADS_IN_FLIGHT, async (f): Promise<ColdEntry> => {
      const local = tableFile(table, f.path, `the table's version ${latest} (as delta-rs lists its files)`, false);
      if (!existsSync(local))
        throw new AlphaError(`dataset "${dataset}": ${local} is named by the table's version ${latest} but is not there`);
      const key = `${id}/${dataset}/${f.path}`;
      const stored = await o.store.putFile(o.bucket, key, local, o.storageClass);
      fault(o, 'uploaded-one');
      return {
        path: f.path,
        date: f.date,
        bucket: o.bucket,
        key,
        size: stored.size,
        md5: stored.md5,
        storage_class: stored.storageClass,
        rows: f.num_records ?? -1,
        add: adds.get(f.path) ?? {
          path: f.path,
          partitionValues: { [PARTITION]: f.date },
          size: f.size,
          modificationTime: f.modification_time,
          dataChange: true,
          ...(f.num_records !== null ? { stats: JSON.stringify({ numRecords: f.num_records }) } : {}),
        },
        pending: { op: 'archive', version, txn },
      };
    });
    for (const e of entries) {
      result.files++;
      result.bytes += e.size;
      result.rows += Math.max(e.rows, 0);
    }
    fault(o, 'uploaded');
    m.entries.push(...entries);
    writeColdManifest(table, m);
    fault(o, 'manifest');
    const now = Date.now();
    writeCommit(table, {
      version,
      txn,
      operation: 'ALPHA ARCHIVE',
      parameters: { before: o.before, bucket: o.bucket, files: String(entries.length) },
      actions: entries.map((e) => ({
        remove: {
          path: e.add['path'] ?? e.path,
          deletionTimestamp: now,
          dataChange: false,
          extendedFileMetadata: true,
          partitionValues: { [PARTITION]: e.date },
          size: e.size,
        },
      })),
    });
    fault(o, 'committed');
    await settle(table, m, o, true);
    return { ...result, version };
  });
}

export async function restoreDataset(lake: string, dataset: string, o: RestoreOptions): Promise<MoveResult> {
  const table = tablePath(lake, dataset, true);
  return withLock(lockPath(table), `dataset "${dataset}"`, async () => {
    let m = readColdManifest(table);
    if (!m) return { dataset, files: 0, bytes: 0, rows: 0, version: tableVersion(table), finished: 0 };
    removeStaleDownloads(table, m);
    const finished = await settle(table, m, o);
    m = readColdManifest(table) ?? m;
    const chosen = m.entries.filter(
      (e) =>
        !e.pending && e.restored_at === undefined && (o.from === undefined || e.date >= o.from) && (o.to === undefined || e.date <= o.to),
    );
    const latest = tableVersion(table);
    const result = { dataset, files: 0, bytes: 0, rows: 0, version: latest, finished };
    if (chosen.length === 0) return result;
    for (const e of chosen)
      if (typeof e.path !== 'string' || isAbsolute(e.path) || e.path.split(/[\\/]/).includes('..'))
        throw new AlphaError(
          `dataset "${dataset}": the cold tier's manifest names the file ${JSON.stringify(e.path)}: expected a path inside the table's folder`,
        );
    const downloaded: string[] = [];
    try {
      await inParallel(chosen, UPLOADS_IN_FLIGHT, async (e) => {
        const local = join(table.dir, e.path);
        mkdirSync(dirname(local), { recursive: true });
        await o.store.getFile(e.bucket, e.key, local, { size: e.size, md5: e.md5 });
        downloaded.push(local);
        fault(o, 'downloaded-one');
      });
    } catch (err) {
      // Nothing is committed yet: the files this run brought back are still cold, so they go again.
      for (const f of downloaded) rmSync(f, { force: true });
      throw err;
    }
    for (const e of chosen) {
      result.files++;
      result.bytes += e.size;
      result.rows += Math.max(e.rows, 0);
    }
    fault(o, 'downloaded');
    const version = latest + 1;
    const txn = randomUUID();
    for (const e of chosen) e.pending = { op: 'restore', version, txn };
    writeColdManifest(table, m);
    fault(o, 'manifest');
    writeCommit(table, {
      version,
      txn,
      operation: 'ALPHA RESTORE',
      parameters: { files: String(chosen.length) },
      actions: chosen.map((e) => ({ add: { ...e.add, dataChange: false } })),
    });
    fault(o, 'committed');
    await settle(table, m, o, true);
    return { ...result, version };
  });
}

/**
 * Deletes the partial downloads (`FILE.PID.download`, ObjectStore.getFile) of a restore killed
 * mid-way. Called under the table's lock, so no download of this table is running: any there is stale.
 */
function removeStaleDownloads(table: TablePath, m: ColdManifest): void {
  const byFolder = new Map<string, Set<string>>();
  for (const e of m.entries) {
    if (typeof e.path !== 'string' || isAbsolute(e.path) || e.path.split(/[\\/]/).includes('..')) continue;
    const local = join(table.dir, e.path);
    const names = byFolder.get(dirname(local)) ?? new Set<string>();
    names.add(basename(local));
    byFolder.set(dirname(local), names);
  }
  for (const [folder, names] of byFolder) {
    let found: string[];
    try {
      found = readdirSync(folder);
    } catch {
      continue; // no folder: nothing was downloaded into it
    }
    for (const name of found) {
      const partial = /^(.+)\.\d+\.download$/.exec(name);
      if (partial && names.has(partial[1]!)) rmSync(join(folder, name), { force: true });
    }
  }
}

/**
 * Finishes the moves the manifest has under way: a pending entry whose commit exists is settled (an
 * archived file is cold from that version; a restored one is marked restored at it and its object is
 * released), one whose commit does not is rolled back (an archive's upload is forgotten; a restore's
 * download is deleted). Entries restored by an earlier run are dropped (a reader of a version before
 * that restore has had its run). Then the local copies of cold files and the released objects are
 * deleted. Returns how many entries and files it had to finish.
 */
const settled = ({ pending: _pending, ...e }: ColdEntry): ColdEntry => e;

async function settle(table: TablePath, m: ColdManifest, o: MoveOptions, afterCommit = false): Promise<number> {
  const step = (name: string): void => {
    if (afterCommit) fault(o, name);
  };
  let finished = 0;
  let changed = false;
  const kept: ColdEntry[] = [];
  for (const e of m.entries) {
    const p = e.pending;
    if (!p) {
      if (e.restored_at !== undefined && !afterCommit) changed = true;
      else kept.push(e);
      continue;
    }
    changed = true;
    finished++;
    const committed = isCommitted(table, p.version, p.txn);
    if (committed) m.since_version = Math.max(m.since_version, p.version);
    if (p.op === 'archive') {
      if (committed) kept.push({ ...settled(e), cold_from: p.version });
    } else if (committed) {
      kept.push({ ...settled(e), restored_at: p.version });
      m.released.push({ bucket: e.bucket, key: e.key });
    } else {
      rmSync(join(table.dir, e.path), { force: true });
      kept.push(settled(e));
    }
  }
  m.entries = kept;
  if (changed) writeColdManifest(table, m);
  step('settled');
  for (const e of m.entries) {
    const local = join(table.dir, e.path);
    if (e.restored_at !== undefined || !existsSync(local)) continue;
    rmSync(local);
    finished++;
    step('deleted-one');
  }
  if (m.released.length > 0) {
    await inParallel(m.released, UPLOADS_IN_FLIGHT, async (r) => {
      await o.store.delete(r.bucket, r.key);
      step('released-one');
    });
    m.released = [];
    writeColdManifest(table, m);
  }
  return finished;
}
