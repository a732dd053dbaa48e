/**
 * source.replay — replays a stored dataset (`--data DIR`) of quotes or trades in ts_known order. A
 * correction is a record with a later ts_known, so no operator sees it before then. Bad records
 * become dead letters. The output schema is the `schema` param's.
 */
import { z } from 'zod';
import { nameProblem, nameRule } from '../../lib/core/names.ts';
import { openReplay, REPLAYABLE } from '../sdk/replay.ts';
import { defineSource } from '../sdk/spec.ts';

const params = z.strictObject({
  dataset: z
    .string()
    .refine((name) => nameProblem(name) === undefined, { message: `a dataset name: ${nameRule()}` })
    .default('quotes')
    .describe('Name of the dataset in the data folder.'),
  schema: z.enum(REPLAYABLE).default('Quote').describe('Record type of the dataset, and so of the output: Quote or Trade.'),
  batch_size: z.number().int().min(1).max(1_000_000).default(8192).describe('Most records per emitted batch.'),
});

export const replay = defineSource({
  type: 'source.replay',
  summary: 'Replays a stored dataset of quotes or trades in ts_known order; bad records become dead letters.',
  output: { oneOf: REPLAYABLE, of: (p) => p.schema },
  params,
  open: (p, ctx) => openReplay(p.dataset, p.schema, p.batch_size, ctx),
});
