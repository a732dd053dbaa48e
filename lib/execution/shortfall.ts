/**
 * Implementation shortfall of a parent order against its arrival price (Perold's decomposition, with
 * the arrival mid as the benchmark). With s = +1 for a buy and −1 for a sell:
 *
 *     trading     = s · (avg fill − arrival) · filled
 *     opportunity = s · (end mid − arrival) · (qty − filled)
 *     shortfall   = trading + opportunity + fees,   in bps of qty × arrival
 *     delay       = s · (arrival − decision) · filled   (before arrival: reported beside, not in it)
 *
 * Each is a cost when positive.
 */
export interface ShortfallInput {
  side: 'BUY' | 'SELL';
  qty: number;
  decision: number;
  arrival: number;
  endMid: number;
  fills: readonly { qty: number; price: number; fee: number }[];
}

export interface Shortfall {
  filled: number;
  /** Average fill price; null when nothing filled. */
  avgPrice: number | null;
  fees: number;
  trading: number;
  opportunity: number;
  delay: number;
  shortfall: number;
  bps: number;
}

/**
 * @example
 * implementationShortfall({ side: 'BUY', qty: 100, decision: 10, arrival: 10.01, endMid: 10.05,
 *   fills: [{ qty: 60, price: 10.02, fee: 0.3 }] });
 * // trading 0.6, opportunity 1.6, fees 0.3: shortfall 2.5, 2.5 / (100 × 10.01) = 24.98 bps; delay 0.6
 */
export function implementationShortfall(x: ShortfallInput): Shortfall {
  const s = x.side === 'BUY' ? 1 : -1;
  let filled = 0;
  let notional = 0;
  let fees = 0;
  for (const f of x.fills) {
    filled += f.qty;
    notional += f.qty * f.price;
    fees += f.fee;
  }
  const trading = s * (notional - x.arrival * filled);
  const opportunity = filled >= x.qty ? 0 : s * (x.endMid - x.arrival) * (x.qty - filled);
  const shortfall = trading + opportunity + fees;
  const paper = x.qty * x.arrival;
  return {
    filled,
    avgPrice: filled > 0 ? notional / filled : null,
    fees,
    trading,
    opportunity,
    delay: s * (x.arrival - x.decision) * filled,
    shortfall,
    bps: paper > 0 ? (shortfall / paper) * 1e4 : 0,
  };
}
