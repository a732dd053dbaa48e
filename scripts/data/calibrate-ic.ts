/**
 * Measures the planted alpha's information coefficient at several strengths and fits the curve
 * `IC ≈ IC_SLOPE · k − IC_CURVE · k²` that `alpha data generate --ic` inverts (pipelines/data/market-model.ts,
 * where the IC is defined; measured by pipelines/data/planted-ic.ts).
 *   node --import tsx scripts/data/calibrate-ic.ts [--symbols 400] [--days 40] [--seed 7] [--strengths 0.1,0.3,0.6,1,1.2]
 */
import { parseArgs } from 'node:util';
import { plantedICs } from '../../pipelines/data/planted-ic.ts';

const { values } = parseArgs({
  options: {
    symbols: { type: 'string', default: '400' },
    days: { type: 'string', default: '40' },
    seed: { type: 'string', default: '7' },
    strengths: { type: 'string', default: '0.1,0.3,0.6,1,1.2' },
  },
});
const symbols = Number(values.symbols);
const days = Number(values.days);
const strengths = values.strengths.split(',').map(Number);

function meanIC(strength: number): { ic: number; se: number } {
  const ics = plantedICs(strength, symbols, days, Number(values.seed));
  const ic = ics.reduce((a, b) => a + b, 0) / ics.length;
  const sd = Math.sqrt(ics.reduce((a, b) => a + (b - ic) ** 2, 0) / (ics.length - 1));
  return { ic, se: sd / Math.sqrt(ics.length) };
}

const points = strengths.map((k) => ({ k, ...meanIC(k) }));
for (const p of points) process.stdout.write(`strength ${p.k}: IC ${p.ic.toFixed(4)} ± ${p.se.toFixed(4)}\n`);
// Least squares of IC = a·k − b·k² (no intercept: no strength, no IC).
const s = (f: (k: number, ic: number) => number): number => points.reduce((sum, p) => sum + f(p.k, p.ic), 0);
const [k2, k3, k4, ick, ick2] = [s((k) => k * k), s((k) => k ** 3), s((k) => k ** 4), s((k, ic) => k * ic), s((k, ic) => k * k * ic)];
const det = k2 * k4 - k3 * k3;
const a = (ick * k4 - ick2 * k3) / det;
const b = -(k2 * ick2 - k3 * ick) / det;
process.stdout.write(`fit: IC ≈ ${a.toFixed(4)}·k − ${b.toFixed(4)}·k²\n`);
