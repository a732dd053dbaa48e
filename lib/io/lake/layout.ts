/**
 * The lake folder: one Delta table per dataset, `LAKE/DATASET/` (its `_delta_log/` and one folder per
 * `date=YYYY-MM-DD` partition), and `LAKE/.locks/DATASET.lock` for the writers. A dataset name is an
 * identifier, and the table folder must resolve, after symlinks, inside the lake folder.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AlphaError } from '../../core/errors.ts';
import { nameProblem, nameRule } from '../../core/names.ts';

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
  return { lake: root, dataset, dir };
}

export function lockPath(table: TablePath): string {
  return join(table.lake, '.locks', `${table.dataset}.lock`);
}
