/**
 * source.bar-replay — replays a stored dataset of bars (`--data DIR`, e.g. daily closes ingested into
 * the lake and exported with `alpha data lake export`) in ts_known order. Bars out of order, of a
 * symbol outside the universe, or whose prices are not positive with low ≤ open, close ≤ high become
 * dead letters. (source.replay takes quotes and trades; this takes the Bar schema until it reads the lake.)
 */
import { z } from 'zod';
import type { ColumnBatch } from '../../lib/core/column-batch.ts';
import { nameProblem, nameRule } from '../../lib/core/names.ts';
import { isPrice, PRICE_RULE } from '../../lib/core/prices.ts';
import type { Bar } from '../../schemas/types.generated.ts';
import { defineSource, type SourceRecord } from '../sdk/spec.ts';

const params = z.strictObject({
  dataset: z
    .string()
    .refine((name) => nameProblem(name) === undefined, { message: `a dataset name: ${nameRule()}` })
    .default('bars')
    .describe('Name of the dataset of bars in the data folder.'),
  batch_size: z.number().int().min(1).max(1_000_000).default(8192).describe('Most bars per emitted batch.'),
});

/** Why a bar cannot be replayed, or undefined. */
export function barProblem(b: Bar): string | undefined {
  const prices = [b.open, b.high, b.low, b.close];
  if (!prices.every(isPrice)) return `bad price: open ${b.open}, high ${b.high}, low ${b.low}, close ${b.close} (${PRICE_RULE})`;
  if (b.low > Math.min(b.open, b.close) || b.high < Math.max(b.open, b.close))
    return `low ${b.low} / high ${b.high} do not hold open ${b.open} and close ${b.close}`;
  if (!(b.volume >= 0)) return `bad volume ${b.volume}`;
  return undefined;
}

export const barReplay = defineSource({
  type: 'source.bar-replay',
  summary: 'Replays a stored dataset of bars in ts_known order; bad or out-of-order bars become dead letters.',
  output: 'Bar',
  params,
  open: (p, ctx) => {
    const files = ctx.openDataset(p.dataset, 'Bar');
    const universe = new Set(ctx.universe.map((u) => u.symbol));
    let last = -Infinity;
    // The runner merges sources by (ts_known, seq): bars carry no seq, so each gets its place in the file.
    let seq = 0;
    let pending: (Bar & SourceRecord)[] = [];
    let offset = 0;
    const keep = (batch: ColumnBatch<Bar>): (Bar & SourceRecord)[] => {
      const kept: (Bar & SourceRecord)[] = [];
      for (let i = batch.start; i < batch.end; i++) {
        const bar = batch.record(i);
        const why =
          bar.ts_known < last
            ? `out of order: ts_known ${bar.ts_known} after ${last}`
            : !universe.has(bar.symbol)
              ? `unknown symbol "${bar.symbol}": not in the dataset's universe`
              : barProblem(bar);
        if (why) ctx.deadLetter(bar, why);
        else {
          last = bar.ts_known;
          kept.push({ ...bar, seq: ++seq });
        }
      }
      return kept;
    };
    return {
      async next() {
        while (offset >= pending.length) {
          const batch = await files.next();
          if (!batch) return null;
          pending = keep(batch);
          offset = 0;
        }
        const out = pending.slice(offset, offset + p.batch_size);
        offset += out.length;
        return out;
      },
      close: () => files.close(),
    };
  },
});
