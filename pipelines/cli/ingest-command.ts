/** `alpha data ingest FILE… --dataset NAME --format …`: CSV, Parquet and ITCH files into a lake dataset (docs/lake.md). */
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { AlphaError } from '../../lib/core/errors.ts';
import { nameProblem, nameRule } from '../../lib/core/names.ts';
import { DEFAULT_LAKE, lakeFolder, parseDay, parseInstant } from './lake-options.ts';

const FORMATS = ['quotes', 'trades', 'ohlcv', 'itch', 'fundamentals', 'corporate-actions'] as const;
const DEFAULT_REJECTS_DIR = 'out/ingest';

interface IngestOpts {
  dataset: string;
  format: string;
  lake: string;
  tz: string;
  dayTime: string;
  symbolMap?: string;
  rejects?: string;
  records?: string;
  date?: string;
}

export function registerIngestCommand(data: Command): void {
  const lake = data.commands.find((c) => c.name() === 'lake');
  lake
    ?.command('export')
    .description(
      'Write a dataset of the lake as a data folder that alpha backtest --data replays (manifest.json, DATASET/DATE.parquet per date of ts_known).',
    )
    .argument('<dataset>', 'dataset name')
    .requiredOption('--out <dir>', 'the data folder to write')
    .option('--lake <dir>', 'the lake folder (one Delta table per dataset)', lakeFolder, DEFAULT_LAKE)
    .option('--as-of <time>', 'what was known at this time (µs since the epoch or YYYY-MM-DDTHH:MM:SS[.ffffff]Z); default: the latest')
    .option('--overwrite', 'replace an existing non-empty --out whole (default: refuse it)')
    .action(async (dataset: string, opts: { out: string; lake: string; asOf?: string; overwrite?: boolean }) => {
      const { exportDataset } = await import('../data/lake-export.ts');
      const r = await exportDataset({
        lake: opts.lake,
        dataset,
        out: opts.out,
        ...(opts.asOf !== undefined ? { asOf: parseInstant('--as-of', opts.asOf) } : {}),
        ...(opts.overwrite ? { overwrite: true } : {}),
      });
      process.stderr.write(
        `exported "${dataset}" (${r.schema}, table version ${r.version}): ${r.rows} rows, ${r.symbols} symbols, ${r.dates} dates to ${opts.out}\n`,
      );
    });

  data
    .command('ingest')
    .description(
      'Ingest CSV, Parquet or ITCH 5.0 files into a dataset of the lake (its Delta table is created when missing); rows that cannot be read go to the reject file as file:line: reason, the others land; ingesting a file again adds nothing.',
    )
    .argument('<files...>', 'CSV (UTF-8, a header line) or Parquet files; ITCH 5.0 files with --format itch')
    .requiredOption('--dataset <name>', 'dataset name: a letter, then letters, digits, _ and -')
    .requiredOption(
      '--format <format>',
      'quotes, trades, ohlcv, fundamentals, corporate-actions (Quote, Trade, Bar, Fundamental, CorporateAction records) or itch',
    )
    .option('--lake <dir>', 'the lake folder (one Delta table per dataset)', lakeFolder, DEFAULT_LAKE)
    .option('--tz <zone>', 'IANA time zone of times written without Z or an offset', 'UTC')
    .option('--day-time <HH:MM>', 'time of day (in --tz) of a date written without one: when a daily row became known', '16:00')
    .option('--symbol-map <file>', 'CSV from,to: source symbols renamed as they are ingested')
    .option('--rejects <file>', `the reject file, written whole (default ${DEFAULT_REJECTS_DIR}/DATASET.rejects.txt)`)
    .option('--records <kind>', 'ITCH only: quotes (top-of-book changes, the default) or trades')
    .option('--date <date>', 'ITCH only: the session date YYYY-MM-DD (default: from a NASDAQ file name, MMDDYYYY…)')
    .action(async (files: string[], opts: IngestOpts) => {
      if (!(FORMATS as readonly string[]).includes(opts.format))
        throw new AlphaError(`--format is "${opts.format}": expected ${FORMATS.join(', ')}`);
      const problem = nameProblem(opts.dataset);
      if (problem) throw new AlphaError(`--dataset "${opts.dataset}" ${problem.replace(/ \(.*\)$/, '')}: expected ${nameRule()}`);
      const itch = opts.format === 'itch';
      if (!itch && (opts.records !== undefined || opts.date !== undefined))
        throw new AlphaError(
          `--${opts.records !== undefined ? 'records' : 'date'} is for --format itch only (the format is ${opts.format})`,
        );
      if (opts.records !== undefined && opts.records !== 'quotes' && opts.records !== 'trades')
        throw new AlphaError(`--records is "${opts.records}": expected quotes or trades`);
      const date = opts.date !== undefined ? parseDay('--date', opts.date) : undefined;
      const [{ timeParser, parseDayTime }, { readSymbolMap }, { ingestFiles }] = await Promise.all([
        import('../ingest/times.ts'),
        import('../ingest/symbol-map.ts'),
        import('../ingest/ingest.ts'),
      ]);
      const times = timeParser(opts.tz, parseDayTime(opts.dayTime));
      const symbols = opts.symbolMap !== undefined ? readSymbolMap(opts.symbolMap) : new Map<string, string>();
      let rejects = opts.rejects;
      /** The first folder made for the default reject file, if any: removed again (while empty) when the ingest fails. */
      let made: string | undefined;
      if (rejects === undefined) {
        if (!existsSync(DEFAULT_REJECTS_DIR)) made = mkdirSync(DEFAULT_REJECTS_DIR, { recursive: true });
        rejects = `${DEFAULT_REJECTS_DIR}/${opts.dataset}.rejects.txt`;
      }
      const r = await ingestFiles({
        lake: opts.lake,
        dataset: opts.dataset,
        files,
        format: opts.format as (typeof FORMATS)[number],
        times,
        symbols,
        rejects,
        ...(opts.records !== undefined ? { itchRecords: opts.records as 'quotes' | 'trades' } : {}),
        ...(date !== undefined ? { itchDate: date } : {}),
        onInsert: (rows) => process.stderr.write(`appending ${rows} rows to "${opts.dataset}"\n`),
      }).catch((err: unknown) => {
        // A refused ingest leaves no empty out/ingest/ behind (a reject file it wrote stays, with its folder).
        if (made !== undefined) removeEmpty(DEFAULT_REJECTS_DIR, made);
        throw err;
      });
      process.stderr.write(
        `ingested ${files.length} file(s) into "${opts.dataset}"${r.created ? ' (table created)' : ''}: ${r.rows} rows read, ` +
          `${r.added} added, ${r.skipped} already there, ${r.rejected} rejected (${rejects}); version ${r.before} → ${r.version}\n`,
      );
      if (r.rejected > 0) process.stderr.write(`alpha: warning: ${r.rejected} row(s) rejected: see ${rejects}\n`);
    });
}

/** Removes `dir` and its parents up to `top` (included) while they are empty. */
function removeEmpty(dir: string, top: string): void {
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
    if (d === resolve(top) || dirname(d) === d) return;
  }
}
