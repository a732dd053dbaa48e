/**
 * source.replay — replays a stored dataset of quotes, trades or book depth in ts_known order: from the run's data
 * folder (`--data DIR`), or from its lake (`store: lake`, a Delta table of `--lake DIR`), as known at
 * `as_of` and in table `version` when given. A correction is a record with a later ts_known, so no
 * operator sees it before then. Bad records become dead letters. The output schema is the `schema` param's.
 */
import { z } from 'zod';
import { INSTANT_HINT, instantOf } from '../../lib/core/instant.ts';
import { nameProblem, nameRule } from '../../lib/core/names.ts';
import { openReplay, REPLAYABLE } from '../sdk/replay.ts';
import { defineSource } from '../sdk/spec.ts';

const params = z
  .strictObject({
    dataset: z
      .string()
      .refine((name) => nameProblem(name) === undefined, { message: `a dataset name: ${nameRule()}` })
      .default('quotes')
      .describe('Name of the dataset in the data folder (or of its table in the lake).'),
    schema: z
      .enum(REPLAYABLE)
      .default('Quote')
      .describe('Record type of the dataset, and so of the output: Quote, Trade or BookDepth (levels beyond the top).'),
    batch_size: z.number().int().min(1).max(1_000_000).default(8192).describe('Most records per emitted batch.'),
    store: z
      .enum(['files', 'lake'])
      .default('files')
      .describe("Where the dataset is read from: the data folder's Parquet files, or the lake's Delta table of that name (--lake DIR)."),
    as_of: z
      .union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().refine((t) => instantOf(t) !== undefined, INSTANT_HINT)])
      .optional()
      .describe(
        'Lake only: knowledge time T, µs since the epoch or YYYY-MM-DDTHH:MM:SS[.ffffff]Z; only what was known by T (rows with ts_known ≤ T). Default: everything.',
      ),
    version: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("Lake only: the table version to read (Delta time travel). Default: the table's latest."),
  })
  .refine((p) => p.store === 'lake' || (p.as_of === undefined && p.version === undefined), {
    message: 'as_of and version read the lake: set store: lake',
    path: ['store'],
  });

export const replay = defineSource({
  type: 'source.replay',
  summary:
    'Replays a stored dataset of quotes, trades or book depth (data folder or lake) in ts_known order; bad records become dead letters.',
  output: { oneOf: REPLAYABLE, of: (p) => p.schema },
  params,
  open: (p, ctx) =>
    openReplay(
      p.dataset,
      p.schema,
      p.batch_size,
      ctx,
      p.store === 'lake'
        ? { store: 'lake', asOf: typeof p.as_of === 'string' ? instantOf(p.as_of) : p.as_of, version: p.version }
        : undefined,
    ),
});
