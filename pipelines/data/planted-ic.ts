/**
 * The planted alpha's information coefficient as market-model.ts defines it, measured on the model's
 * price paths alone (no quotes or trades drawn): per snapshot (minutes 30, 45, … of each session), the
 * Spearman correlation across symbols of the planted signal with each symbol's total log return over
 * the next 15 minutes. `scripts/data/calibrate-ic.ts` fits `--ic`'s curve with it; a test checks the
 * generator realises the IC it is asked for.
 */
import { spearman } from '../../lib/core/correlation.ts';
import { Rng } from '../../lib/core/rng.ts';
import { SESSION_MINUTES } from './calendar.ts';
import { drawUniverse, marketFactor, overnightMarket, SECTORS, sectorFactor, seasonality, SymbolPath } from './market-model.ts';

const HORIZON = 15;
const FIRST = 30;

/** The IC of each snapshot of `days` sessions of `symbols` paths at `strength`, in time order. */
export function plantedICs(strength: number, symbols: number, days: number, seed: number): number[] {
  const root = new Rng(seed);
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
  return ics;
}
