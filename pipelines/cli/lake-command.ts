/**
 * `alpha data query` and `alpha data lake create | append | info | vacuum`, `alpha data optimize`: the
 * Delta Lake warm tier (docs/lake.md). Queries and appends run on DuckDB in this process; creating,
 * Z-ordering and vacuuming a table run scripts/lake/lake.py (delta-rs) in the lake venv.
 */
import { existsSync, lstatSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { AlphaError } from '../../lib/core/errors.ts';
import { fileKind } from '../../lib/io/file-kind.ts';
import { DEFAULT_LAKE, type Format, integer, lakeFolder, parseDay, parseFormat, parseInstant, parseSymbolList } from './lake-options.ts';

const lakeOption = ['--lake <dir>', 'the lake folder (one Delta table per dataset)', lakeFolder, DEFAULT_LAKE] as const;

interface QueryOpts {
  lake: string;
  asOf?: string;
  version?: number;
  symbols?: string;
  from?: string;
  to?: string;
  allVersions?: boolean;
  format: string;
  out?: string;
  overwrite?: boolean;
  limit?: number;
}

function checkOut(out: string | undefined, format: Format, lake: string, overwrite: boolean): void {
  if (format === 'parquet' && out === undefined)
    throw new AlphaError('--format parquet: expected --out FILE.parquet (Parquet is not written to a terminal)');
  if (out === undefined) return;
  if (out.trim() === '') throw new AlphaError('--out is empty: expected the file to write, or no --out for the terminal');
  const dir = dirname(resolve(out));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new AlphaError(`--out ${out}: the folder ${dir} does not exist`);
  // lstat: a link (a dangling one too) is not replaced, whatever the format (as writeFileAtomically).
  const existing = lstatSync(out, { throwIfNoEntry: false });
  if (existing && !existing.isFile())
    throw new AlphaError(`--out ${out}: exists and is ${fileKind(existing)}: expected a new file, or a regular file to replace`);
  // As alpha itch simulate and alpha venue flow: a file already there is replaced only when asked.
  if (existsSync(out) && !overwrite) throw new AlphaError(`--out ${out} exists: pass --overwrite to replace it`);
  if (resolve(out).startsWith(`${resolve(lake)}/`))
    throw new AlphaError(`--out ${out}: inside the lake folder ${lake}: expected a file outside it`);
}

export function registerLakeCommands(data: Command): void {
  data
    .command('query')
    .description(
      'Read a dataset of the lake: by default the latest version of each record; --as-of T what was known at T (knowledge time), --version N the table after commit N (transaction time).',
    )
    .argument('<dataset>', 'dataset name (a table of the lake)')
    .option(...lakeOption)
    .option(
      '--as-of <time>',
      'knowledge time: µs since the epoch or YYYY-MM-DDTHH:MM:SS[.ffffff]Z; the latest version of each record with ts_known ≤ it',
    )
    .option('--version <n>', 'table version (Delta time travel)', integer('--version', 0, 2 ** 31))
    .option('--symbols <list>', 'only these symbols, comma-separated')
    .option('--from <date>', 'only records whose ts_event is on or after this UTC date (YYYY-MM-DD)')
    .option('--to <date>', 'only records whose ts_event is on or before this UTC date (YYYY-MM-DD)')
    .option('--all-versions', 'every row version (with --as-of: those known by then), not only the latest of each record')
    .option('--format <format>', 'table, csv, json (one object per line) or parquet (needs --out)', 'table')
    .option('--out <file>', 'write to this file (atomically) instead of stdout')
    .option('--overwrite', 'replace --out if it exists')
    .option('--limit <n>', 'at most this many rows', integer('--limit', 0, Number.MAX_SAFE_INTEGER))
    .action(async (dataset: string, opts: QueryOpts) => {
      const format = parseFormat(opts.format);
      const from = opts.from !== undefined ? parseDay('--from', opts.from) : undefined;
      const to = opts.to !== undefined ? parseDay('--to', opts.to) : undefined;
      if (from !== undefined && to !== undefined && from > to)
        throw new AlphaError(`--from ${from} is after --to ${to}: expected from ≤ to`);
      checkOut(opts.out, format, opts.lake, opts.overwrite ?? false);
      const query = {
        lake: opts.lake,
        dataset,
        ...(opts.asOf !== undefined ? { asOf: parseInstant('--as-of', opts.asOf) } : {}),
        ...(opts.version !== undefined ? { version: opts.version } : {}),
        ...(opts.symbols !== undefined ? { symbols: parseSymbolList(opts.symbols) } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        ...(opts.allVersions ? { allVersions: true } : {}),
        ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
      };
      const { queryLake, queryLakeToParquet } = await import('../../lib/io/lake/query.ts');
      if (format === 'parquet') {
        const r = await queryLakeToParquet(query, opts.out!);
        process.stderr.write(`wrote ${r.rows} rows of "${dataset}" (table version ${r.version}) to ${opts.out}\n`);
        return;
      }
      const [answer, { toCsv, toJsonLines, toTable }] = await Promise.all([queryLake(query), import('./lake-output.ts')]);
      const text = (format === 'csv' ? toCsv : format === 'json' ? toJsonLines : toTable)(answer.columns, answer.rows);
      if (opts.out !== undefined) {
        const { writeFileAtomically } = await import('../io/write-file.ts');
        writeFileAtomically('--out', opts.out, new TextEncoder().encode(text));
        process.stderr.write(`wrote ${answer.rows.length} rows of "${dataset}" (table version ${answer.version}) to ${opts.out}\n`);
      } else {
        process.stdout.write(text);
      }
    });

  data
    .command('optimize')
    .description('Z-order the files of each date of a dataset by (symbol, ts_event), through delta-rs; earlier versions stay readable.')
    .argument('<dataset>', 'dataset name')
    .option(...lakeOption)
    .action(async (dataset: string, opts: { lake: string }) => {
      const { optimizeTable } = await import('../../lib/io/lake/maintain.ts');
      const r = await optimizeTable(opts.lake, dataset);
      const m = r.metrics;
      process.stderr.write(
        `optimized "${dataset}": ${m['numFilesRemoved']} file(s) rewritten as ${m['numFilesAdded']} in ${m['partitionsOptimized']} partition(s); table version ${r.version}\n`,
      );
    });

  const lake = data.command('lake').description('The Delta Lake tables of the warm tier (docs/lake.md).');
  lake
    .command('create')
    .description('Create the Delta table of a dataset: the columns of a schema, partitioned by the UTC date of ts_known, append-only.')
    .argument('<dataset>', 'dataset name: a letter, then letters, digits, _ and -')
    .requiredOption('--schema <name>', 'the record schema (Quote, Trade, Bar)')
    .option(...lakeOption)
    .action(async (dataset: string, opts: { schema: string; lake: string }) => {
      const { createTable } = await import('../../lib/io/lake/create.ts');
      const r = await createTable(opts.lake, dataset, opts.schema);
      process.stderr.write(
        `created "${dataset}" (${opts.schema}) at ${r.dir}: version ${r.version}, protocol reader ${r.min_reader_version} / writer ${r.min_writer_version}\n`,
      );
    });

  lake
    .command('append')
    .description("Append Parquet files with the fields of the dataset's schema (one commit; rows the table holds already are skipped).")
    .argument('<dataset>', 'dataset name')
    .argument('<files...>', 'Parquet files')
    .option(...lakeOption)
    .action(async (dataset: string, files: string[], opts: { lake: string }) => {
      const { appendFiles } = await import('../../lib/io/lake/append.ts');
      const r = await appendFiles(opts.lake, dataset, files, {
        onInsert: (rows) => process.stderr.write(`appending ${rows} rows to "${dataset}"\n`),
      });
      process.stderr.write(`appended ${r.added} rows to "${dataset}" (${r.skipped} already there): version ${r.before} → ${r.version}\n`);
    });

  lake
    .command('info')
    .description("Print a dataset's table as JSON: version, protocol, partition columns, files, history.")
    .argument('<dataset>', 'dataset name')
    .option(...lakeOption)
    .action(async (dataset: string, opts: { lake: string }) => {
      const { tableInfo } = await import('../../lib/io/lake/maintain.ts');
      process.stdout.write(`${JSON.stringify(await tableInfo(opts.lake, dataset), null, 2)}\n`);
    });

  lake
    .command('vacuum')
    .description(
      "Delete the files of a dataset that no version within the retention needs, and those no commit names (an interrupted append's).",
    )
    .argument('<dataset>', 'dataset name')
    .option(...lakeOption)
    .option(
      '--retain-hours <n>',
      "keep what versions of the last N hours need (default: the table's, 168)",
      integer('--retain-hours', 0, 1_000_000),
    )
    .option('--dry-run', 'list the files, delete nothing')
    .action(async (dataset: string, opts: { lake: string; retainHours?: number; dryRun?: boolean }) => {
      const { vacuumTable } = await import('../../lib/io/lake/maintain.ts');
      const r = await vacuumTable(opts.lake, dataset, {
        ...(opts.retainHours !== undefined ? { retainHours: opts.retainHours } : {}),
        ...(opts.dryRun ? { dryRun: true } : {}),
      });
      for (const f of r.files) process.stdout.write(`${f}\n`);
      const gone = r.missing.length > 0 ? `; ${r.missing.length} more the log names were already gone` : '';
      process.stderr.write(`${r.dry_run ? 'would delete' : 'deleted'} ${r.files.length} file(s) of "${dataset}"${gone}\n`);
    });
}
