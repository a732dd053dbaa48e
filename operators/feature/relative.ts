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
      /** Group of each sector name (a symbol outside the universe is in sector ''). */
      const sectorCode = new Map<string, number>();
      let groupOf = new Int32Array(0);
      let sums = new Float64Array(0);
      let counts = new Int32Array(0);
      // The input's feature names are usually one array shared by every snapshot: its columns and
      // output names are worked out once for it.
      let layout: { features: readonly string[]; cols: number[]; names: string[] } | undefined;

      /** Appends `value − mean of its group` of each column of `cols` to `values`, at `at` of each row. */
      const add = (cs: CrossSection, cols: readonly number[], groups: number, values: number[], width: number, at: number): void => {
        const n = cs.symbols.length;
        const k = cs.features.length;
        for (let c = 0; c < cols.length; c++) {
          const col = cols[c]!;
          sums.fill(0, 0, groups);
          counts.fill(0, 0, groups);
          // Each group's sum adds its finite values in row order, as a sum per group over the rows does.
          for (let i = 0; i < n; i++) {
            const x = cs.values[i * k + col]!;
            if (!Number.isFinite(x)) continue;
            const g = groupOf[i]!;
            sums[g]! += x;
            counts[g]!++;
          }
          for (let i = 0; i < n; i++) {
            const g = groupOf[i]!;
            values[i * width + at + c] = counts[g]! > 0 ? cs.values[i * k + col]! - sums[g]! / counts[g]! : NaN;
          }
        }
      };

      const transform = (cs: CrossSection): CrossSection | undefined => {
        const k = cs.features.length;
        if (layout?.features !== cs.features) {
          const columns = chosen(p.columns, cs.features);
          const cols = columns.map((c) => cs.features.indexOf(c));
          const missing = columns.filter((_, i) => cols[i]! < 0);
          if (missing.length > 0) {
            ctx.deadLetter(cs, `columns not in the cross-section: ${missing.join(', ')} (columns: ${cs.features.join(', ')})`);
            return undefined;
          }
          const names = [
            ...cs.features,
            ...(p.market ? columns.map((c) => `${c}_mkt`) : []),
            ...(p.sector ? columns.map((c) => `${c}_sec`) : []),
          ];
          layout = { features: cs.features, cols, names };
        }
        const { cols, names } = layout;
        const n = cs.symbols.length;
        const width = names.length;
        if (groupOf.length < n) groupOf = new Int32Array(n);
        if (sums.length < n + 1) {
          sums = new Float64Array(n + 1);
          counts = new Int32Array(n + 1);
        }
        const values = new Array<number>(n * width);
        for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) values[i * width + j] = cs.values[i * k + j]!;
        let at = k;
        if (p.market) {
          groupOf.fill(0, 0, n);
          add(cs, cols, 1, values, width, at);
          at += cols.length;
        }
        if (p.sector) {
          let groups = 0;
          sectorCode.clear();
          for (let i = 0; i < n; i++) {
            const sector = sectorOf.get(cs.symbols[i]!) ?? '';
            let g = sectorCode.get(sector);
            if (g === undefined) sectorCode.set(sector, (g = groups++));
            groupOf[i] = g;
          }
          add(cs, cols, groups, values, width, at);
        }
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
