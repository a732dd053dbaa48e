/**
 * Out-of-sample quality of a model node's predictions: the information coefficient (IC), the
 * per-snapshot rank correlation between the predictions and the symbols' next returns, from the
 * snapshot the model scored to the next snapshot of the same session (what the label of
 * `alpha model train` measures).
 */
import type { CrossSection, Prediction } from '../../schemas/types.generated.ts';
import { pearson, ranks } from '../../lib/core/correlation.ts';

export interface IcReport {
  snapshots: number;
  /** Mean of the per-snapshot Spearman correlations. */
  ic_mean: number;
  ic_std: number;
  /** ic_mean / (ic_std / √snapshots). */
  ic_t: number;
  /** Share of snapshots with a positive IC. */
  hit_rate: number;
}

/** Pairs predictions with the next snapshot's prices, by ts_known, and summarises the IC. */
export function informationCoefficient(
  snapshots: readonly CrossSection[],
  predictions: readonly Prediction[],
  sameSession: (a: number, b: number) => boolean,
): IcReport {
  const byTime = new Map<number, Map<string, number>>();
  for (const p of predictions) {
    let m = byTime.get(p.ts_known);
    if (!m) byTime.set(p.ts_known, (m = new Map()));
    m.set(p.symbol, p.value);
  }
  const ics: number[] = [];
  for (let t = 0; t + 1 < snapshots.length; t++) {
    const now = snapshots[t]!;
    const next = snapshots[t + 1]!;
    const scores = byTime.get(now.ts_known);
    if (!scores || !sameSession(now.ts_known, next.ts_known)) continue;
    const later = new Map(next.symbols.map((s, i) => [s, next.prices[i]!]));
    const x: number[] = [];
    const y: number[] = [];
    now.symbols.forEach((s, i) => {
      const score = scores.get(s);
      const after = later.get(s);
      const before = now.prices[i]!;
      if (score === undefined || after === undefined || !(before > 0) || !(after > 0)) return;
      x.push(score);
      y.push(Math.log(after / before));
    });
    if (x.length >= 3) {
      const ic = pearson(ranks(x), ranks(y));
      if (Number.isFinite(ic)) ics.push(ic);
    }
  }
  const n = ics.length;
  const mean = n ? ics.reduce((a, b) => a + b, 0) / n : NaN;
  const std = n > 1 ? Math.sqrt(ics.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  return {
    snapshots: n,
    ic_mean: mean,
    ic_std: std,
    ic_t: mean / (std / Math.sqrt(n)),
    hit_rate: n ? ics.filter((v) => v > 0).length / n : NaN,
  };
}
