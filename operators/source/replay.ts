/**
 * source.replay — replays the quotes of a stored dataset (`--data DIR`) in ts_known order. A correction
 * is a record with a later ts_known, so no operator sees it before then. Bad records become dead letters.
 */
import { z } from 'zod';
import { defineSource } from '../sdk/spec.ts';
import { decodeQuotes, openReplay } from '../sdk/replay.ts';

const params = z.strictObject({
  dataset: z.string().min(1).default('quotes').describe('Name of the quotes dataset in the data folder.'),
  batch_size: z.number().int().min(1).max(1_000_000).default(8192).describe('Most records per emitted batch.'),
});

export const replay = defineSource({
  type: 'source.replay',
  summary: 'Replays stored quotes in ts_known order; bad records become dead letters.',
  output: 'Quote',
  params,
  open: (p, ctx) => openReplay(p.dataset, p.batch_size, ctx, decodeQuotes),
});
