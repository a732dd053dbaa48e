/**
 * Measures the planted alpha's information coefficient at several strengths and fits the curve
 * `IC ≈ IC_SLOPE · k − IC_CURVE · k²` that `alpha data generate --ic` inverts (pipelines/data/market-model.ts,
 * where the IC is defined). Runs the market model's price path only (no quotes or trades are drawn).
 *   node --import tsx scripts/data/calibrate-ic.ts [--symbols 400] [--days 40] [--seed 7] [--strengths 0.1,0.3,0.6,1,1.2]
 */
import { parseArgs } from 'node:util';
import { spearman } from '../../lib/core/correlation.ts';
import { Rng } from '../../lib/core/rng.ts';
import { SESSION_MINUTES } from '../../pipelines/data/calendar.ts';
import {
  drawUniverse,
  marketFactor,
  overnightMarket,
  SECTORS,
  sectorFactor,
  seasonality,
  SymbolPath,
} from '../../pipelines/data/market-model.ts';

const HORIZON = 15;
const FIRST = 30;

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
  const root = new Rng(Number(values.seed));
  const paths = drawUniverse(root.fork('universe'), symbols).map((p) => new SymbolPath(p, root.fork(p.symbol)));
  const rng = root.fork('market');
  const ics: number[] = [];
  for (let d = 0; d < days; d++) {
    if (d > 0) {
      const gap = overnightMarket(rng);
      for (const p of paths) p.overnight(rng, gap);
    }
    const signals: number[][] = [];
    const returns: number[][] = [];
    for (let m = 0; m < SESSION_MINUTES; m++) {
      const market = marketFactor(rng, m);
      const sectors = SECTORS.map(() => sectorFactor(rng, m));
      signals.push(paths.map((p) => p.signal(seasonality(m))));
      returns.push(paths.map((p) => p.step(rng, strength, m, market, sectors[p.params.sector]!)));
    }
    for (let m = FIRST; m + HORIZON <= SESSION_MINUTES; m += HORIZON) {
      const ahead = paths.map((_, i) => returns.slice(m, m + HORIZON).reduce((sum, r) => sum + r[i]!, 0));
      ics.push(spearman(signals[m]!, ahead));
    }
  }
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
