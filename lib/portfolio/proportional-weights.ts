/**
 * Dollar-neutral weights proportional to an alpha, scaled to a gross leverage target and capped per
 * name: the sizing rule of `portfolio.proportional`.
 */

/** Dollar-neutral weights ∝ alpha with Σ|w| ≤ gross (= gross when the caps allow) and |w| ≤ cap. */
export function proportionalWeights(alpha: readonly number[], gross: number, cap: number): number[] {
  const n = alpha.length;
  if (n < 2) return alpha.map(() => 0);
  // Work on alpha / max|alpha|, so tiny (even denormal) inputs keep full precision; weights do not
  // depend on the alpha's scale anyway. A spread lost in rounding is no signal.
  const scale = Math.max(...alpha.map(Math.abs));
  if (!(scale > 0) || !Number.isFinite(scale)) return alpha.map(() => 0);
  const unit = alpha.map((a) => a / scale);
  const mean = unit.reduce((a, b) => a + b, 0) / n;
  let w = unit.map((a) => a - mean);
  if (Math.max(...w.map(Math.abs)) <= 1e-12) return alpha.map(() => 0);
  for (let iter = 0; iter < 50; iter++) {
    const abs = w.reduce((a, b) => a + Math.abs(b), 0);
    if (abs === 0) return w.map(() => 0);
    w = w.map((x) => Math.max(-cap, Math.min(cap, (x * gross) / abs)));
    const m = w.reduce((a, b) => a + b, 0) / n;
    w = w.map((x) => x - m);
    const g = w.reduce((a, b) => a + Math.abs(b), 0);
    if (w.every((x) => Math.abs(x) <= cap + 1e-12) && Math.abs(g - gross) < 1e-9) break;
  }
  const capped = w.map((x) => Math.max(-cap, Math.min(cap, x)));
  // When the caps make the gross target unreachable the last clip can leave a net position: shrink the
  // larger side to the smaller, which keeps every weight within its cap and the book exactly neutral.
  const long = capped.reduce((a, x) => a + Math.max(0, x), 0);
  const short = capped.reduce((a, x) => a - Math.min(0, x), 0);
  if (long === 0 || short === 0) return capped.map(() => 0);
  return capped.map((x) => (x > 0 && long > short ? (x * short) / long : x < 0 && short > long ? (x * long) / short : x));
}
