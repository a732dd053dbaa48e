/**
 * model.linear — a fixed linear score of each symbol's features in a cross-section, with weights
 * named in the topology and nothing fitted: `{ ret_250: 1, ret_20: -1 }` is a momentum that skips
 * the last month, `{ ret_5: -1 }` a short-term reversal. A symbol with a NaN in a weighted feature
 * gets no prediction (counted as `missing`); a weight naming a feature the input lacks is refused.
 */
import { z } from 'zod';
import type { CrossSection, Prediction } from '../../schemas/types.generated.ts';
import { handle, on } from '../sdk/handle.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';

const inputs = definePorts({ cross_section: { schema: 'CrossSection', description: 'Features of the universe at a snapshot.' } });

const params = z.strictObject({
  weights: z
    .record(z.string().min(1), z.number().finite())
    .refine((w) => Object.keys(w).length > 0, 'expected at least one feature')
    .describe('Weight of each feature in the score, by feature name (e.g. { ret_20: 1 }).'),
});

export const linear = defineOperator({
  type: 'model.linear',
  summary: 'A fixed linear score of named features (no fitting), e.g. momentum or reversal.',
  inputs,
  output: 'Prediction',
  params,
  create:
    (p, ctx) =>
    ({ cross_section }) => {
      const names = Object.keys(p.weights);
      const missing = ctx.metrics.counter('missing');
      const score = (cs: CrossSection): Prediction[] => {
        const at = names.map((n) => cs.features.indexOf(n));
        const lacking = names.filter((_, k) => at[k]! < 0);
        if (lacking.length > 0) {
          ctx.deadLetter(cs, `no feature ${lacking.join(', ')} in the cross-section (it has ${cs.features.join(', ')})`);
          return [];
        }
        const width = cs.features.length;
        const out: Prediction[] = [];
        cs.symbols.forEach((symbol, i) => {
          let value = 0;
          for (let k = 0; k < names.length; k++) value += p.weights[names[k]!]! * cs.values[i * width + at[k]!]!;
          if (Number.isFinite(value)) out.push({ ts_event: cs.ts_event, ts_known: cs.ts_known, symbol, value, model: ctx.node });
          else missing.inc();
        });
        return out;
      };
      return handle<Prediction>(ctx, [on(cross_section, (batch, emit) => batch.forEach((cs) => emit(score(cs))))]);
    },
});
