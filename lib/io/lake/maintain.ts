/**
 * Table maintenance through delta-rs: Z-order (files of each date clustered by symbol and time; the
 * older files stay in the log's earlier versions, so time travel still reaches them), vacuum (deletes
 * files no version within the retention needs, and files no commit ever named, such as those of an
 * append killed before its commit) and the table's facts.
 */
import { runLakeTool } from './lake-tool.ts';
import { lockPath, tablePath } from './layout.ts';
import { withLock } from './lock.ts';

export async function optimizeTable(lake: string, dataset: string): Promise<{ version: number; metrics: Record<string, unknown> }> {
  const table = tablePath(lake, dataset, true);
  return withLock(lockPath(table), `dataset "${dataset}"`, () =>
    runLakeTool('optimize', ['--table', table.dir, '--zorder', 'symbol,ts_event']),
  );
}

export async function vacuumTable(
  lake: string,
  dataset: string,
  options: { retainHours?: number; dryRun?: boolean },
): Promise<{ version: number; dry_run: boolean; files: string[]; missing: string[] }> {
  const table = tablePath(lake, dataset, true);
  const args = ['--table', table.dir];
  if (options.retainHours !== undefined) args.push('--retain-hours', String(options.retainHours));
  if (options.dryRun) args.push('--dry-run');
  return withLock(lockPath(table), `dataset "${dataset}"`, () => runLakeTool('vacuum', args));
}

export async function tableInfo(lake: string, dataset: string): Promise<Record<string, unknown>> {
  const table = tablePath(lake, dataset, true);
  return runLakeTool('info', ['--table', table.dir]);
}
