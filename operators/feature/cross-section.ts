/**
 * feature.cross-section — the bridge from tick rate to rebalance rate: keeps the latest feature vector
 * of every symbol from each input and, on an event-time timer every N minutes of the session, emits a
 * snapshot of the universe with the latest bar close as each symbol's price.
 */
import { z } from 'zod';
import { AlphaError } from '../../lib/core/errors.ts';
import type { Bar, CrossSection, FeatureVector } from '../../schemas/types.generated.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import { handle, on, type Emit } from '../sdk/handle.ts';
import { everySession, MINUTE } from '../sdk/timers.ts';

const inputs = definePorts({
  features: {
    schema: 'FeatureVector',
    variadic: true,
    description: 'Per-symbol feature vectors; their columns are concatenated in input order.',
  },
  bars: { schema: 'Bar', description: 'Bars, for the price of each symbol at the snapshot.' },
});

const params = z.strictObject({
  every_minutes: z.number().int().min(1).max(390).default(15).describe('Minutes between snapshots.'),
  first_after_minutes: z.number().int().min(0).max(390).default(30).describe('Minutes after the open of the first snapshot of a session.'),
  max_age_minutes: z.number().int().min(1).default(5).describe('Features older than this at the snapshot count as missing (NaN).'),
});

export const crossSection = defineOperator({
  type: 'feature.cross-section',
  summary: 'Snapshots the latest per-symbol features of the universe every N minutes.',
  inputs,
  output: 'CrossSection',
  params,
  features: (_p, upstream) => [...upstream],
  create:
    (p, ctx) =>
    ({ features, bars }) => {
      const widths = (ctx.inputs['features'] ?? []).map((i) => i.features.length);
      const offsets = widths.map((_, k) => widths.slice(0, k).reduce((a, b) => a + b, 0));
      const names = (ctx.inputs['features'] ?? []).flatMap((i) => i.features);
      const latest = widths.map(() => new Map<string, FeatureVector>());
      const prices = new Map<string, number>();
      const universe = ctx.universe.map((u) => u.symbol);
      // Its snapshots are of the universe: with none, it would never emit one, and the graph after it
      // would decide nothing, silently.
      if (universe.length === 0)
        throw new AlphaError(
          `feature.cross-section ${ctx.node}: the run has no universe, so no snapshot would ever hold a symbol: expected a data folder whose manifest names one (the topology's data:, or --data DIR)`,
        );
      const maxAge = p.max_age_minutes * MINUTE;

      const snapshot = (at: number, emit: Emit<CrossSection>): void => {
        const symbols: string[] = [];
        const values: number[] = [];
        const px: number[] = [];
        for (const symbol of universe) {
          const price = prices.get(symbol);
          if (price === undefined) continue;
          symbols.push(symbol);
          px.push(price);
          // The row is written in place: NaN, then each input's latest vector where it is fresh enough.
          const row = values.length;
          for (let j = 0; j < names.length; j++) values.push(NaN);
          for (let k = 0; k < latest.length; k++) {
            const v = latest[k]!.get(symbol);
            if (v === undefined || !(at - v.ts_known <= maxAge)) continue;
            const from = row + offsets[k]!;
            for (let j = 0; j < widths[k]!; j++) values[from + j] = v.values[j] ?? NaN;
          }
        }
        if (symbols.length > 0) emit([{ ts_event: at, ts_known: at, symbols, features: names, values, prices: px }]);
      };
      return handle<CrossSection>(
        ctx,
        [
          ...features.map((stream, k) =>
            on(stream, (batch: readonly FeatureVector[]) => {
              const map = latest[k]!;
              for (const v of batch) map.set(v.symbol, v);
            }),
          ),
          on(bars, (batch: readonly Bar[]) => {
            for (const b of batch) prices.set(b.symbol, b.close);
          }),
        ],
        { start: (emit) => everySession(ctx, p.every_minutes * MINUTE, p.first_after_minutes * MINUTE, (at) => snapshot(at, emit)) },
      );
    },
});
