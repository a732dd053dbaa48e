/** source.replay-trades — replays the trades of a stored dataset in ts_known order, corrections included. */
import { z } from 'zod';
import { defineSource } from '../sdk/spec.ts';
import { decodeTrades, openReplay } from '../sdk/replay.ts';

const params = z.strictObject({
  dataset: z.string().min(1).default('trades').describe('Name of the trades dataset in the data folder.'),
  batch_size: z.number().int().min(1).max(1_000_000).default(8192).describe('Most records per emitted batch.'),
});

export const replayTrades = defineSource({
  type: 'source.replay-trades',
  summary: 'Replays stored trades (and their late corrections) in ts_known order; bad records become dead letters.',
  output: 'Trade',
  params,
  open: (p, ctx) => openReplay(p.dataset, p.batch_size, ctx, decodeTrades),
});
