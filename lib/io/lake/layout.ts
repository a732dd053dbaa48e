/**
 * The lake folder: one Delta table per dataset, `LAKE/DATASET/` (its `_delta_log/` and one folder per
 * `date=YYYY-MM-DD` partition), and `LAKE/.locks/DATASET.lock` for the writers. A dataset name is an
 * identifier, and the table folder must resolve, after symlinks, inside the lake folder; the files its
 * log names, inside the table folder (table-files.ts).
 */
import { existsSync, lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AlphaError } from '../../core/errors.ts';
import { nameProblem, nameRule } from '../../core/names.ts';
import { checkTableFiles } from './table-files.ts';
import { fileKind } from '../file-kind.ts';

/** The partition column: the UTC date of `ts_known`, the day a record became known. */
export const PARTITION = 'date';

export interface TablePath {
  lake: string;
  dataset: string;
  /** The table folder (absolute). */
  dir: string;
}

/** The table of `dataset` in `lake`; `mustExist` refuses a lake folder or table that is not there. */
export function tablePath(lake: string, dataset: string, mustExist: boolean): TablePath {
  const problem = nameProblem(dataset);
  if (problem) throw new AlphaError(`dataset "${dataset}" ${problem.replace(/ \(.*\)$/, '')}: expected ${nameRule()}`);
  const root = resolve(lake);
  if (existsSync(root) && !statSync(root).isDirectory()) throw new AlphaError(`--lake ${lake}: not a folder`);
  const dir = join(root, dataset);
  if (existsSync(dir)) {
    const rel = relative(realpathSync(root), realpathSync(dir));
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
      throw new AlphaError(`dataset "${dataset}": ${dir} resolves to ${realpathSync(dir)}, outside the lake folder ${lake}`);
  }
  if (mustExist && !existsSync(join(dir, '_delta_log')))
    throw new AlphaError(
      existsSync(root)
        ? `dataset "${dataset}": no Delta table at ${dir} (create it with alpha data lake create ${dataset} --schema NAME)`
        : `--lake ${lake}: no such folder`,
    );
  if (!mustExist) return { lake: root, dataset, dir };
  checkLogEntries(dataset, join(dir, '_delta_log'));
  const table = { lake: root, dataset, dir };
  checkTableFiles(table);
  return table;
}

/** The log's own files: commits, checkpoints, checksums and the last-checkpoint pointer. */
const LOG_FILE = /^(\d{20}\.(json|crc|checkpoint(\.\d+\.\d+)?\.parquet)|_last_checkpoint)$/;

/**
 * Refuses a log whose commit, checkpoint or checksum is not a regular file: delta-rs and DuckDB pass
 * over a FIFO or a folder at a commit's name and read the version before it as the latest, and a
 * symlink would take the log's reads outside the table.
 */
function checkLogEntries(dataset: string, log: string): void {
  if (!lstatSync(log).isDirectory())
    throw new AlphaError(`dataset "${dataset}": ${log} is not a folder (a Delta table's log is one, not a link to one)`);
  for (const e of readdirSync(log, { withFileTypes: true })) {
    if (e.isFile() || !LOG_FILE.test(e.name)) continue;
    throw new AlphaError(`dataset "${dataset}": ${join(log, e.name)} is ${fileKind(e)}; each entry of a Delta log must be a regular file`);
  }
}

export function lockPath(table: TablePath): string {
  return join(table.lake, '.locks', `${table.dataset}.lock`);
}
