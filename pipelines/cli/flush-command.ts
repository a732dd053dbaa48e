/** `alpha data flush --date D`: one day of the Redis hot tier into the lake's Delta tables, then out of Redis (docs/lake.md). */
import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import type { FlushResult } from '../data/flush.ts';
import { AlphaError } from '../../lib/core/errors.ts';
import { nameProblem, nameRule } from '../../lib/core/names.ts';
import { DEFAULT_LAKE, lakeFolder, parseDay } from './lake-options.ts';

interface FlushOpts {
  date: string;
  dataset?: string[];
  lake: string;
  redis?: string;
}

export function registerFlushCommand(data: Command): void {
  data
    .command('flush')
    .description(
      "Move one UTC day of the Redis hot tier into the lake: each dataset's entries of the day appended to its Delta table (created when missing) in one commit, checked there, recorded in LAKE/.flush/DATASET/DATE.json, then removed from Redis. Crash-safe and idempotent: a rerun completes an interrupted flush, and a second run adds nothing.",
    )
    .requiredOption('--date <date>', 'the UTC day YYYY-MM-DD (of the entry ids: ts_known)')
    .option(
      '--dataset <name>',
      'a dataset to flush (repeatable; default: every dataset in Redis that can be a lake table)',
      (v: string, p: string[] | undefined) => [...(p ?? []), v],
    )
    .option('--lake <dir>', 'the lake folder (one Delta table per dataset)', lakeFolder, DEFAULT_LAKE)
    .option(
      '--redis <url>',
      'the Redis server, redis://HOST:PORT[/DB] (default: $REDIS_URL or redis://127.0.0.1:6379); login from ALPHA_REDIS_USER and ALPHA_REDIS_PASSWORD',
    )
    .action(async (opts: FlushOpts) => {
      const date = parseDay('--date', opts.date);
      for (const name of opts.dataset ?? []) {
        const problem = nameProblem(name);
        if (problem) throw new AlphaError(`--dataset "${name}" ${problem.replace(/ \(.*\)$/, '')}: expected ${nameRule()}`);
      }
      const [{ DEFAULT_REDIS_URL, openRedis }, { flushDay }] = await Promise.all([
        import('../../lib/io/redis/connect.ts'),
        import('../data/flush.ts'),
      ]);
      const url = opts.redis ?? process.env['REDIS_URL'] ?? DEFAULT_REDIS_URL;
      if (existsSync(opts.lake) && !statSync(opts.lake).isDirectory()) throw new AlphaError(`--lake ${opts.lake}: not a folder`);
      const redis = await openRedis(url, 'data flush');
      try {
        // Each dataset's line as it is flushed: one that fails later does not hide what was done.
        const report = (r: FlushResult): void => {
          if (r.rows === 0) {
            const e = r.earlier;
            process.stderr.write(
              `"${r.dataset}" ${date}: nothing in Redis${e ? ` (flushed before: ${e.rows} records, table version ${e.version}, ${e.state})` : ''}\n`,
            );
            return;
          }
          process.stderr.write(
            `"${r.dataset}" ${date}: ${r.rows} records${r.created ? ' (table created)' : ''}, ${r.added} added, ${r.skipped} already there, ` +
              `table version ${r.version}; ${r.removed} entries removed from Redis\n`,
          );
          if (r.undecodable > 0)
            process.stderr.write(
              `alpha: warning: "${r.dataset}" ${date}: ${r.undecodable} entries that do not decode as ${r.schema} were left in Redis (${
                r.undecodable > r.undecodable_entries.length ? `the first ${r.undecodable_entries.length}: ` : ''
              }${r.undecodable_entries.map((e) => `${e.stream} ${e.id}`).join(', ')})\n`,
            );
        };
        const results = await flushDay(redis, {
          lake: opts.lake,
          date,
          ...(opts.dataset !== undefined ? { datasets: opts.dataset } : {}),
          onDataset: (dataset, rows) => process.stderr.write(`flushing ${rows} records of "${dataset}" for ${date}\n`),
          onResult: report,
        });
        if (results.length === 0) process.stderr.write(`no dataset in Redis to flush\n`);
      } finally {
        redis.disconnect();
      }
    });
}
