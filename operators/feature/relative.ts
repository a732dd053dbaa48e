/**
 * feature.relative — market- and sector-relative variants of chosen columns of a cross-section:
 * each value minus the cross-sectional mean, and minus the mean of its sector.
 */
import { z } from 'zod';
import type { CrossSection } from '../../schemas/types.generated.ts';
import { defineOperator, definePorts } from '../sdk/spec.ts';
import { handle, on } from '../sdk/handle.ts';

const inputs = definePorts({ cross_section: { schema: 'CrossSection', description: 'The universe snapshot.' } });

const params = z.strictObject({
  columns: z
    .array(z.string().min(1))
    .min(1)
    .default(['ret_5', 'ret_15', 'ret_30', 'ret_60'])
    .describe('Columns to add relative variants of; `["*"]` means every column of the input.'),
  market: z.boolean().default(true).describe('Add `<column>_mkt`: minus the cross-sectional mean.'),
  sector: z.boolean().default(true).describe("Add `<column>_sec`: minus the mean of the symbol's sector."),
});

export const relative = defineOperator({
  type: 'feature.relative',
  summary: 'Adds market- and sector-relative variants of chosen cross-section columns.',
  inputs,
  output: 'CrossSection',
  params,
  features: (p, upstream) => {
    const columns = chosen(p.columns, upstream);
    return [...upstream, ...(p.market ? columns.map((c) => `${c}_mkt`) : []), ...(p.sector ? columns.map((c) => `${c}_sec`) : [])];
  },
  create:
    (p, ctx) =>
    ({ cross_section }) => {
      const sectorOf = new Map(ctx.universe.map((u) => [u.symbol, u.sector]));
      const transform = (cs: CrossSection): CrossSection | undefined => {
        const k = cs.features.length;
        const columns = chosen(p.columns, cs.features);
        const cols = columns.map((c) => cs.features.indexOf(c));
        const missing = columns.filter((_, i) => cols[i]! < 0);
        if (missing.length > 0) {
          ctx.deadLetter(cs, `columns not in the cross-section: ${missing.join(', ')} (columns: ${cs.features.join(', ')})`);
          return undefined;
        }
        const n = cs.symbols.length;
        const sectors = cs.symbols.map((s) => sectorOf.get(s) ?? '');
        const extra: number[][] = cs.symbols.map(() => []);
        const add = (group: (i: number) => string): void => {
          for (const c of cols) {
            const sums = new Map<string, { sum: number; count: number }>();
            for (let i = 0; i < n; i++) {
              const x = cs.values[i * k + c]!;
              if (!Number.isFinite(x)) continue;
              const g = sums.get(group(i)) ?? { sum: 0, count: 0 };
              g.sum += x;
              g.count++;
              sums.set(group(i), g);
            }
            for (let i = 0; i < n; i++) {
              const g = sums.get(group(i));
              extra[i]!.push(g && g.count > 0 ? cs.values[i * k + c]! - g.sum / g.count : NaN);
            }
          }
        };
        if (p.market) add(() => '');
        if (p.sector) add((i) => sectors[i]!);
        const width = k + extra[0]!.length;
        const values = new Array<number>(n * width);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < k; j++) values[i * width + j] = cs.values[i * k + j]!;
          extra[i]!.forEach((v, j) => (values[i * width + k + j] = v));
        }
        const names = [
          ...cs.features,
          ...(p.market ? columns.map((c) => `${c}_mkt`) : []),
          ...(p.sector ? columns.map((c) => `${c}_sec`) : []),
        ];
        return { ...cs, features: names, values };
      };
      return handle<CrossSection>(ctx, [
        on(cross_section, (batch, emit) => emit(batch.map(transform).filter((c): c is CrossSection => c !== undefined))),
      ]);
    },
});

/** The columns a `columns` param names: all of them for `["*"]`. */
function chosen(columns: readonly string[], available: readonly string[]): readonly string[] {
  return columns.length === 1 && columns[0] === '*' ? available : columns;
}
